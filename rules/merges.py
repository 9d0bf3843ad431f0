"""Merge suggestions: the same display name on different people, offered, never applied."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from touchbase.rules.contacts import Contact

_SPACE = re.compile(r"\s+")


class MergeSuggestion(NamedTuple):
    """Two people that look like one; `touchbase people merge A B` applies it if approved."""

    a: str  # person key
    b: str
    reason: str


def name_key(name: str) -> str | None:
    """A display name in comparable form, or None when it says too little to go on.

    Quotes and "Last, First" order are undone; a single word ("Bob") or an address used as a
    name is not enough to suggest anything.
    """
    text = name.strip().strip("'\"").strip()
    if "@" in text:
        return None
    if text.count(",") == 1:
        last, first = text.split(",")
        text = f"{first} {last}"
    words = _SPACE.sub(" ", text).strip().lower().split(" ")
    return " ".join(words) if len(words) >= 2 else None


def suggest_merges(contacts: Iterable[Contact]) -> list[MergeSuggestion]:
    """Pairs of people (oldest key first) whose display names are the same."""
    by_name: dict[str, list[Contact]] = {}
    for contact in contacts:
        key = name_key(contact.name) if contact.excluded is None else None
        if key is not None:
            by_name.setdefault(key, []).append(contact)
    found = []
    for key, group in sorted(by_name.items()):
        ordered = sorted(group, key=lambda c: (c.first_contact is None, c.first_contact, c.person))
        first = ordered[0]
        for other in ordered[1:]:
            reason = f'both are called "{key}" ({first.address}, {other.address})'
            found.append(MergeSuggestion(first.person, other.person, reason))
    return found
