"""Reading stored interactions back as the rules' records (touchbase.rules.types), fast and in bulk.

One query, in (occurred_at, id) order so `fold(..., ordered=True)` streams it and never holds a
million records: each row carries its participants as one text (`interactions.parties`, written
at ingest by `encode_parties`), so there is no join and no second stream. On SQLite the rows come
straight from the driver's cursor (SQLAlchemy's per-row processing cost more than the fold), with
text times parsed here; on other databases through SQLAlchemy Core with streaming results.
Repeated values (parties lists, flags, kinds, accounts) are shared, not rebuilt per row.
`touching` limits the load to the interactions of some addresses, for refolding only the people
a sync changed; with `threads`, the other stored mail of their threads comes too (see
`_same_threads`), since the fold's per-thread memory (who started it, who answered) is built
from everyone's messages in it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, String, bindparam, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.models import Account
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.agent.pipeline.models import ParticipantRow as PartyRow
from touchbase.agent.pipeline.subject_keys import key_of
from touchbase.rules.threads import subject_info, thread_keys_of
from touchbase.rules.types import DRAFT, FROM, TO, Interaction, Party

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
            found.extend(_same_threads(connection, query, found, touching))
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


def thread_mates(
    connection: Connection,
    message_ids: Iterable[str],
    thread_ids: Iterable[str],
    subjects: Iterable[str] = (),
) -> list[int]:
    """The ids of the stored mail in the threads of these Message-IDs (a new message's own id,
    In-Reply-To, References), provider thread ids and subjects (of mail with neither header
    nor thread id, whose thread the fold keys by its stripped subject), as `_same_threads`
    follows them."""
    # Rows shaped as `_columns` (id 0 is no row's): only the kind, subject and thread fields
    # are read. Each id as an In-Reply-To: the messages with it and the replies to it are both
    # wanted. A subject alone, with no header, has the "s:" key its mail has.
    seed: list[tuple[Any, ...]] = [
        (0, 0, "mail", None, None, None, None, m, None, None) for m in message_ids
    ]
    seed += [(0, 0, "mail", None, None, None, None, None, None, t) for t in thread_ids]
    seed += [(0, 0, "mail", None, None, s, None, None, None, None) for s in subjects]
    return [row[0] for row in _same_threads(connection, _columns(), seed)]


def _subject_mates(
    connection: Connection,
    rows: Sequence[Sequence[Any]],
    have: set[int],
    touching: Collection[str] | None,
) -> list[Sequence[Any]]:
    """The stored mail in the subject threads of `rows` (shaped as `_columns`) not in `have`
    (which gains them): a reply with neither header nor thread id joins the thread of its
    stripped subject, which a new message starts besides its own (threads.thread_keys_of).
    Read under each subject's key (ix_interactions_subject_key), kept when its own key is the
    same (`_in_subject_thread`).

    Bounded, exactly: a subject thread's state in the fold (who started it: its first message;
    whether someone answered: its latest reply) is read only by the mail that carries its key,
    for its sender (a reply in the owner's thread) and its To (the owner's question awaiting
    an answer), never for a Cc or for a third party's mail to a group (rules/contacts.py
    `sent`, `received`). So only these rows' own subjects are followed, not the subjects of
    the mail that finds (their subject threads concern other people), and with `touching` (a
    few people's rows) only from rows where one of them is the sender or in To: a Cc on the
    owner's "topic" to their busiest contact pulled in that contact's 1,750 rows under it."""
    subjects: set[str] = set()
    for row in rows:
        subject = _subject_thread(row)
        if subject and (touching is None or _sends_or_receives(row[12], touching)):
            subjects.add(subject)
    if not subjects:
        return []
    i = Row.__table__
    whole = _columns().where(i.c.kind == "mail", i.c.id.in_(bindparam("ids", expanding=True)))
    keys = sorted({key_of(subject) for subject in subjects})
    under = sorted(set(_ids_under(connection, "subject_key", keys)) - have)
    out: list[Sequence[Any]] = []
    for start in range(0, len(under), _IDS):
        for row in connection.execute(whole, {"ids": under[start : start + _IDS]}):
            if _in_subject_thread(row, subjects):
                have.add(row[0])
                out.append(tuple(row))
    return out


def _sends_or_receives(parties: str | None, addresses: Collection[str]) -> bool:
    """Whether one of `addresses` is the sender or in To in a row's `parties` text (None: the
    text could not hold them, so the row is taken as theirs)."""
    if parties is None:
        return True
    for piece in parties.split(_PARTY):
        address, role, _rest = piece.split(_FIELD, 2)
        if role in (FROM, TO) and address in addresses:
            return True
    return False


def _subject_thread(row: Sequence[Any]) -> str | None:
    """`subject_thread` of a row shaped as `_columns`."""
    if row[2] != "mail":
        return None
    refs = row[8]
    return subject_thread(row[5], row[6], row[7], tuple(refs.split()) if refs else (), row[9])


def subject_thread(
    subject: str | None,
    message_id: str | None,
    in_reply_to: str | None,
    references: tuple[str, ...],
    thread_id: str | None,
) -> str | None:
    """The stripped subject of a mail's thread key "s:{subject}" (a new message's alternative
    key, or a headerless reply's only one), None if its keys hold none."""
    keyed = subject_thread_key(subject, message_id, in_reply_to, references, thread_id)
    return None if keyed is None else keyed[0]


def subject_thread_key(
    subject: str | None,
    message_id: str | None,
    in_reply_to: str | None,
    references: tuple[str, ...],
    thread_id: str | None,
) -> tuple[str, bool] | None:
    """(the stripped subject of a mail's "s:" key, whether it is the mail's thread: a
    headerless reply's, not a new message's alternative), None if its keys hold none: the
    fold's own keys (rules/threads.thread_keys_of). The account name only enters a provider
    thread's key, which never is a subject's, so it is left empty."""
    info = subject_info(subject)
    if not info.stripped:
        return None
    item = Interaction(
        0, "", "mail", _NO_TIME, (), subject, None, message_id, in_reply_to, references, thread_id
    )
    thread, starts, _reply = thread_keys_of(item, info.stripped, info.reply)
    key = f"s:{info.stripped}"
    if thread == key:
        return info.stripped, True
    return (info.stripped, False) if starts == key else None


def moved_subjects(
    connection: Connection,
    mail: Iterable[tuple[str, datetime, bool]],
    counted_until: datetime | None = None,
) -> set[str]:
    """Of the subject threads that new mail joins, `mail` as (stripped subject, when, whether
    the subject key is its thread: `subject_thread_key`), those whose state in the fold it may
    change for anyone else, so that their people are marked (contact_state.mark_page; with
    `counted_until`, for stored mail that crossed into the past after that moment, only the
    mail dated up to it is taken as stored: contact_state._crossed).

    A subject thread's state is who started it (its first counted message: if a new message,
    maybe the owner; if a reply, nobody) and its latest reply (read only if the owner started
    it). So new mail moves it when it comes first and it or the first stored one is a new
    message, or when it is a reply after a first that is a new message. A new message after
    the first moves nothing ("Newsletter": 50,273 rows at bench/rules.py's 1M, not read at
    every newsletter), nor does a reply in a thread begun by a reply, first or not ("Re:
    catching up" x 100 a sync, which marked the previous sync's 100 people: 1.7 s instead of
    0.9 s for the evaluation after it). The first stored message is read in time order from
    ix_interactions_subject_key: mail in another thread under the key, drafts and failure
    notices (the fold does not count them) are passed over; if none is found in the first
    _FIRST rows (and there are more), the thread is taken as moved."""
    from touchbase.rules.life_events import FAILED, is_failure_notice

    i = Row.__table__
    moved: set[str] = set()
    for stripped, at, reply in sorted(set(mail)):
        if stripped in moved:
            continue
        first = _columns().where(i.c.kind == "mail", i.c.subject_key == key_of(stripped))
        if counted_until is not None:
            first = first.where(i.c.occurred_at <= counted_until)
        first = first.order_by(i.c.occurred_at, i.c.id).limit(_FIRST)
        earliest = None
        read = 0
        for row in connection.execute(first):
            read += 1
            refs = tuple(row[8].split()) if row[8] else ()
            keyed = subject_thread_key(row[5], row[6], row[7], refs, row[9])
            if keyed is None or keyed[0] != stripped:
                continue  # another thread under the key
            flags = set((row[11] or "").split(","))
            if DRAFT in flags or row[10] == "drafts":
                continue
            parties = [piece.split(_FIELD, 2)[:2] for piece in (row[12] or "").split(_PARTY)]
            sender = next((a for a, role in parties if role == FROM), None)
            if any(role == FAILED for _a, role in parties) or (
                sender is not None and is_failure_notice(sender, row[5])
            ):
                continue
            earliest = (_when(row[3]), keyed[1])
            break
        if earliest is None or earliest[0] is None:
            if read >= _FIRST:
                moved.add(stripped)  # (not looked further)
            continue  # nothing stored in the thread: its people are all on the page
        comes_first = earliest[0] > at  # (at the same time, the stored one has the lower id)
        begun_new = not earliest[1]
        if (comes_first and not reply) or (begun_new and (comes_first or reply)):
            moved.add(stripped)
    return moved


_FIRST = 20  # stored messages read for a subject thread's first


_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # (thread_keys_of reads no time)


def _in_subject_thread(row: Sequence[Any], wanted: Collection[str]) -> bool:
    """Whether `row`, read under a wanted subject's key, is in that subject's thread: its own
    "s:" key is one of `wanted` (a key is a 32-bit hash: another subject may share it; and mail
    with In-Reply-To, References or a thread id is in another thread, whatever its subject)."""
    return _subject_thread(row) in wanted


def _thread_refs(rows: Sequence[Sequence[Any]]) -> tuple[set[str], set[str], set[str]]:
    """What `rows` (shaped as `_columns`) lead to: the Message-IDs whose replies are wanted
    (their own, In-Reply-To and References), the ids of their ancestors (In-Reply-To and
    References: the messages with those ids are wanted too), and their provider thread ids."""
    ids: set[str] = set()
    parents: set[str] = set()
    threads: set[str] = set()
    for row in rows:
        mid, reply, refs, thread = row[6], row[7], row[8], row[9]
        if mid:
            ids.add(mid)
        if reply:
            parents.add(reply)
        if refs:
            parents.update(refs.split())
        if thread:
            threads.add(thread)
    return ids | parents, parents, threads


def _same_threads(
    connection: Connection,
    query: Any,
    rows: Sequence[Sequence[Any]],
    touching: Collection[str] | None = None,
) -> list[Sequence[Any]]:
    """The other stored mail of the threads of `rows`, by Message-ID and provider thread id.

    The fold keys a thread by the provider's thread id, else its root (the first References
    entry or In-Reply-To), else a new message's own Message-ID (rules/threads.thread_keys_of).
    So from each message its In-Reply-To and References lead to the messages with those ids
    (its ancestors and their copies), and those and its own id to the replies to them
    (ix_interactions_in_reply_to), again from what that found until nothing new comes, plus the
    mail with the same provider thread ids (ix_interactions_thread_id), plus the mail in the
    subject threads of `rows` (`_subject_mates`; `touching`: the addresses whose rows these
    are, as there)."""
    i = Row.__table__
    have = {row[0] for row in rows}
    asked_ids: set[str] = set()
    asked_threads: set[str] = set()
    out = _subject_mates(connection, rows, have, touching)
    new = [row for row in rows if row[2] == "mail"]
    mail = query.where(i.c.kind == "mail")
    asked_parents: set[str] = set()
    while new:
        ids, parents, threads = _thread_refs(new)
        # A message's own id is not looked up as a parent: its copies in other accounts have
        # its parties, so they are loaded already, and most mail is no reply (one lookup that
        # finds nothing instead of reading each message again).
        wanted_parents = sorted(parents - asked_parents)
        wanted_ids = sorted(ids - asked_ids)
        wanted_threads = sorted(threads - asked_threads)
        asked_parents.update(wanted_parents)
        asked_ids.update(wanted_ids)
        asked_threads.update(wanted_threads)
        new = []
        queries = (
            [mail.where(i.c.message_id.in_(chunk)) for chunk in _chunked(wanted_parents)]
            + [mail.where(i.c.in_reply_to.in_(chunk)) for chunk in _chunked(wanted_ids)]
            + [mail.where(i.c.thread_id.in_(chunk)) for chunk in _chunked(wanted_threads)]
        )
        for each in queries:
            for batch in _batches(connection, each):
                for row in batch:
                    if row[0] not in have:
                        have.add(row[0])
                        new.append(row)
        out.extend(new)
    return out


def _chunked(items: list[Any], size: int = 400) -> Iterator[list[Any]]:
    """IN lists small enough for SQLite's parameter limit (two lists per query)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
    threads followed by `_probed_threads`: for one person's page (Service.person)."""
    from operator import itemgetter  # (here: this hunk stays at the end of the module)

    connection = session.connection()
    accounts = dict(connection.execute(select(Account.id, Account.name)).all())
    i = Row.__table__
    query = _columns()
    chosen = select(PartyRow.interaction_id).where(PartyRow.address.in_(sorted(touching)))
    found = [
        row for batch in _batches(connection, query.where(i.c.id.in_(chosen))) for row in batch
    ]
    found.extend(_probed_threads(connection, query, found, touching))
    # (occurred_at, id) order as two sorts on one column each, the time last (a stable sort
    # keeps the ids' order among equal times): 35,117 rows 0.012 s CPU, where one sort on a
    # (time, id) tuple made per row took 0.046 s.
    found.sort(key=itemgetter(0))
    found.sort(key=itemgetter(3))
    return list(_items(connection, [found], accounts))


def _probed_threads(
    connection: Connection,
    query: Any,
    rows: Sequence[Sequence[Any]],
    touching: Collection[str] | None = None,
) -> list[Sequence[Any]]:
    """`_same_threads`, the same rows (in another order), found in two steps: the ids under
    each wanted Message-ID, In-Reply-To and thread id first, from their indexes alone (no row
    is read), then whole rows only for the ids not loaded already. A busy person's thread
    mates are mostly their own mail: for the busiest of bench/rules.py's 1M interactions
    (35,117, every one of them found again) the whole-row lookups took 0.12-0.17 s CPU, the id
    probes 0.03-0.06 s. The kind is checked on the whole rows (the indexes do not hold it)."""
    from sqlalchemy import bindparam

    i = Row.__table__
    have = {row[0] for row in rows}
    asked_ids: set[str] = set()
    asked_parents: set[str] = set()
    asked_threads: set[str] = set()
    out = _subject_mates(connection, rows, have, touching)
    whole = query.where(i.c.kind == "mail", i.c.id.in_(bindparam("ids", expanding=True)))
    new = [row for row in rows if row[2] == "mail"]
    while new:
        ids, parents, threads = _thread_refs(new)
        # (As in `_same_threads`: a message's own id is not looked up as a parent.)
        wanted = [
            ("message_id", sorted(parents - asked_parents)),
            ("in_reply_to", sorted(ids - asked_ids)),
            ("thread_id", sorted(threads - asked_threads)),
        ]
        asked_parents.update(wanted[0][1])
        asked_ids.update(wanted[1][1])
        asked_threads.update(wanted[2][1])
        found: set[int] = set()
        for column, keys in wanted:
            found.update(_ids_under(connection, column, keys))
        fresh = sorted(found - have)
        new = []
        for start in range(0, len(fresh), _IDS):
            for row in connection.execute(whole, {"ids": fresh[start : start + _IDS]}):
                have.add(row[0])
                new.append(tuple(row))
        out.extend(new)
    return out


_IDS = 900  # values per IN list: inside the oldest SQLite limit on bound parameters


def _ids_under(connection: Connection, column: str, keys: Sequence[object]) -> Iterator[int]:
    """The ids of the interactions whose `column` is one of `keys` (an indexed column)."""
    i = Row.__table__
    raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    for start in range(0, len(keys), _IDS):
        chunk = keys[start : start + _IDS]
        if raw is not None:
            # Straight to the driver: SQLAlchemy made a bound name per value of an expanded IN
            # list, 0.04-0.06 s (cProfile) over the busiest person's 35,117 Message-IDs.
            marks = ",".join("?" * len(chunk))
            text = f"SELECT id FROM interactions WHERE {column} IN ({marks})"  # our own names
            yield from (x for (x,) in raw.execute(text, chunk))
        else:
            probe = select(i.c.id).where(i.c[column].in_(chunk))
            yield from (x for (x,) in connection.execute(probe))
