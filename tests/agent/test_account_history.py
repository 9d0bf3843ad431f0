"""What the safety valve reads (evaluation.account_history), on both engines: per account whose
latest run was a full resync, the interactions it had and those the resync still saw (no more
than are alive: the provider's tombstones count as gone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.evaluation import account_history
from touchbase.agent.pipeline.models import SyncRun
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Role
from touchbase.connectors.base import Participant as P

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def meeting(n: int) -> InteractionRecord:
    return InteractionRecord(
        f"event-{n}",
        Kind.MEETING,
        NOW - timedelta(days=n),
        (P("me@x.org", Role.ORGANIZER), P(f"p{n}@y.org", Role.ATTENDEE)),
        folder="primary",
    )


def sync(store: Store, account: int, page: Page, at: datetime) -> int:
    run = store.start_run(account, at)
    store.save_page(account, run, page, at)
    store.finish_run(run, "ok", at)
    return run


def seen(store: Store, run: int) -> int:
    with store.sessions() as session:
        row = session.get(SyncRun, run)
        assert row is not None
        return row.stored + row.duplicates


def test_a_resync_counts_what_it_had_and_what_is_still_there(db_url: str) -> None:
    store = Store(open_database(db_url))
    account = store.ensure_account("cal", "gcal", NOW)
    sync(store, account, Page([meeting(n) for n in range(1, 6)], cursor="c1"), NOW)
    with store.sessions() as session:
        assert account_history(session) == {}  # the latest run was no resync

    later = NOW + timedelta(hours=1)
    # The resync lists all five again but tombstones two: three are still there.
    again = [meeting(n) for n in range(1, 6)]
    page = Page(again, cursor="c2", removed=["event-3", "event-4"], resync=True)
    run = sync(store, account, page, later)
    assert seen(store, run) == 5
    with store.sessions() as session:
        assert account_history(session) == {"cal": (5, 3)}

    # One listed, all tombstoned: the wiped-mailbox case the valve stops on.
    gone = [f"event-{n}" for n in range(1, 6)]
    run = sync(store, account, Page([meeting(1)], cursor="c3", removed=gone, resync=True), later)
    assert seen(store, run) == 1
    with store.sessions() as session:
        assert account_history(session) == {"cal": (5, 0)}
