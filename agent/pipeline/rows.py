"""The rows a page's records become: interactions and participants rows, in column order.

Pure functions of the records (no database): `Store` inserts what they build. Mail rows come
in SQLite's stored form with the columns every mail row shares left out (`mail_rows`,
`plain_participant_rows`), which the insert writes once as literals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table

from touchbase.agent.pipeline.history import encode_parties
from touchbase.agent.pipeline.models import InteractionRow, ParticipantRow
from touchbase.agent.pipeline.stored_time import sqlite_utc
from touchbase.agent.pipeline.subject_keys import subject_key
from touchbase.connectors.base import InteractionRecord as Record
from touchbase.connectors.base import Kind, Response, Role

INTERACTIONS: Table = InteractionRow.__table__  # type: ignore[assignment]
PARTICIPANTS: Table = ParticipantRow.__table__  # type: ignore[assignment]


def digest(record: Record) -> str:
    """A stable hash of what a provider may change about a record, for meetings.

    A meeting is rescheduled, cancelled, re-attended; a message, once written, is not (a move
    between folders keeps its source id and is the same interaction). So mail carries no digest
    and is never rewritten, which keeps the import's hot path free of hashing.
    """
    if record.kind is not Kind.MEETING:
        return ""
    parts = [
        record.kind.value,
        record.occurred_at.isoformat(),
        record.ended_at.isoformat() if record.ended_at else "",
        record.subject or "",
        record.message_id or "",
        record.in_reply_to or "",
        " ".join(record.references),
        record.thread_id or "",
        record.folder or "",
        ",".join(sorted(f.value for f in record.flags)),
    ]
    parts += [
        f"{p.address}|{p.role.value}|{p.name}|{p.response or ''}|{p.resource:d}{p.optional:d}"
        f"{p.is_self:d}"
        for p in record.participants
    ]
    if record.version is not None:  # a new version, even unchanged, must be the one compared
        parts.append(f"version {record.version}")
    return hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


ROW_COLUMNS = (
    "account_id", "source_id", "kind", "occurred_at", "ended_at", "subject", "message_id",
    "in_reply_to", "references", "thread_id", "folder", "flags", "removed_at", "stored_at",
    "digest", "parties", "version", "subject_key",
)  # fmt: skip
PARTY_COLUMNS = (
    "interaction_id", "address", "role", "name", "response", "resource", "optional", "is_self",
)  # fmt: skip
VALUE: dict[Any, str] = {e: e.value for enum in (Kind, Role, Response) for e in enum}


def _same(value: Any) -> Any:
    return value


def interaction_row(
    account_id: int, r: Record, now: Any, when: Callable[[Any], Any] = _same
) -> tuple[Any, ...]:
    """An interactions row in ROW_COLUMNS order (plain str for enums: drivers differ on them).
    `when` turns the record's times into what the row holds (`now` is given converted)."""
    return (
        account_id,
        r.source_id,
        VALUE[r.kind],
        when(r.occurred_at),
        when(r.ended_at),
        r.subject,
        r.message_id,
        r.in_reply_to,
        " ".join(r.references) or None,
        r.thread_id,
        r.folder,
        ",".join(sorted(f.value for f in r.flags)) if r.flags else "",
        None,
        now,
        digest(r),
        _encode_parties(r.participants),
        r.version,
        subject_key(r.subject),
    )


# Each participant's part of `interactions.parties`, by the object's identity: connectors share
# one Participant per (address, role, name) (connectors/headers.py), so a first sync of 100,000
# messages encodes a few thousand parties instead of 240,000. Each entry holds its participant,
# so the id cannot be reused while the entry lives; cleared when full.
_PARTS: dict[int, tuple[Any, str | None]] = {}
_PARTS_MAX = 65_536


def _encode_parties(parties: Sequence[Any]) -> str | None:
    """history.encode_parties(parties), party by party: a separator inside one party's fields
    fails that party's encoding exactly when it fails the whole (the counts add up)."""
    parts = _PARTS
    texts = []
    for party in parties:
        held = parts.get(id(party))
        if held is None or held[0] is not party:
            if len(parts) >= _PARTS_MAX:
                parts.clear()
            held = parts[id(party)] = (party, encode_parties((party,)))
        if held[1] is None:
            return None
        texts.append(held[1])
    return _PARTY_SEPARATOR.join(texts) if texts else encode_parties(())


_PARTY_SEPARATOR = "\x1e"  # history._PARTY: between parties


def participant_rows(pairs: Iterable[tuple[int, Record]]) -> list[tuple[Any, ...]]:
    value = VALUE
    return [
        (
            interaction_id,
            p.address,
            value[p.role],
            p.name,
            value[p.response] if p.response else None,
            p.resource,
            p.optional,
            p.is_self,
        )
        for interaction_id, record in pairs
        for p in record.participants
    ]


# The columns of mail rows that differ from row to row (on SQLite, in its stored form); the
# others (store._insert_new's `fixed`) are one value for all of a page's mail: the account, the
# kind, the stamp, and what mail never has (an end, a removal, a digest, a version). Written into
# the INSERT, not bound per row: 18 bound values a row down to 11, so 90 rows a statement
# instead of 55. With the participants' (below): a replay of the bench's 100,000 recorded
# Dovecot answers into an empty store, 4.9 -> 4.1-4.25 s CPU for the whole first sync.
MAIL_COLUMNS = (
    "source_id", "occurred_at", "subject", "message_id", "in_reply_to", "references",
    "thread_id", "folder", "flags", "parties", "subject_key",
)  # fmt: skip


def mail_rows(records: Sequence[Record]) -> list[tuple[Any, ...]] | None:
    """row's MAIL_COLUMNS on SQLite for records of one kind that is not a meeting, none with
    an end or a version (all mail): the other columns are then the same in every row. None
    for anything else."""
    if not records or records[0].kind is Kind.MEETING:
        return None
    kind, when, encode, key = records[0].kind, sqlite_utc, _encode_parties, subject_key
    rows: list[tuple[Any, ...]] = []
    add = rows.append
    for r in records:
        if r.kind is not kind or r.ended_at is not None or r.version is not None:
            return None
        add(
            (
                r.source_id,
                when(r.occurred_at),
                r.subject,
                r.message_id,
                r.in_reply_to,
                " ".join(r.references) or None,
                r.thread_id,
                r.folder,
                ",".join(sorted(f.value for f in r.flags)) if r.flags else "",
                encode(r.participants),
                key(r.subject),
            )
        )
    return rows


# A mail participant's last four columns: no response, no resource, not optional, not the
# owner's own (mail never sets them). Written into the INSERT rather than bound per row: a first
# IMAP sync of 100,000 messages binds 240,000 participants' four columns instead of eight,
# and SQLite takes twice as many rows per statement (bulk_insert's `fixed` says what binding
# costs). Same rows in the same order, so the same ids.
PLAIN_PARTY: tuple[tuple[str, bool | None], ...] = (
    ("response", None),
    ("resource", False),
    ("optional", False),
    ("is_self", False),
)


def plain_participant_rows(pairs: Sequence[tuple[int, Record]]) -> list[tuple[Any, ...]] | None:
    """participant_rows' first four columns, when every participant's last four are
    PLAIN_PARTY's values (all mail); None when any is not (a meeting's attendees)."""
    value = VALUE
    rows: list[tuple[Any, ...]] = []
    add = rows.append
    for interaction_id, record in pairs:
        for p in record.participants:
            if not (
                p.response is None
                and p.resource is False
                and p.optional is False
                and p.is_self is False
            ):
                return None
            add((interaction_id, p.address, value[p.role], p.name))
    return rows
