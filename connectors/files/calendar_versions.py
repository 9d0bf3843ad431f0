"""Which copy of an event stands when one account holds it in several files (RFC 5545 3.8.7.4).

An edited copy of an event (same UID, and same RECURRENCE-ID for one occurrence) in another
file is the same meeting, not a second one. RFC 5546 2.1.5 orders versions by SEQUENCE, then by
DTSTAMP; LAST-MODIFIED, when present, says better than DTSTAMP when the event itself changed
(DTSTAMP of an export is the moment of the export), so it is used first.

The book is filled from every calendar file of an account before any is read, so the newer copy
wins whichever file is read first, on every pull and after a restart (it is rebuilt from the
files themselves, never from a cursor that could be stale).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from touchbase.connectors.base import InteractionRecord, Quarantined
from touchbase.connectors.files.ics_limits import rough_time
from touchbase.connectors.files.ics_scan import Block

Key = tuple[str, str]  # (UID, the RECURRENCE-ID's time as UTC text, or "" for the series)
Version = tuple[int, str]  # (SEQUENCE, LAST-MODIFIED or else DTSTAMP as UTC text)


def block_key(uid: str, block: Block) -> Key:
    rid = block.value(b"RECURRENCE-ID")
    when = rough_time(rid)
    return uid, (when.isoformat() if when is not None else (rid or ""))


def block_version(block: Block) -> Version:
    try:
        sequence = int(block.value(b"SEQUENCE") or 0)
    except ValueError:
        sequence = 0
    stamp = rough_time(block.value(b"LAST-MODIFIED")) or rough_time(block.value(b"DTSTAMP"))
    return sequence, stamp.isoformat() if stamp is not None else ""


_MAX_SEQUENCE = 10**10 - 1  # ten digits sort as text; a larger SEQUENCE is not a real one


def version_text(version: Version) -> str:
    """A Version as text that sorts as the Version does, for the store to compare copies of an
    event from other accounts (issue 14.4): ten-digit SEQUENCE, then the UTC stamp."""
    sequence, stamp = version
    return f"{min(max(sequence, 0), _MAX_SEQUENCE):010d} {stamp}"


def stamped(
    records: Iterable[InteractionRecord | Quarantined], blocks: Iterable[Block]
) -> Iterator[InteractionRecord | Quarantined]:
    """The records of one event (UID) with its version: the newest of its components in this
    file (an override edited later makes the file's copy of the whole event the newer one)."""
    text = version_text(max(block_version(b) for b in blocks))
    for item in records:
        yield replace(item, version=text) if isinstance(item, InteractionRecord) else item


@dataclass
class VersionBook:
    """The best version of each event per file, for the files of one account."""

    _best: dict[Key, dict[str, Version]] = field(default_factory=dict)
    _keys: dict[str, set[Key]] = field(default_factory=dict)  # per file, for forget()

    def add(self, where: str, key: Key, version: Version) -> None:
        self._keys.setdefault(where, set()).add(key)
        files = self._best.setdefault(key, {})
        if version > files.get(where, (-1, "")):
            files[where] = version

    def forget(self, where: str) -> None:
        """Drop what one file said (before it is noted again as it is now)."""
        for key in self._keys.pop(where, set()):
            files = self._best.get(key)
            if files is not None:
                files.pop(where, None)

    def newer_elsewhere(self, where: str, key: Key, version: Version) -> bool:
        """True when another file holds a strictly newer version of this event."""
        files = self._best.get(key)
        if not files:
            return False
        return any(v > version for w, v in files.items() if w != where)
