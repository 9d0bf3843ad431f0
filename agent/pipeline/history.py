"""Reading stored interactions back as the rules' records (touchbase.rules.types), fast and in bulk.

One query, in (occurred_at, id) order so `fold(..., ordered=True)` streams it and never holds a
million records: each row carries its participants as one text (`interactions.parties`, written
at ingest by `encode_parties`), so there is no join and no second stream. On SQLite the rows come
straight from the driver's cursor (SQLAlchemy's per-row processing cost more than the fold), with
text times parsed here; on other databases through SQLAlchemy Core with streaming results.
Repeated values (parties lists, flags, kinds, accounts) are shared, not rebuilt per row.
`touching` limits the load to the interactions of some addresses, for refolding only the people
a sync changed; with `threads`, the other stored mail of their threads comes too
(agent/pipeline/thread_mates.py), since the fold's per-thread memory (who started it, who
answered) is built from everyone's messages in it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, String, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.models import Account
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.agent.pipeline.models import ParticipantRow as PartyRow
from touchbase.rules.types import Interaction, Party

_BATCH = 20_000
_PARTY = "\x1e"  # between parties (ASCII record separator)
_FIELD = "\x1f"  # between a party's fields (ASCII unit separator)
# Distinct parties lists kept for sharing, cleared when full: 200,000 held 50 MB at 1M
# interactions, and a tenth of that shares as much (the same CPU for a full scan).
_CACHE_LIMIT = 20_000
# SQLite's page cache during a scan of every interaction (db.py sets 64 MB for the indexes
# of ingest): each page is read once, so the 64 MB only added to the fold's peak (measured:
# a full scan at 1M, 151 MB peak with it, 87 MB with this, the same CPU).
_SCAN_CACHE_KB = 2048
_UTC = "+00:00"  # SQLite's naive UTC text made aware in the parse: 7x cheaper than .replace()


def encode_parties(parties: Iterable[Any]) -> str | None:
    """connectors.base.Participant values as `interactions.parties`; None if a field holds a
    separator (then the reader uses the participants table for that row)."""
    # Role and Response are StrEnums: formatted, a member is its value (no `.value` lookup,
    # which is a descriptor call per party).
    out = [
        f"{p.address}{_FIELD}{p.role}{_FIELD}{p.name or ''}{_FIELD}"
        f"{p.response or ''}{_FIELD}{p.resource:d}{p.optional:d}{p.is_self:d}"
        for p in parties
    ]
    text = _PARTY.join(out)
    # One count over the whole text instead of a look into every field: a separator inside a
    # field shows up as one too many.
    if text.count(_FIELD) != 4 * len(out) or text.count(_PARTY) != max(len(out) - 1, 0):
        return None
    return text


def load_interactions(
    session: Session, *, touching: Collection[str] | None = None, threads: bool = False
) -> list[Interaction]:
    """Every stored interaction (or those with any of the `touching` addresses, and with
    `threads` the rest of their threads' mail), as rules input, in (occurred_at, id) order."""
    return list(iter_interactions(session, touching=touching, threads=threads))


def iter_interactions(
    session: Session, *, touching: Collection[str] | None = None, threads: bool = False
) -> Iterator[Interaction]:
    """Like `load_interactions`, streamed: sorted by (occurred_at, id) for `fold(ordered=True)`.
    Tombstoned interactions are included: the contact still happened. `threads` (with
    `touching`): for a fold of those people that agrees with a fold of everyone."""
    connection = session.connection()
    accounts = dict(connection.execute(select(Account.id, Account.name)).all())
    i = Row.__table__
    query = _columns()
    if touching is not None:
        # A few people's interactions, found through the address index and sorted here: ordering
        # in SQL would walk the whole occurred_at index to find them.
        chosen = select(PartyRow.interaction_id).where(PartyRow.address.in_(sorted(touching)))
        found = [
            row for batch in _batches(connection, query.where(i.c.id.in_(chosen))) for row in batch
        ]
        if threads:
            # (Here, not above: agent/pipeline/thread_mates.py reads rows with this module's
            # helpers.)
            from touchbase.agent.pipeline.thread_mates import same_threads

            found.extend(same_threads(connection, query, found, touching))
        found.sort(key=lambda r: (r[3], r[0]))
        yield from _items(connection, [found], accounts)
        return
    by_time: Any = i.c.occurred_at
    if connection.dialect.name == "sqlite":
        # Sorted by SQLite's own sorter over one pass of the table (in rowid order), not by
        # walking ix_interactions_occurred_at and looking each row up: at 1M interactions
        # stored out of time order 4.9-5.6 s CPU instead of 7.4-8.6 s for the rows alone, the
        # same peak (the sorter spills to temporary files past its cache). Unary + is SQLite's
        # no-op that keeps the planner off the index: the same values, the same order.
        by_time = literal_column("+interactions.occurred_at")
    ordered = _batches(connection, query.order_by(by_time, i.c.id))
    with scan_cache(connection):
        yield from _items(connection, ordered, accounts)


@contextmanager
def scan_cache(connection: Connection) -> Iterator[None]:
    """SQLite's page cache at _SCAN_CACHE_KB for a read that passes over a whole table or
    index once (every interaction; every participant's address), the connection's own after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    (before,) = raw.execute("PRAGMA cache_size").fetchone()
    raw.execute(f"PRAGMA cache_size=-{_SCAN_CACHE_KB}")
    try:
        yield
    finally:
        # (A scan abandoned after its session closed has nothing to restore.)
        with suppress(sqlite3.ProgrammingError):
            raw.execute(f"PRAGMA cache_size={int(before)}")


def _columns() -> Any:
    """The interactions' columns as `_items` reads them, in that order."""
    i = Row.__table__
    return select(
        i.c.id,
        i.c.account_id,
        i.c.kind,
        type_coerce(i.c.occurred_at, String),
        type_coerce(i.c.ended_at, String),
        i.c.subject,
        i.c.message_id,
        i.c.in_reply_to,
        i.c.references,
        i.c.thread_id,
        i.c.folder,
        i.c.flags,
        i.c.parties,
    )


def _batches(connection: Connection, query: Any) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows in lists (one generator step per batch, not per row)."""
    if connection.dialect.name != "sqlite":
        yield from connection.execute(query.execution_options(yield_per=_BATCH)).partitions()
        return
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    raw = connection.connection.driver_connection
    assert raw is not None
    # (A memory map or a 64 MB page cache for this scan measured no faster than the default
    # here, and both add their size to the process's memory.)
    cursor = raw.execute(compiled.string, params)
    while batch := cursor.fetchmany(_BATCH):
        yield batch


def _when(value: Any) -> datetime | None:
    """SQLite hands back text (stored naive UTC), PostgreSQL aware datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value + _UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _items(
    connection: Connection, batches: Iterable[Sequence[Sequence[Any]]], accounts: dict[int, str]
) -> Iterator[Interaction]:
    lists: dict[str, tuple[Party, ...]] = {}  # the whole text -> its parties
    singles: dict[str, Party] = {}  # one party's text -> the party
    flag_sets: dict[str, frozenset[str]] = {}
    # The tuple made directly: Interaction(...) runs the named tuple's __new__, a Python
    # function call per row for the same result.
    new = tuple.__new__
    make = Interaction
    when = _when
    fromiso = datetime.fromisoformat
    for (
        id_,
        account,
        kind,
        occurred,
        ended,
        subject,
        mid,
        reply,
        refs,
        thread,
        folder,
        flags,
        text,
    ) in chain.from_iterable(batches):
        if text is None:
            parties = _from_table(connection, id_)
        else:
            parties = lists.get(text)  # type: ignore[assignment]
            if parties is None:
                if len(lists) >= _CACHE_LIMIT:
                    lists.clear()
                parties = lists[text] = _decode(text, singles) if text else ()
        flag_set = flag_sets.get(flags)
        if flag_set is None:
            flag_set = flag_sets[flags] = frozenset(f for f in (flags or "").split(",") if f)
        yield new(
            make,
            (
                id_,
                accounts[account],
                kind,
                fromiso(occurred + _UTC) if type(occurred) is str else when(occurred),
                parties,
                subject,
                None if ended is None else when(ended),
                mid,
                reply,
                tuple(refs.split()) if refs else (),
                thread,
                folder,
                flag_set,
            ),
        )


def read_parties(
    connection: Connection, interaction_id: int, text: str | None, singles: dict[str, Party]
) -> tuple[Party, ...]:
    """One interaction's participants in their stored order, from its `parties` text, or from
    the table where that is NULL (a field held a separator); `singles` caches decoded parties
    by their text across calls (the same people are on most rows). `_items` does the same
    inline, with a cache of whole texts besides, once per interaction of a fold."""
    if text is None:
        return _from_table(connection, interaction_id)
    return _decode(text, singles) if text else ()


def _decode(text: str, singles: dict[str, Party]) -> tuple[Party, ...]:
    out = []
    for piece in text.split(_PARTY):
        party = singles.get(piece)
        if party is None:
            if len(singles) >= _CACHE_LIMIT:
                singles.clear()
            address, role, name, response, bits = piece.split(_FIELD)
            party = singles[piece] = Party(
                address,
                role,
                name,
                response or None,
                bits[0] == "1",
                bits[1] == "1",
                bits[2] == "1",
            )
        out.append(party)
    return tuple(out)


def _from_table(connection: Connection, interaction_id: int) -> tuple[Party, ...]:
    p = PartyRow.__table__
    rows = connection.execute(
        select(
            p.c.address, p.c.role, p.c.name, p.c.response, p.c.resource, p.c.optional, p.c.is_self
        )
        .where(p.c.interaction_id == interaction_id)
        .order_by(p.c.id)
    )
    return tuple(
        Party(a, role, name or "", response, bool(res), bool(opt), bool(me))
        for a, role, name, response, res, opt, me in rows
    )


def load_with_threads(session: Session, touching: Collection[str]) -> list[Interaction]:
    """`load_interactions(session, touching=touching, threads=True)`, the same list, with the
    threads followed by `thread_mates.probed_threads`: for one person's page (Service.person)."""
    from operator import itemgetter

    from touchbase.agent.pipeline.thread_mates import probed_threads  # (see iter_interactions)

    connection = session.connection()
    accounts = dict(connection.execute(select(Account.id, Account.name)).all())
    i = Row.__table__
    query = _columns()
    chosen = select(PartyRow.interaction_id).where(PartyRow.address.in_(sorted(touching)))
    found = [
        row for batch in _batches(connection, query.where(i.c.id.in_(chosen))) for row in batch
    ]
    found.extend(probed_threads(connection, query, found, touching))
    # (occurred_at, id) order as two sorts on one column each, the time last (a stable sort
    # keeps the ids' order among equal times): 35,117 rows 0.012 s CPU, where one sort on a
    # (time, id) tuple made per row took 0.046 s.
    found.sort(key=itemgetter(0))
    found.sort(key=itemgetter(3))
    return list(_items(connection, [found], accounts))
