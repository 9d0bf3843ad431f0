"""Writing what connectors pull: a page and its cursor in one transaction, nothing doubled.

This is the heart of "nothing lost, nothing doubled" (DESIGN.md contract 1): `save_page` inserts
the page's new interactions (unique on account + source id, so a page seen twice stores nothing
the second time), its quarantined records and tombstones, the sync run's counters and the new
cursor, all in one transaction. Kill the process anywhere: either all of a page is stored with its
cursor, or none of it is and the next pull repeats it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Index, Table, delete, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateIndex, DropIndex

from touchbase.agent.pipeline.address_book import save_contacts
from touchbase.agent.pipeline.bulk import Fixed, bulk_insert, sqlite_utc
from touchbase.agent.pipeline.contact_state import mark_page
from touchbase.agent.pipeline.history import encode_parties
from touchbase.agent.pipeline.meeting_versions import settle
from touchbase.agent.pipeline.models import (
    Account,
    ContactStateHeader,
    Cursor,
    InteractionRow,
    ParticipantRow,
    QuarantinedRecord,
    SweepSeen,
    SyncRun,
)
from touchbase.agent.pipeline.subject_keys import subject_key
from touchbase.connectors.base import Flag, Kind, Page, Response, Role
from touchbase.connectors.base import InteractionRecord as Record

INTERACTIONS: Table = InteractionRow.__table__  # type: ignore[assignment]
SWEEP_SEEN: Table = SweepSeen.__table__  # type: ignore[assignment]
PARTICIPANTS: Table = ParticipantRow.__table__  # type: ignore[assignment]
# SQLite allows 32,766 bound parameters per statement; IN lists stay well below that.
_IN_CHUNK = 900
_KEY_LENGTH = 1024  # quarantine.source_id and .location (models.py)
# Past this rowid SQLite picks new ids at random instead of the largest plus one.
_ROWID_ROOM = 2**62


@dataclass(frozen=True)
class PageResult:
    """What storing one page did."""

    stored: int
    updated: int
    duplicates: int
    quarantined: int
    removed: int


class Store:
    """The sync side of the database. One instance per process; sessions are short."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def ensure_account(self, name: str, type_: str, now: datetime) -> int:
        """The id of the account called `name`, created on first use.

        Two runs starting at once (two `touchbase import` of one path) may both find no
        account and both insert it: the one that loses the race finds the other's next time.
        """
        try:
            return self._ensure_account(name, type_, now)
        except IntegrityError:
            return self._ensure_account(name, type_, now)

    def _ensure_account(self, name: str, type_: str, now: datetime) -> int:
        with self.sessions.begin() as session:
            account = session.scalar(select(Account).where(Account.name == name))
            if account is None:
                account = Account(name=name, type=type_, created_at=now)
                session.add(account)
                session.flush()
            elif account.type != type_:
                account.type = type_
            return account.id

    def cursor(self, account_id: int) -> str | None:
        with self.sessions() as session:
            return session.scalar(select(Cursor.value).where(Cursor.account_id == account_id))

    def start_run(self, account_id: int, now: datetime) -> int:
        """Record a sync run. Into an empty store, the run's pages go in without the
        participants' address index, which `finish_run` builds (`_defer_or_build_indexes`)."""
        with self.sessions.begin() as session:
            run = SyncRun(account_id=account_id, started_at=now, status="running")
            session.add(run)
            session.flush()  # the write first: SQLite's lock is held for the look that follows
            _defer_or_build_indexes(session.connection())
            return run.id

    def finish_run(self, run_id: int, status: str, now: datetime, error: str | None = None) -> None:
        """Record how a run ended, and build any index a first sync left out (whatever its
        status: a failed first sync still leaves an indexed store)."""
        with self.sessions.begin() as session:
            session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(status=status, finished_at=now, error=error)
            )
            build_indexes(session.connection())

    def save_page(self, account_id: int, run_id: int, page: Page, now: datetime) -> PageResult:
        """Store a page and its cursor atomically; return what was new."""
        with self.sessions.begin() as session:
            connection = session.connection()
            _take_turns(connection, account_id)
            if not _unfolded(connection):
                # The marks look stored mail up by Message-ID and thread: a store whose state
                # was folded during its first sync gets the indexes it left out back first.
                build_indexes(connection)
                # Before the rows change: the parties of meetings it rewrites are still there.
                mark_page(connection, account_id, page)
            stored, updated, duplicates = _store_interactions(
                connection, account_id, page.interactions, now
            )
            quarantined = _quarantine(connection, account_id, page, now)
            removed = _tombstone(connection, account_id, page.removed, now)
            if page.contacts:  # an address book's entries (CardDAV), with the same cursor
                save_contacts(session, page.contacts, now)
            if page.sweep is not None:
                removed += _sweep(connection, account_id, page, now)
            if page.cursor is not None:
                _set_cursor(connection, account_id, page.cursor, now)
            connection.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(
                    pages=SyncRun.pages + 1,
                    stored=SyncRun.stored + stored,
                    updated=SyncRun.updated + updated,
                    duplicates=SyncRun.duplicates + duplicates,
                    quarantined=SyncRun.quarantined + quarantined,
                    removed=SyncRun.removed + removed,
                    resyncs=SyncRun.resyncs + (1 if page.resync else 0),
                )
            )
        return PageResult(stored, updated, duplicates, quarantined, removed)


# The contact state's header while no state was ever folded (contact_state.py): pages stored
# then need no dirty marks, for the first evaluation folds everyone anyway.
UNFOLDED = "unfolded"  # a fingerprint no fold writes (they are sha256 hex digests)
_STATE_HEADER = 1  # the header's one row (contact_state._HEADER)
_NEVER = datetime(1, 1, 1, tzinfo=UTC)
HEADER: Table = ContactStateHeader.__table__  # type: ignore[assignment]


def _unfolded(connection: Connection) -> bool:
    """True when no contact state exists yet (a first sync): the page then stores no dirty
    marks (contact_state.mark_page: for 100,000 messages a third of a first sync's client CPU,
    its thread look-ups most of it), and the state's header says that pages came unmarked.

    Sound against an evaluation folding meanwhile: its full fold read the interactions before
    this page, and writes its state afterwards either by inserting the header (which this page
    inserted first: IntegrityError, nothing written) or by updating it where the generation is
    still the one it read (this page bumped it: nothing written). The next evaluation finds a
    fingerprint that is not its own and folds everyone, this page included. A header any fold
    wrote (the state exists) gets the marks as always. Called under the page's write lock
    (`_take_turns`); on PostgreSQL a header inserted concurrently makes the insert do nothing,
    and the page is marked.
    """
    bumped = connection.execute(
        update(HEADER)
        .where(HEADER.c.id == _STATE_HEADER, HEADER.c.fingerprint == UNFOLDED)
        .values(generation=HEADER.c.generation + 1)
    )
    if bumped.rowcount == 1:
        return True
    return (
        bulk_insert(
            connection,
            HEADER,
            ("id", "fingerprint", "folded_at", "generation", "identities"),
            [(_STATE_HEADER, UNFOLDED, _NEVER, 1, '{"people": {}, "names": {}}')],
            skip_conflicts_on=("id",),
        )
        == 1
    )


# The participants' index by address costs a first sync more than anything else it writes:
# its keys arrive in no order (the rows by interaction id, always ascending, append to the end
# of their index). 100,000 IMAP messages, 240,000 participants, stored page by page into an
# empty SQLite store (tmpfs): 4.1 s maintaining every index, 2.8-3.5 s without the participants'
# two plus 0.2 s to build them once at the end (issue 16). The interactions' indexes by
# Message-ID, In-Reply-To, thread, date and subject key (migration 0012) are left out too
# (their keys arrive in no order either: another 0.5 s of a first sync of 100,000, 0.2 s to
# build at the end); nothing a page stores looks them up while no contact state was folded
# (`save_page` builds them before the dirty marks that do). Kept: the unique key (a page's
# conflicts), the participants' interaction index (the pages' own look-ups: a stored message's
# sender, a meeting's former attendees, a cascade), and the partial indexes no mail enters.
_DEFERRED_NAMES = (
    "ix_participants_address",
    "ix_interactions_message_id",
    "ix_interactions_in_reply_to",
    "ix_interactions_thread_id",
    "ix_interactions_occurred_at",
    "ix_interactions_subject_key",
)
DEFERRED_INDEXES: tuple[Index, ...] = tuple(
    index
    for index in (*PARTICIPANTS.indexes, *INTERACTIONS.indexes)
    if index.name in _DEFERRED_NAMES
)


def _defer_or_build_indexes(connection: Connection) -> None:
    """At the start of a sync run: an empty store (no interaction at all) with no contact state
    folded yet drops DEFERRED_INDEXES, so the run's pages insert without maintaining them; any
    other store gets them back if they are missing.

    Why this is safe: every page still commits with its cursor, and an index changes how fast
    a query runs, never what it returns. A first sync killed half-way leaves stored pages and
    no indexes; the next run (the restart) finds the store not empty and builds them before its
    first page. Two runs starting on one empty store both go without; whichever finishes first
    builds them, and the other's remaining pages maintain them as usual. A state folded (by an
    evaluation) before or during the first sync makes its pages mark what they touch, which
    looks stored mail up by Message-ID and thread: those pages build the indexes first.
    """
    _one_at_a_time(connection)
    empty = connection.execute(select(InteractionRow.id).limit(1)).first() is None
    if empty:
        fingerprint = connection.execute(
            select(HEADER.c.fingerprint).where(HEADER.c.id == _STATE_HEADER)
        ).scalar()
        empty = fingerprint is None or fingerprint == UNFOLDED
    _set_indexes(connection, present=not empty)


# pg_advisory_xact_lock(int, int): "ti" in ASCII (touchbase indexes), beside run_lock's ("tr", id)
# and the daemon's ("tb", 1).
INDEX_CLASS, INDEX_OBJECT = 0x7469, 1


def _one_at_a_time(connection: Connection) -> None:
    """On PostgreSQL, runs look at and change DEFERRED_INDEXES one at a time, until their
    transaction ends. Two runs starting at once on one empty store each read the interactions
    (ACCESS SHARE, held to the end) and then asked for ACCESS EXCLUSIVE on them to drop the
    indexes: each waited for the other (a deadlock, seen on a fresh CI run). SQLite needs
    nothing: its write lock is held already."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(%s, %s)", (INDEX_CLASS, INDEX_OBJECT)
        )


def build_indexes(connection: Connection) -> None:
    """Create whichever of DEFERRED_INDEXES is missing (one pass over the table each)."""
    _set_indexes(connection, present=True)


def _set_indexes(connection: Connection, *, present: bool) -> None:
    """Make DEFERRED_INDEXES exist (or not); one look at the catalogue when they already do.

    Called after the transaction's first write: SQLite then holds the write lock, so no other
    run's DDL comes between the look and the change. PostgreSQL would let two runs race on the
    catalogue (a duplicate index name), so the table is locked first: SHARE ROW EXCLUSIVE
    conflicts with itself and with writers, not with readers; a DROP INDEX needs ACCESS
    EXCLUSIVE anyway.
    """
    _one_at_a_time(connection)
    names = set(_index_names(connection))
    todo = [index for index in DEFERRED_INDEXES if (index.name in names) != present]
    if not todo:
        return
    if connection.dialect.name == "postgresql":
        mode = "SHARE ROW EXCLUSIVE" if present else "ACCESS EXCLUSIVE"
        quote = connection.dialect.identifier_preparer.format_table
        tables = ", ".join(quote(table) for table in (INTERACTIONS, PARTICIPANTS))
        connection.exec_driver_sql(f"LOCK TABLE {tables} IN {mode} MODE")
    for index in todo:
        if present:
            connection.execute(CreateIndex(index, if_not_exists=True))
        else:
            connection.execute(DropIndex(index, if_exists=True))


def _index_names(connection: Connection) -> list[str]:
    """The names of the indexes on the two tables DEFERRED_INDEXES belong to: one catalogue
    query (the inspector's is one per table and then one per index on SQLite)."""
    if connection.dialect.name == "sqlite":
        return list(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN (?, ?)",
                (PARTICIPANTS.name, INTERACTIONS.name),
            ).scalars()
        )
    inspector = inspect(connection)
    return [
        index["name"]
        for table in (PARTICIPANTS.name, INTERACTIONS.name)
        for index in inspector.get_indexes(table)
        if index["name"]
    ]


def _take_turns(connection: Connection, account_id: int) -> None:
    """Lock the account's row for the rest of the page's transaction.

    Two imports of one account may run at once (two `touchbase import` of the same mbox, an
    import beside the daemon). Without this, SQLite read the highest id before the first insert
    took the write lock, and PostgreSQL saw the other run's rows committed in between: each run
    counted the other's rows above that id as its own (20,000 + 16,000 "new" for 20,000 rows,
    issue 13.10). Taking the lock first (SQLite's write lock, PostgreSQL's row lock) makes the
    pages of the two runs take turns, so what a page finds above the highest id is its own.

    On SQLite any write takes the (database-wide) lock, and the one written is `type`, not the
    key: a key set, even to itself, makes SQLite's foreign-key check walk every interaction of
    the account (fkScanChildren), at every page: 4 ms at 100,000 interactions, 49 ms at 1M.
    PostgreSQL skips that check for an unchanged key and keeps `id`, whose row lock also holds
    back inserts that reference the account (FOR UPDATE, not FOR NO KEY UPDATE).
    """
    column = "type" if connection.dialect.name == "sqlite" else "id"
    connection.execute(
        update(Account)
        .where(Account.id == account_id)
        .values({column: Account.__table__.c[column]})
    )


def _existing(
    connection: Connection, column: Any, account_id: int, keys: Sequence[str], *extra: Any
) -> dict[str, tuple[Any, ...]]:
    """The rows of this account among `keys`: key -> the `extra` columns' values."""
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        rows = connection.execute(
            select(column, *extra).where(column.table.c.account_id == account_id, column.in_(chunk))
        )
        found.update((row[0], tuple(row[1:])) for row in rows)
    return found


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
_VALUE: dict[Any, str] = {e: e.value for enum in (Kind, Role, Response) for e in enum}


def _same(value: Any) -> Any:
    return value


def _row(
    account_id: int, r: Record, now: Any, when: Callable[[Any], Any] = _same
) -> tuple[Any, ...]:
    """An interactions row in ROW_COLUMNS order (plain str for enums: drivers differ on them).
    `when` turns the record's times into what the row holds (`now` is given converted)."""
    return (
        account_id,
        r.source_id,
        _VALUE[r.kind],
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


def _participant_rows(pairs: Iterable[tuple[int, Record]]) -> list[tuple[Any, ...]]:
    value = _VALUE
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
# others (_insert_new's `fixed`) are one value for all of a page's mail: the account, the kind,
# the stamp, and what mail never has (an end, a removal, a digest, a version). Written into
# the INSERT, not bound per row: 18 bound values a row down to 11, so 90 rows a statement
# instead of 55. With the participants' (below): a replay of the bench's 100,000 recorded
# Dovecot answers into an empty store, 4.9 -> 4.1-4.25 s CPU for the whole first sync.
_MAIL_COLUMNS = (
    "source_id", "occurred_at", "subject", "message_id", "in_reply_to", "references",
    "thread_id", "folder", "flags", "parties", "subject_key",
)  # fmt: skip


def _mail_rows(records: Sequence[Record]) -> list[tuple[Any, ...]] | None:
    """_row's _MAIL_COLUMNS on SQLite for records of one kind that is not a meeting, none with
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
_PLAIN_PARTY: tuple[tuple[str, bool | None], ...] = (
    ("response", None),
    ("resource", False),
    ("optional", False),
    ("is_self", False),
)


def _plain_participant_rows(pairs: Sequence[tuple[int, Record]]) -> list[tuple[Any, ...]] | None:
    """_participant_rows' first four columns, when every participant's last four are
    _PLAIN_PARTY's values (all mail); None when any is not (a meeting's attendees)."""
    value = _VALUE
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


def _store_interactions(
    connection: Connection, account_id: int, records: Iterable[Record], now: datetime
) -> tuple[int, int, int]:
    """Insert new records, update changed ones; return (stored, updated, unchanged)."""
    unique: dict[str, Record] = {}
    reusing: list[Record] = []  # other messages with a Message-ID already in this page
    total = 0
    for record in records:
        total += 1
        held = unique.get(record.source_id)
        if held is not None and _message_key(held) != _message_key(record):
            reusing.append(record)
            continue
        unique[record.source_id] = record  # a later copy in the same page is the fresher one
    if not unique:
        return 0, 0, total
    # Mail never changes once written (no digest): insert it all, let the unique key drop what
    # is stored already, and learn the new rows' ids from one range scan. Meetings may have
    # changed, so they are looked up first and updated in place when their digest differs.
    mail = [r for r in unique.values() if r.kind is not Kind.MEETING]
    meetings = [r for r in unique.values() if r.kind is Kind.MEETING]
    stored = _insert_mail(connection, account_id, mail, reusing, now) if mail else 0
    new_meetings, changed = _sort_meetings(connection, account_id, meetings)
    if new_meetings:
        stored += len(_insert_new(connection, account_id, new_meetings, now))
    for row_id, record in changed:
        values = dict(zip(ROW_COLUMNS, _row(account_id, record, now), strict=True))
        del values["stored_at"], values["account_id"], values["source_id"]
        connection.execute(
            update(InteractionRow).where(InteractionRow.id == row_id).values(**values)
        )
        connection.execute(delete(ParticipantRow).where(ParticipantRow.interaction_id == row_id))
        participants = _participant_rows([(row_id, record)])
        bulk_insert(connection, PARTICIPANTS, PARTY_COLUMNS, participants)
    versioned = [r.source_id for r in (*new_meetings, *(r for _, r in changed)) if r.version]
    if versioned:  # copies of these meetings in other accounts: the newest stands (issue 14.4)
        settle(connection, versioned)
    return stored, len(changed), total - stored - len(changed)


def _sort_meetings(
    connection: Connection, account_id: int, meetings: list[Record]
) -> tuple[list[Record], list[tuple[int, Record]]]:
    """The meetings not stored yet, and the stored ones whose digest changed (with their ids)."""
    if not meetings:
        return [], []
    by_key = {r.source_id: r for r in meetings}
    seen = _existing(
        connection, InteractionRow.source_id, account_id, list(by_key), InteractionRow.id,
        InteractionRow.digest, InteractionRow.removed_at,
    )  # fmt: skip
    new = [r for key, r in by_key.items() if key not in seen]
    # A tombstoned meeting listed again is back (it left a calendarView window and returned, a
    # resync found it): rewriting the row clears removed_at.
    changed = [
        (row_id, by_key[key])
        for key, (row_id, old_digest, removed_at) in seen.items()
        if digest(by_key[key]) != old_digest or removed_at is not None
    ]
    return new, changed


def _message_key(record: Record) -> tuple[Any, ...] | None:
    """What tells two messages with one Message-ID apart (issue 14.6): the date and the sender.

    None for records whose source id is not their Message-ID (Gmail, Graph: the provider's own
    id, unique per message) and for meetings. Only the key headers count, not the subject or
    the recipients: a mailing list tags the subject and a Sent copy alone carries the Bcc, and
    both copies are still one message.
    """
    if record.kind is not Kind.MAIL or not record.message_id:
        return None
    if not record.source_id.endswith(record.message_id):  # files: <id>; IMAP: sent:<id>
        return None
    senders = sorted(p.address for p in record.participants if p.role is Role.FROM)
    return (record.occurred_at.astimezone(UTC).isoformat(), *senders)


def _variant(record: Record) -> Record:
    """The record under a source id of its own: its Message-ID plus a hash of its key headers,
    the same every time the same message is seen, so importing it again stores nothing."""
    key = "\x1f".join(_message_key(record) or ())
    tag = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return replace(record, source_id=f"{record.source_id}#{tag}")


def _insert_mail(
    connection: Connection,
    account_id: int,
    mail: list[Record],
    reusing: list[Record],
    now: datetime,
) -> int:
    """Insert new mail; a message whose Message-ID is stored already for another message
    (another sender or date) is stored under its variant id instead of being dropped as a
    duplicate. Same Message-ID and key headers: a duplicate. `reusing` are messages whose
    Message-ID another record of the page holds. Nothing is looked up for mail that was new,
    so a first import pays nothing for this."""
    inserted = _insert_new(connection, account_id, mail, now)
    taken = [r for r in mail if r.source_id not in inserted and _message_key(r) is not None]
    taken += reusing
    if not taken:
        return len(inserted)
    # Whatever holds the plain id now (stored before, or just inserted) is the message that
    # owns it; every other message under that id is stored under its variant.
    holders = _stored_message_keys(connection, account_id, sorted({r.source_id for r in taken}))
    variants = {
        v.source_id: v
        for v in (_variant(r) for r in taken if holders.get(r.source_id) != _message_key(r))
    }
    more = _insert_new(connection, account_id, list(variants.values()), now) if variants else {}
    return len(inserted) + len(more)


def _stored_message_keys(
    connection: Connection, account_id: int, source_ids: list[str]
) -> dict[str, tuple[Any, ...]]:
    """_message_key of stored mail, from its row and its FROM participants."""
    found: dict[str, tuple[datetime, list[str]]] = {}
    for start in range(0, len(source_ids), _IN_CHUNK):
        rows = connection.execute(
            select(InteractionRow.source_id, InteractionRow.occurred_at, ParticipantRow.address)
            .select_from(InteractionRow)
            .outerjoin(
                ParticipantRow,
                (ParticipantRow.interaction_id == InteractionRow.id)
                & (ParticipantRow.role == Role.FROM.value),
            )
            .where(
                InteractionRow.account_id == account_id,
                InteractionRow.source_id.in_(source_ids[start : start + _IN_CHUNK]),
            )
        )
        for source_id, occurred_at, address in rows:
            senders = found.setdefault(source_id, (occurred_at, []))[1]
            if address is not None:
                senders.append(address)
    return {
        key: (occurred_at.astimezone(UTC).isoformat(), *sorted(senders))
        for key, (occurred_at, senders) in found.items()
    }


def _insert_new(
    connection: Connection, account_id: int, records: list[Record], now: datetime
) -> dict[str, int]:
    """Insert the records not stored yet, with their participants; return the new ones' ids.

    The rows inserted are the account's rows above the highest id before the insert: the
    account has one writer at a time (the instance lock, or the sync lease), and this
    transaction holds the database's write lock from its first insert on.
    """
    before = connection.execute(select(func.max(InteractionRow.id))).scalar() or 0
    columns: Sequence[str] = ROW_COLUMNS
    fixed: tuple[tuple[str, Fixed], ...] = ()
    rows: list[tuple[Any, ...]] | None = None
    if connection.dialect.name == "sqlite":
        # The rows are built in SQLite's stored form at once (bulk.sqlite_utc for the times,
        # `now` converted once), not converted again by bulk_insert: 0.3 s per 100,000.
        stamp = sqlite_utc(now)
        rows = _mail_rows(records)
        if rows is not None:
            columns = _MAIL_COLUMNS
            fixed = (
                ("account_id", account_id),
                ("kind", _VALUE[records[0].kind]),
                ("ended_at", None),
                ("removed_at", None),
                ("stored_at", stamp),
                ("digest", ""),
                ("version", None),
            )
        else:
            rows = [_row(account_id, r, stamp, sqlite_utc) for r in records]
        ready = True
    else:
        rows = [_row(account_id, r, now) for r in records]
        ready = False
    inserted = bulk_insert(
        connection,
        INTERACTIONS,
        columns,
        rows,
        skip_conflicts_on=("account_id", "source_id"),
        ready=ready,
        fixed=fixed,
    )
    if connection.dialect.name == "sqlite" and inserted == len(rows) and before < _ROWID_ROOM:
        # Every row was new, and SQLite gives a row without an id the table's largest plus
        # one (https://sqlite.org/autoinc.html) under the write lock this transaction holds:
        # the ids are the next ones in order, no need to read them back (0.3 s per 100k).
        ids = {r.source_id: before + n for n, r in enumerate(records, 1)}
    else:
        ids = dict(
            connection.execute(
                select(InteractionRow.source_id, InteractionRow.id).where(
                    InteractionRow.id > before, InteractionRow.account_id == account_id
                )
            ).all()
        )
    if ids:
        pairs = [(ids[r.source_id], r) for r in records if r.source_id in ids]
        plain = _plain_participant_rows(pairs)
        if plain is not None:
            bulk_insert(connection, PARTICIPANTS, PARTY_COLUMNS[:4], plain, fixed=_PLAIN_PARTY)
        else:
            bulk_insert(connection, PARTICIPANTS, PARTY_COLUMNS, _participant_rows(pairs))
    return ids


def _quarantine(connection: Connection, account_id: int, page: Page, now: datetime) -> int:
    """One entry per record and file it came from (issue 14.9): the same broken id in four
    files is four entries, each naming its file; seen again, an entry's reason is refreshed."""
    if not page.quarantined:
        return 0
    # Both parts of the key are cut to their columns' length: a hostile file's id must not
    # fail the page on PostgreSQL, which refuses a value longer than its column.
    reasons = {
        (q.source_id[:_KEY_LENGTH], q.location[:_KEY_LENGTH]): q.reason for q in page.quarantined
    }
    ids = sorted({source_id for source_id, _ in reasons})
    seen: set[tuple[str, str]] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        rows = connection.execute(
            select(QuarantinedRecord.source_id, QuarantinedRecord.location).where(
                QuarantinedRecord.account_id == account_id,
                QuarantinedRecord.source_id.in_(ids[start : start + _IN_CHUNK]),
            )
        )
        seen.update((source_id, location) for source_id, location in rows)
    for source_id, location in seen & set(reasons):
        connection.execute(
            update(QuarantinedRecord)
            .where(
                QuarantinedRecord.account_id == account_id,
                QuarantinedRecord.source_id == source_id,
                QuarantinedRecord.location == location,
            )
            .values(last_seen=now, reason=reasons[source_id, location])
        )
    new = [
        {
            "account_id": account_id,
            "source_id": source_id,
            "location": location,
            "reason": reason,
            "first_seen": now,
            "last_seen": now,
        }
        for (source_id, location), reason in reasons.items()
        if (source_id, location) not in seen
    ]
    if new:
        connection.execute(insert(QuarantinedRecord), new)
    return len(reasons)


def _tombstone(
    connection: Connection, account_id: int, source_ids: list[str], now: datetime
) -> int:
    """Mark these records removed, but only what can stop being true (issue 15.4).

    A meeting moved or cancelled is a fact that changed; a message sent or received, once seen,
    happened, whatever folder it is in now: Graph reports a message moved out of a folder as
    `@removed`, IMAP as an expunge, Gmail as a label removed. So mail is never tombstoned, only
    meetings and our own drafts (a draft deleted or sent is no draft any more).
    """
    removed = 0
    for start in range(0, len(source_ids), _IN_CHUNK):
        result = connection.execute(
            update(InteractionRow)
            .where(
                InteractionRow.account_id == account_id,
                InteractionRow.source_id.in_(source_ids[start : start + _IN_CHUNK]),
                InteractionRow.removed_at.is_(None),
                _may_vanish(),
            )
            .values(removed_at=now)
        )
        removed += result.rowcount
    return removed


def _may_vanish() -> Any:
    """Rows a provider's tombstone may mark removed: meetings, and drafts (flag "draft")."""
    return (InteractionRow.kind == Kind.MEETING.value) | InteractionRow.flags.contains(
        Flag.DRAFT.value
    )


def _sweep(connection: Connection, account_id: int, page: Page, now: datetime) -> int:
    """One page of a reconciling resync (connectors/base.py Sweep); returns how many it removed.

    Runs in the page's transaction, after its interactions are stored: the ids it listed join
    the stream's seen set; the last page tombstones the rows in scope that were never listed.
    """
    sweep = page.sweep
    assert sweep is not None
    mine = (SWEEP_SEEN.c.account_id == account_id) & (SWEEP_SEEN.c.stream == sweep.stream)
    if sweep.started:
        connection.execute(delete(SWEEP_SEEN).where(mine))
    seen = sorted({r.source_id for r in page.interactions})
    bulk_insert(
        connection,
        SWEEP_SEEN,
        ("account_id", "stream", "source_id"),
        [(account_id, sweep.stream, key) for key in seen],
        skip_conflicts_on=("account_id", "stream", "source_id"),
    )
    if not sweep.done:
        return 0
    scope = [
        InteractionRow.account_id == account_id,
        InteractionRow.folder == sweep.folder,
        InteractionRow.removed_at.is_(None),
        _may_vanish(),
        InteractionRow.source_id.notin_(select(SWEEP_SEEN.c.source_id).where(mine)),
    ]
    if sweep.since is not None:
        scope.append(InteractionRow.occurred_at >= sweep.since)
    if sweep.until is not None:
        scope.append(InteractionRow.occurred_at < sweep.until)
    result = connection.execute(update(InteractionRow).where(*scope).values(removed_at=now))
    connection.execute(delete(SWEEP_SEEN).where(mine))
    return result.rowcount


def _set_cursor(connection: Connection, account_id: int, value: str, now: datetime) -> None:
    result = connection.execute(
        update(Cursor).where(Cursor.account_id == account_id).values(value=value, updated_at=now)
    )
    if result.rowcount == 0:
        connection.execute(
            insert(Cursor).values(account_id=account_id, value=value, updated_at=now)
        )


def count_interactions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(InteractionRow)) or 0
