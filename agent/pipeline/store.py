"""Writing what connectors pull: a page and its cursor in one transaction, nothing doubled.

This is the heart of "nothing lost, nothing doubled" (DESIGN.md contract 1): `save_page` inserts
the page's new interactions (unique on account + source id, so a page seen twice stores nothing
the second time), its quarantined records and tombstones, the sync run's counters and the new
cursor, all in one transaction. Kill the process anywhere: either all of a page is stored with its
cursor, or none of it is and the next pull repeats it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.pipeline.address_book import save_contacts
from touchbase.agent.pipeline.bulk import Fixed, bulk_insert
from touchbase.agent.pipeline.contact_state import mark_page
from touchbase.agent.pipeline.first_sync import build_indexes, defer_or_build_indexes, unfolded
from touchbase.agent.pipeline.meeting_versions import settle
from touchbase.agent.pipeline.models import (
    Account,
    Cursor,
    InteractionRow,
    ParticipantRow,
    QuarantinedRecord,
    SweepSeen,
    SyncRun,
)
from touchbase.agent.pipeline.rows import (
    INTERACTIONS,
    MAIL_COLUMNS,
    PARTICIPANTS,
    PARTY_COLUMNS,
    PLAIN_PARTY,
    ROW_COLUMNS,
    VALUE,
    digest,
    interaction_row,
    mail_rows,
    participant_rows,
    plain_participant_rows,
)
from touchbase.agent.pipeline.stored_time import sqlite_utc
from touchbase.connectors.base import Flag, Kind, Page, Role
from touchbase.connectors.base import InteractionRecord as Record

SWEEP_SEEN: Table = SweepSeen.__table__  # type: ignore[assignment]
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
        participants' address index, which `finish_run` builds (`defer_or_build_indexes`)."""
        with self.sessions.begin() as session:
            run = SyncRun(account_id=account_id, started_at=now, status="running")
            session.add(run)
            session.flush()  # the write first: SQLite's lock is held for the look that follows
            defer_or_build_indexes(session.connection())
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
            if not unfolded(connection):
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
        values = dict(zip(ROW_COLUMNS, interaction_row(account_id, record, now), strict=True))
        del values["stored_at"], values["account_id"], values["source_id"]
        connection.execute(
            update(InteractionRow).where(InteractionRow.id == row_id).values(**values)
        )
        connection.execute(delete(ParticipantRow).where(ParticipantRow.interaction_id == row_id))
        participants = participant_rows([(row_id, record)])
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
    taken: list[Record] = []
    if len(inserted) < len(mail):  # some were stored already (every one new: none taken)
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
        # The rows are built in SQLite's stored form at once (stored_time.sqlite_utc for the times,
        # `now` converted once), not converted again by bulk_insert: 0.3 s per 100,000.
        stamp = sqlite_utc(now)
        rows = mail_rows(records)
        if rows is not None:
            columns = MAIL_COLUMNS
            fixed = (
                ("account_id", account_id),
                ("kind", VALUE[records[0].kind]),
                ("ended_at", None),
                ("removed_at", None),
                ("stored_at", stamp),
                ("digest", ""),
                ("version", None),
            )
        else:
            rows = [interaction_row(account_id, r, stamp, sqlite_utc) for r in records]
        ready = True
    else:
        rows = [interaction_row(account_id, r, now) for r in records]
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
        pairs = list(enumerate(records, before + 1))
        ids = {r.source_id: row_id for row_id, r in pairs}
    else:
        ids = dict(
            connection.execute(
                select(InteractionRow.source_id, InteractionRow.id).where(
                    InteractionRow.id > before, InteractionRow.account_id == account_id
                )
            ).all()
        )
        pairs = [(ids[r.source_id], r) for r in records if r.source_id in ids]
    if ids:
        plain = plain_participant_rows(pairs)
        if plain is not None:
            bulk_insert(connection, PARTICIPANTS, PARTY_COLUMNS[:4], plain, fixed=PLAIN_PARTY)
        else:
            bulk_insert(connection, PARTICIPANTS, PARTY_COLUMNS, participant_rows(pairs))
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
