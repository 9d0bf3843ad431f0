"""Addresses seen in headers that may be a due person's newer one (issue 11.1), for the rules.

People who move often show their new address only in the headers of mail the owner has: a
co-recipient of someone else's farewell, or an address the owner wrote to once under a shorter
name (steve.gillespie@old, then sgillesp@new). The fold knows only the people the owner deals
with; this looks in the participants table for addresses whose mailbox name could be theirs at
another domain, only for the people a check-in is due to (a few dozen index range scans, never
a walk of the whole table), and hands them to the rules as plain data
(`Circumstances.sightings`); rules/merges.py `sighted_as` decides which ones count.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.models import InteractionRow, ParticipantRow
from touchbase.rules.contacts import Contact
from touchbase.rules.merges import MIN_LOCAL, MIN_SURNAME, Sighting

_PIECES = re.compile(r"[._-]+")
# A code point above every character of an address: the end of a prefix's index range.
_HIGH = "\U0010ffff"
FROM = "from"
FAILED = "failed"  # a bounce's failed recipient (connectors/bounces.py)
# Prefixes per query: one index range scan each, OR-ed (SQLite's OR optimisation and
# PostgreSQL's bitmap OR both use the address index), so a plan with a thousand people due
# costs a few dozen queries, not thousands.
_BATCH = 50


def prefixes(contact: Contact) -> set[str]:
    """Index prefixes an address of theirs elsewhere would start with: the mailbox name with
    its '@' (mark.breese@), its pieces joined (markbreese@), and an initial plus the first
    MIN_SURNAME letters of a surname (sgille)."""
    found: set[str] = set()
    for address in contact.addresses:
        local = address.rpartition("@")[0]
        pieces = [p for p in _PIECES.split(local) if p]
        squeezed = "".join(pieces)
        if len(squeezed) >= MIN_LOCAL:
            found.add(f"{local}@")
            found.add(f"{squeezed}@")
        if (
            len(pieces) >= 2
            and pieces[0].isalpha()
            and pieces[-1].isalpha()
            and len(pieces[-1]) >= MIN_SURNAME
        ):
            found.add(pieces[0][0] + pieces[-1][:MIN_SURNAME])
    return found


def sightings_for(
    session: Session, contacts: Iterable[Contact], owner: Collection[str]
) -> dict[str, tuple[Sighting, ...]]:
    """Person key -> the addresses seen in headers under one of their prefixes (their own
    addresses and the owner's left out), with first and last seen, their latest mail from it
    and the owner's latest mail to it."""
    mine = frozenset(owner)
    chosen = list(contacts)
    wanted: dict[str, set[str]] = {}  # prefix -> person keys
    for contact in chosen:
        for prefix in prefixes(contact):
            wanted.setdefault(prefix, set()).add(contact.person)
    if not wanted:
        return {}
    own = {c.person: set(c.addresses) for c in chosen}
    split = _binary_order(session)
    rows: dict[str, _Seen] = {}
    per_person: dict[str, set[str]] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), _BATCH):
        chunk = ordered[start : start + _BATCH]
        # The chunk's prefixes by length: an address's own prefixes of those lengths are looked
        # up, not each of the 50 tried with startswith (a third of sightings_for at 1M).
        by_length: dict[int, set[str]] = {}
        for pre in chunk:
            by_length.setdefault(len(pre), set()).add(pre)
        # Their own addresses and the owner's fall in these ranges too (all of their mail):
        # left out in SQL, before the join, or they are most of the rows.
        known = sorted(mine | {a for pre in chunk for k in wanted[pre] for a in own[k]})
        # A short last batch is padded with empty ranges (from "" to ""): every batch is one
        # statement, built and compiled once (building 50 ranges a batch of SQL expressions was
        # most of a plan's sightings at 1M).
        batch: Iterable[Any]
        if split:
            batch = _split_rows(session, *_split_batch(chunk, known))
        else:
            values: dict[str, object] = {"known": known}
            for n in range(_BATCH):
                pre = chunk[n] if n < len(chunk) else ""
                values[f"lo{n}"], values[f"hi{n}"] = (pre, pre + _HIGH) if pre else ("", "")
            batch = session.execute(_batch_query(), values)
        for address, name, role, at, interaction in batch:
            matched = [
                address[:size] for size, group in by_length.items() if address[:size] in group
            ]
            if address in mine or not matched:
                continue
            seen = rows.get(address)
            if seen is None:
                seen = rows[address] = _Seen(name or "", at, at)
            seen.add(name, role, at, interaction)
            for prefix in matched:
                for person in wanted[prefix]:
                    per_person.setdefault(person, set()).add(address)
    written = _owner_sent(session, {x for s in rows.values() for x in s.to_ids}, mine)
    out: dict[str, tuple[Sighting, ...]] = {}
    for person, addresses in per_person.items():
        found = [rows[a].sighting(a, written) for a in sorted(addresses - own[person])]
        if found:
            out[person] = tuple(found)
    return out


@lru_cache(maxsize=1)
def _batch_query() -> Select[str, str, str, datetime, int]:
    """The participants under any of _BATCH prefixes (bound as lo0/hi0...: an index range
    each, OR-ed) and not at the `known` addresses, with their interaction's time and id."""
    p, i = ParticipantRow, InteractionRow
    ranges = [
        and_(p.address >= bindparam(f"lo{n}"), p.address < bindparam(f"hi{n}"))
        for n in range(_BATCH)
    ]
    return (
        select(p.address, p.name, p.role, i.occurred_at, i.id)
        .join(i, i.id == p.interaction_id)
        .where(or_(*ranges), p.address.not_in(bindparam("known", expanding=True)))
    )


def _binary_order(session: Session) -> bool:
    """Whether the addresses are compared as Python compares str (SQLite compares text by its
    UTF-8 bytes, which order as code points): then a prefix's range can be cut around the
    known addresses inside it. PostgreSQL's collation may order them otherwise."""
    return session.get_bind().dialect.name == "sqlite"


def _split_rows(
    session: Session, sql: str, values: dict[str, object]
) -> list[tuple[str, str | None, str, datetime, int]]:
    """The rows of one `_split_query` statement, run on SQLite's own connection (named
    parameters as written), each time read back aware UTC, as models.UTCDateTime gives it:
    through the ORM session, 40 statements cost 0.031 s of a cProfiled plan's sightings_for at
    bench/rules.py's 1M, 0.016 of it SQLite's (issue 16)."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    fromiso = datetime.fromisoformat
    return [
        (address, name, role, fromiso(at + "+00:00") if type(at) is str else at, ident)
        for address, name, role, at, ident in raw.execute(sql, values)
    ]


def _split_batch(chunk: list[str], known: list[str]) -> tuple[str, dict[str, object]]:
    """`_batch_query` for SQLite with each prefix's range cut around the `known` addresses
    (sorted) inside it: [prefix, k1), (k1, k2) ... (kn, prefix + _HIGH). The same rows, and the
    index is never walked through a known address's entries (a due person's own mail: 109k of
    them for the 1,966 due at bench/rules.py's 1M, 0.14 of 0.17 s of sightings_for)."""
    values: dict[str, object] = {}
    cuts: list[tuple[str, str]] = []  # the (k, next) ranges, open at k
    for n in range(_BATCH):
        pre = chunk[n] if n < len(chunk) else ""
        if not pre:
            values[f"lo{n}"] = values[f"hi{n}"] = ""
            continue
        end = pre + _HIGH
        at = bisect_left(known, pre)
        low = pre
        values[f"lo{n}"] = pre
        first = True
        while at < len(known) and known[at] < end:
            if first:
                values[f"hi{n}"] = known[at]
                first = False
            else:
                cuts.append((low, known[at]))
            low = known[at]
            at += 1
        if first:
            values[f"hi{n}"] = end
        else:
            cuts.append((low, end))
    size = -(-len(cuts) // _BATCH) * _BATCH  # rounded up: a few statements, each compiled once
    for n in range(size):
        values[f"after{n}"], values[f"before{n}"] = cuts[n] if n < len(cuts) else ("", "")
    return _split_query(size), values


@lru_cache(maxsize=8)
def _split_query(cuts: int) -> str:
    """_BATCH ranges closed at their start (lo0/hi0...) and `cuts` open at both ends
    (after0/before0...), OR-ed: an index range each. Written as SQL text (SQLite only), the
    statement _batch_query's expressions compile to with the ranges cut: built and compiled
    from expressions, its 100 ranges cost 0.018-0.019 s of CPU at the first plan of every
    process (bench/rules.py's 1M: 0.005 to build, 0.013 to compile), a third of sightings_for.
    The columns keep their types (the time comes back as stored times do)."""
    names = ParticipantRow.__tablename__, InteractionRow.__tablename__
    ranges = [f"(p.address >= :lo{n} AND p.address < :hi{n})" for n in range(_BATCH)]
    ranges += [f"(p.address > :after{n} AND p.address < :before{n})" for n in range(cuts)]
    sql = (
        f"SELECT p.address, p.name, p.role, i.occurred_at, i.id FROM {names[0]} AS p "
        f"JOIN {names[1]} AS i ON i.id = p.interaction_id WHERE {' OR '.join(ranges)}"
    )
    return sql


@dataclass
class _Seen:
    """One address's sightings so far."""

    name: str
    first: datetime
    last: datetime
    wrote: datetime | None = None
    to_ids: dict[int, datetime] = field(default_factory=dict)  # interactions it received
    bounced: datetime | None = None  # the latest bounce naming it

    def add(self, name: str | None, role: str, at: datetime, interaction: int) -> None:
        self.first, self.last = min(self.first, at), max(self.last, at)
        if name and not self.name:
            self.name = name
        if role == FROM:
            self.wrote = at if self.wrote is None else max(self.wrote, at)
        elif role == FAILED:
            self.bounced = at if self.bounced is None else max(self.bounced, at)
        else:
            self.to_ids[interaction] = at

    def sighting(self, address: str, written: set[int]) -> Sighting:
        times = [at for x, at in self.to_ids.items() if x in written]
        wrote_to = max(times) if times else None
        if wrote_to is not None and self.bounced is not None and self.bounced >= wrote_to:
            wrote_to = None  # the owner's mail to it bounced: no sign it is anyone's (H7)
        return Sighting(address, self.name, self.first, self.last, self.wrote, wrote_to)


def _owner_sent(session: Session, ids: set[int], mine: frozenset[str]) -> set[int]:
    """Of these interactions (mail the sighted addresses received), those the owner sent.

    Each one's sender is read through the participants' interaction index, a handful of rows
    per interaction. Filtering on the owner's addresses in SQL let the planner walk the
    address index instead, every mail the owner ever sent: 436 of 521 s of a cProfiled plan at
    bench/rules.py's 1M interactions.
    """
    if not ids or not mine:
        return set()
    p = ParticipantRow
    sent: set[int] = set()
    chunk = sorted(ids)
    for start in range(0, len(chunk), 500):
        part = chunk[start : start + 500]
        query = select(p.interaction_id, p.address).where(
            p.interaction_id.in_(part), p.role == FROM
        )
        for interaction, address in session.execute(query):
            if address in mine:
                sent.add(interaction)
    return sent


__all__ = ["prefixes", "sightings_for"]
