"""Stored texts decoded once per process: the persisted contacts and standings an evaluation
reads back (contact_state.py), kept with the text each came from.

A long-lived process (the daemon's cycle, the web app, a Service) evaluates again and again,
and between two evaluations most of the 10,000 stored contacts did not change: decoding them
all again was ~0.15 s CPU of every plan at 10,000 people (issue 16). A text equal to the one
last decoded for that person gives that same value (the codecs are pure functions of the text
and the values are frozen), so only changed or new texts are decoded. Each reading replaces
what is kept by what it read: never more than one state's worth, whatever the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from touchbase.rules.contact_codec import decode as decode_contact
from touchbase.rules.contacts import Contact
from touchbase.rules.standing import Standing
from touchbase.rules.standing_codec import decode as decode_standing

T = TypeVar("T")


class Decoded(Generic[T]):
    """Key -> the value `decode` gave for the text read last for that key."""

    def __init__(self, decode: Callable[[str], T]) -> None:
        self._decode = decode
        self._last: dict[str, tuple[str, T]] = {}

    def read(self, texts: Iterable[tuple[str, str]]) -> dict[str, T]:
        """Each (key, text) decoded, or taken from the last reading when its text is equal;
        what is kept becomes this reading (a thread reading at the same time keeps its own or
        ours: either is right for its texts)."""
        last, decode = self._last, self._decode
        kept: dict[str, tuple[str, T]] = {}
        values: dict[str, T] = {}
        for key, text in texts:
            seen = last.get(key)
            value = seen[1] if seen is not None and seen[0] == text else decode(text)
            kept[key] = (text, value)
            values[key] = value
        self._last = kept
        return values


CONTACTS: Decoded[Contact] = Decoded(decode_contact)
STANDINGS: Decoded[Standing] = Decoded(decode_standing)
