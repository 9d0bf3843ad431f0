"""One event imported through several accounts is one meeting: the newest version stands.

Issue 14.4: `touchbase import b.ics`, then `import a.ics` (two accounts) holding one event (same
UID, and RECURRENCE-ID for one occurrence: the same source id) at two different times counted
two meetings. Within one account the files connector keeps the newest copy
(connectors/files/calendar_versions.py); across accounts the store settles it here, in the
page's transaction, whichever account was imported first: of the rows sharing a source id that
carry a version (RFC 5546 2.1.5: SEQUENCE, then LAST-MODIFIED/DTSTAMP, as sortable text), the
newest stands and the others are flagged `superseded`, which the fold skips as a duplicate. On
a tie the copy stored first stands. Rows are flagged, never deleted: each account keeps what it
read, and a copy edited later (rewritten by its own account's sync) is settled again.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select, update

from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.connectors.base import Flag, Kind

SUPERSEDED = Flag.SUPERSEDED.value
_IN_CHUNK = 900  # SQLite's bound-parameter limit, with room to spare


def settle(connection: Connection, source_ids: Iterable[str]) -> int:
    """Flag all but the newest versioned copy of each of these meetings superseded (and clear the
    flag on the one that stands); return how many rows changed."""
    keys = sorted(set(source_ids))
    copies: dict[str, list[tuple[int, str, str]]] = {}
    for start in range(0, len(keys), _IN_CHUNK):
        rows = connection.execute(
            select(Row.source_id, Row.id, Row.version, Row.flags).where(
                Row.source_id.in_(keys[start : start + _IN_CHUNK]),
                Row.version.is_not(None),
                Row.kind == Kind.MEETING.value,
            )
        )
        for source_id, row_id, version, flags in rows:
            copies.setdefault(source_id, []).append((row_id, version or "", flags or ""))
    # One UPDATE per new flags text (nearly always just "superseded" or ""), not per row: a
    # second export of a 5,000-event calendar took 4.6 s here one row at a time.
    by_flags: dict[str, list[int]] = {}
    for found in copies.values():
        stands = max(found, key=lambda c: (c[1], -c[0]))[0]
        for row_id, _version, flags in found:
            have = set(flags.split(",")) - {""}
            if (SUPERSEDED in have) != (row_id != stands):
                by_flags.setdefault(",".join(sorted(have ^ {SUPERSEDED})), []).append(row_id)
    for flags, ids in by_flags.items():
        for start in range(0, len(ids), _IN_CHUNK):
            connection.execute(
                update(Row).where(Row.id.in_(ids[start : start + _IN_CHUNK])).values(flags=flags)
            )
    return sum(len(ids) for ids in by_flags.values())


def versioned_of(connection: Connection, account_id: int) -> list[str]:
    """The source ids of an account's versioned meetings: what to settle again once the account
    is forgotten, so a copy its meeting had superseded in another account stands again."""
    return list(
        connection.scalars(
            select(Row.source_id).where(
                Row.account_id == account_id,
                Row.version.is_not(None),
                Row.kind == Kind.MEETING.value,
            )
        )
    )
