"""The store keeps a page and its cursor together and never doubles a record, on both engines."""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import (
    Cursor,
    InteractionRow,
    ParticipantRow,
    QuarantinedRecord,
    SyncRun,
)
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.base import Flag, Kind, Page, Quarantined, Role
from touchbase.connectors.base import InteractionRecord as Record
from touchbase.connectors.base import Participant as P
from touchbase.connectors.errors import AuthError
from touchbase.connectors.memory import MemorySource

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def record(n: int) -> Record:
    return Record(
        source_id=f"id-{n}",
        kind=Kind.MAIL,
        occurred_at=NOW - timedelta(days=n),
        participants=(P("me@x.org", Role.FROM), P(f"p{n}@y.org", Role.TO, "P N")),
        subject=f"subject {n}",
        message_id=f"<{n}@x.org>",
        references=("<a@x>", "<b@x>"),
        flags=frozenset({Flag.BULK}),
    )


def counts(store: Store) -> tuple[int, int, int]:
    with store.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(InteractionRow)) or 0,
            s.scalar(select(func.count()).select_from(ParticipantRow)) or 0,
            s.scalar(select(func.count()).select_from(QuarantinedRecord)) or 0,
        )


def test_a_page_twice_stores_once_and_round_trips_aware_times(db_url: str) -> None:
    store = Store(open_database(db_url))
    account = store.ensure_account("a", "memory", NOW)
    run = store.start_run(account, NOW)
    page = Page(
        interactions=[record(1), record(2), record(1)],
        cursor="c1",
        quarantined=[Quarantined("bad-1", "no Date header")],
    )
    first = store.save_page(account, run, page, NOW)
    second = store.save_page(account, run, page, NOW)
    assert (first.stored, first.duplicates, first.quarantined) == (2, 1, 1)
    assert (second.stored, second.duplicates) == (0, 3)
    assert counts(store) == (2, 4, 1)
    assert store.cursor(account) == "c1"
    with store.sessions() as s:
        item = s.scalars(select(InteractionRow).where(InteractionRow.source_id == "id-1")).one()
        assert item.occurred_at == NOW - timedelta(days=1)
        assert item.occurred_at.tzinfo is not None
        assert item.flags == "bulk" and item.references == "<a@x> <b@x>"
        assert {(p.address, p.role) for p in item.participants} == {
            ("me@x.org", "from"),
            ("p1@y.org", "to"),
        }
        assert s.scalar(select(SyncRun.pages).where(SyncRun.id == run)) == 2


def test_a_failed_page_leaves_no_trace_and_no_cursor(db_url: str) -> None:
    store = Store(open_database(db_url))
    account = store.ensure_account("a", "memory", NOW)
    run = store.start_run(account, NOW)
    broken = Record(
        source_id="x" * 600,  # longer than the column allows on PostgreSQL; SQLite accepts it
        kind=Kind.MAIL,
        occurred_at=NOW.replace(tzinfo=None),  # a naive datetime is refused by the store
        participants=(),
    )
    try:
        store.save_page(account, run, Page(interactions=[record(1), broken], cursor="c9"), NOW)
    except Exception:
        pass
    else:  # pragma: no cover - the store must refuse the naive time
        raise AssertionError("a naive timestamp was stored")
    assert counts(store) == (0, 0, 0)
    assert store.cursor(account) is None


def test_sync_resumes_from_the_stored_cursor_after_a_dropped_connection(db_url: str) -> None:
    store = Store(open_database(db_url))
    source = MemorySource(page_size=2, fail_after_pages=2)
    source.add(*(record(n) for n in range(1, 8)))
    account = store.ensure_account("mem", "memory", NOW)
    first = sync_account(store, account, "mem", source, clock=lambda: NOW)
    assert first.status == "transient" and first.stored == 4
    source.fail_after_pages = None
    second = sync_account(store, account, "mem", source, clock=lambda: NOW)
    assert second.status == "ok" and second.stored == 3 and second.duplicates == 0
    assert counts(store)[0] == 7


def test_an_auth_error_ends_the_run_with_its_advice(db_url: str) -> None:
    class Refusing(MemorySource):
        def pull(self, cursor):  # type: ignore[no-untyped-def]
            raise AuthError("token revoked", advice="run: touchbase auth work")
            yield  # pragma: no cover

    store = Store(open_database(db_url))
    account = store.ensure_account("work", "memory", NOW)
    result = sync_account(store, account, "work", Refusing(), clock=lambda: NOW)
    assert (result.status, result.advice) == ("auth", "run: touchbase auth work")
    with store.sessions() as s:
        assert s.scalar(select(SyncRun.status)) == "auth"
        assert s.scalar(select(func.count()).select_from(Cursor)) == 0


def test_migrating_twice_is_a_no_op(db_url: str) -> None:
    open_database(db_url)
    store = Store(open_database(db_url))
    assert counts(store) == (0, 0, 0)


def test_a_moved_or_cancelled_meeting_is_updated_in_place(db_url: str) -> None:
    store = Store(open_database(db_url))
    account = store.ensure_account("cal", "memory", NOW)
    run = store.start_run(account, NOW)
    meeting = Record(
        source_id="uid-1",
        kind=Kind.MEETING,
        occurred_at=NOW,
        ended_at=NOW + timedelta(hours=1),
        participants=(P("me@x.org", Role.ORGANIZER), P("ann@y.org", Role.ATTENDEE)),
        subject="Coffee",
    )
    moved = Record(
        source_id="uid-1",
        kind=Kind.MEETING,
        occurred_at=NOW + timedelta(days=1),
        ended_at=NOW + timedelta(days=1, hours=1),
        participants=(P("me@x.org", Role.ORGANIZER), P("bob@y.org", Role.ATTENDEE)),
        subject="Coffee",
        flags=frozenset({Flag.CANCELLED}),
    )
    assert store.save_page(account, run, Page(interactions=[meeting]), NOW).stored == 1
    result = store.save_page(account, run, Page(interactions=[moved]), NOW)
    assert (result.stored, result.updated, result.duplicates) == (0, 1, 0)
    again = store.save_page(account, run, Page(interactions=[moved]), NOW)
    assert (again.stored, again.updated, again.duplicates) == (0, 0, 1)
    with store.sessions() as s:
        row = s.scalars(select(InteractionRow)).one()
        assert row.occurred_at == NOW + timedelta(days=1) and row.flags == "cancelled"
        assert sorted(p.address for p in row.participants) == ["bob@y.org", "me@x.org"]
    assert counts(store) == (1, 2, 0)


def test_bulk_written_times_compare_like_orm_written_ones(db_url: str) -> None:
    """The bulk path writes timestamps itself; queries with bound times must still agree."""
    store = Store(open_database(db_url))
    account = store.ensure_account("a", "memory", NOW)
    run = store.start_run(account, NOW)
    store.save_page(account, run, Page(interactions=[record(n) for n in range(1, 6)]), NOW)
    boundary = NOW - timedelta(days=3)  # record(3) sits exactly on it
    with store.sessions() as s:
        on_or_after = s.scalar(
            select(func.count())
            .select_from(InteractionRow)
            .where(InteractionRow.occurred_at >= boundary)
        )
        exactly = s.scalar(
            select(func.count())
            .select_from(InteractionRow)
            .where(InteractionRow.occurred_at == boundary)
        )
    assert (on_or_after, exactly) == (3, 1)


def test_one_broken_id_in_two_files_is_two_entries_and_seen_again_is_still_two(
    db_url: str,
) -> None:
    store = Store(open_database(db_url))
    account = store.ensure_account("f", "files", NOW)
    run = store.start_run(account, NOW)
    page = Page(
        quarantined=[
            Quarantined("event@uid", "a.ics: no DTSTART", "a.ics"),
            Quarantined("event@uid", "b.ics: no DTSTART", "b.ics"),
            Quarantined("x" * 3000, "a hostile id", "c.ics"),  # longer than the column
        ]
    )
    assert store.save_page(account, run, page, NOW).quarantined == 3
    store.save_page(account, run, page, NOW + timedelta(hours=1))
    with store.sessions() as s:
        rows = s.scalars(select(QuarantinedRecord).order_by(QuarantinedRecord.location)).all()
        assert [(r.location, r.reason) for r in rows] == [
            ("a.ics", "a.ics: no DTSTART"),
            ("b.ics", "b.ics: no DTSTART"),
            ("c.ics", "a hostile id"),
        ]
        assert all(r.last_seen == NOW + timedelta(hours=1) for r in rows)


def mail(source_id: str, sender: str, day: int, message_id: str = "<m@x.org>") -> Record:
    return Record(
        source_id=source_id,
        kind=Kind.MAIL,
        occurred_at=NOW - timedelta(days=day),
        participants=(P(sender, Role.FROM), P("me@x.org", Role.TO)),
        message_id=message_id,
    )


def test_a_message_id_reused_by_another_message_stores_both_once(db_url: str) -> None:
    store = Store(open_database(db_url))
    account = store.ensure_account("a", "files", NOW)
    run = store.start_run(account, NOW)
    first = Page(interactions=[mail("<m@x.org>", "ann@y.org", 1)])
    second = Page(
        interactions=[
            mail("<m@x.org>", "bob@y.org", 2),  # another sender and date
            mail("<m@x.org>", "ann@y.org", 1),  # the first again
            mail("sent:<m@x.org>", "ann@y.org", 5),  # IMAP's ids: folder kind and Message-ID
            mail("sent:<m@x.org>", "ann@y.org", 6),
        ]
    )
    assert store.save_page(account, run, first, NOW).stored == 1
    assert (r := store.save_page(account, run, second, NOW)).stored == 3 and r.duplicates == 1
    assert store.save_page(account, run, second, NOW).stored == 0
    with store.sessions() as s:
        ids = sorted(s.scalars(select(InteractionRow.source_id)).all())
    assert len(ids) == 4 and ids[0] == "<m@x.org>" and ids[1].startswith("<m@x.org>#")


def test_provider_ids_that_are_not_message_ids_stay_duplicates(db_url: str) -> None:
    store = Store(open_database(db_url))
    account = store.ensure_account("g", "gmail", NOW)
    run = store.start_run(account, NOW)
    store.save_page(account, run, Page(interactions=[mail("18c2f", "ann@y.org", 1)]), NOW)
    again = store.save_page(account, run, Page(interactions=[mail("18c2f", "bob@y.org", 2)]), NOW)
    assert (again.stored, again.duplicates) == (0, 1)


def test_two_runs_of_one_account_at_once_each_count_only_what_they_stored(db_url: str) -> None:
    """Issue 13.10: two imports of one mailbox at once reported 20,000 + 16,000 new."""
    records = [record(n) for n in range(1, 1201)]
    store = Store(open_database(db_url))
    account = store.ensure_account("twice", "memory", NOW)
    results: list[int] = []

    def run() -> None:
        source = MemorySource(page_size=25)
        source.add(*records)
        own = Store(open_database(db_url))
        results.append(sync_account(own, account, "twice", source, clock=lambda: NOW).stored)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts(store)[0] == 1200
    assert sum(results) == 1200, results


_MAIL = st.tuples(
    st.sampled_from(["<a@x>", "<b@x>"]), st.sampled_from(["ann", "bob"]), st.integers(1, 2)
)


@settings(max_examples=12, deadline=None)
@given(st.lists(_MAIL, max_size=12), st.integers(1, 5), st.randoms())
def test_stored_mail_is_one_row_per_message_id_and_key_headers_in_any_order(
    messages: list[tuple[str, str, int]], page_size: int, rng: random.Random
) -> None:
    """However messages sharing Message-IDs arrive (order, pages, again), each distinct
    (Message-ID, sender, date) is stored exactly once."""
    folder = tempfile.mkdtemp(prefix="tb-store-")
    try:
        store = Store(open_database(f"sqlite:///{folder}/t.db"))
        account = store.ensure_account("p", "files", NOW)
        run = store.start_run(account, NOW)
        records = [mail(mid, f"{who}@y.org", day, mid) for mid, who, day in messages]
        stored = 0
        for attempt in range(2):
            order = records[:]
            rng.shuffle(order)
            for start in range(0, len(order), page_size):
                page = Page(interactions=order[start : start + page_size])
                stored += store.save_page(account, run, page, NOW).stored
            assert stored == len(set(messages)), attempt
        with store.sessions() as s:
            assert s.scalar(select(func.count()).select_from(InteractionRow)) == len(set(messages))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_two_runs_creating_one_account_at_once_both_get_it(db_url: str) -> None:
    """Two `touchbase import` of one path start together: both look, neither finds, both
    insert; the loser must get the winner's account, not an IntegrityError."""
    stores = [Store(open_database(db_url)) for _ in range(2)]
    names = [f"import:/mail/{n}" for n in range(15)]
    barrier = threading.Barrier(2)
    got: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            for name in names:
                barrier.wait()
                got[index].append(stores[index].ensure_account(name, "files", NOW))
        except BaseException as error:  # reported below, with the other thread released
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert got[0] == got[1] and len(set(got[0])) == len(names)
