"""Tombstones and reconciling resyncs in the store (issue 15.3, 15.4), on both engines.

Mail once seen stays counted whatever the provider says about it later (moved, archived,
expunged); meetings are what can vanish. A reconciling resync (connectors/base.py Sweep)
tombstones the meetings in its window it did not list, on its last page only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import InteractionRow
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import Flag, Kind, Page, Role, Sweep
from touchbase.connectors.base import InteractionRecord as Record
from touchbase.connectors.base import Participant as P

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)


def mail(n: int, *flags: Flag) -> Record:
    return Record(
        f"mail-{n}",
        Kind.MAIL,
        NOW - timedelta(days=n),
        (P("me@x.org", Role.FROM), P(f"p{n}@y.org", Role.TO)),
        folder="inbox",
        flags=frozenset(flags),
    )


def meeting(n: int, folder: str = "primary", days_ago: int | None = None) -> Record:
    return Record(
        f"event-{n}",
        Kind.MEETING,
        NOW - timedelta(days=n if days_ago is None else days_ago),
        (P("me@x.org", Role.ORGANIZER), P(f"p{n}@y.org", Role.ATTENDEE)),
        folder=folder,
    )


def alive(store: Store) -> set[str]:
    with store.sessions() as s:
        rows = s.scalars(
            select(InteractionRow.source_id).where(InteractionRow.removed_at.is_(None))
        )
        return set(rows)


def start(db_url: str) -> tuple[Store, int, int]:
    store = Store(open_database(db_url))
    account = store.ensure_account("a", "gcal", NOW)
    return store, account, store.start_run(account, NOW)


def test_mail_moved_or_archived_stays_counted_and_meetings_can_go(db_url: str) -> None:
    # Graph delivers a message moved out of a tracked folder as @removed ("Delta query
    # overview": removed items carry "@removed" with reason "changed" or "deleted").
    store, account, run = start(db_url)
    records = [mail(1), mail(2, Flag.DRAFT), meeting(3)]
    store.save_page(account, run, Page(records, cursor="c1"), NOW)
    result = store.save_page(
        account, run, Page(removed=["mail-1", "mail-2", "event-3"], cursor="c2"), NOW
    )
    assert result.removed == 2
    assert alive(store) == {"mail-1"}


def sweep(**kw: object) -> Sweep:
    return Sweep("calendar:primary", "primary", since=SINCE, **kw)  # type: ignore[arg-type]


def test_a_completed_resync_tombstones_meetings_it_did_not_list_in_its_window(
    db_url: str,
) -> None:
    store, account, run = start(db_url)
    stored = [meeting(1), meeting(2), meeting(3), meeting(4, days_ago=60), meeting(5, "other")]
    store.save_page(account, run, Page([*stored, mail(6)], cursor="c0"), NOW)
    first = Page([meeting(1)], cursor="c1", resync=True, sweep=sweep(started=True))
    assert store.save_page(account, run, first, NOW).removed == 0
    assert alive(store) == {"event-1", "event-2", "event-3", "event-4", "event-5", "mail-6"}
    last = Page([meeting(3)], cursor="c2", sweep=sweep(done=True))
    assert store.save_page(account, run, last, NOW).removed == 1
    # event-2 went while the token was dead; event-4 is older than the window; event-5 is
    # another calendar's; mail is never swept
    assert alive(store) == {"event-1", "event-3", "event-4", "event-5", "mail-6"}


def test_a_resync_started_again_forgets_what_the_unfinished_one_saw(db_url: str) -> None:
    store, account, run = start(db_url)
    store.save_page(account, run, Page([meeting(1), meeting(2)], cursor="c0"), NOW)
    store.save_page(account, run, Page([meeting(2)], cursor="c1", sweep=sweep(started=True)), NOW)
    store.save_page(account, run, Page([meeting(1)], cursor="c2", sweep=sweep(started=True)), NOW)
    store.save_page(account, run, Page([], cursor="c3", sweep=sweep(done=True)), NOW)
    assert alive(store) == {"event-1"}


def test_a_tombstoned_meeting_listed_again_is_back(db_url: str) -> None:
    store, account, run = start(db_url)
    store.save_page(account, run, Page([meeting(1)], cursor="c0"), NOW)
    store.save_page(account, run, Page(removed=["event-1"], cursor="c1"), NOW)
    assert alive(store) == set()
    store.save_page(account, run, Page([meeting(1)], cursor="c2"), NOW)
    assert alive(store) == {"event-1"}


@settings(max_examples=40, deadline=None)
@given(
    before=st.sets(st.integers(1, 12)),
    listed=st.lists(st.sets(st.integers(1, 12)), min_size=1, max_size=4),
    crash_at=st.integers(0, 4),
)
def test_a_sweep_cut_short_deletes_nothing_and_a_whole_one_leaves_what_it_listed(
    before: set[int], listed: list[set[int]], crash_at: int
) -> None:
    """Invariant: until the sweep's last page is stored nothing is tombstoned; after it, the
    meetings alive are exactly the ones the sweep listed."""
    store = Store(open_database("sqlite://"))
    account = store.ensure_account("a", "gcal", NOW)
    run = store.start_run(account, NOW)
    store.save_page(account, run, Page([meeting(n) for n in sorted(before)], cursor="c"), NOW)
    pages = [
        Page(
            [meeting(n) for n in sorted(ids)],
            cursor=f"s{i}",
            sweep=sweep(started=i == 0, done=i == len(listed) - 1),
        )
        for i, ids in enumerate(listed)
    ]
    cut = min(crash_at, len(pages) - 1)
    for page in pages[:cut]:  # a crash after `cut` pages: the run ends there
        store.save_page(account, run, page, NOW)
    seen_so_far = set().union(*listed[:cut]) if cut else set()
    assert alive(store) == {f"event-{n}" for n in before | seen_so_far}
    for page in pages[cut:]:  # the next run resumes from the stored cursor
        store.save_page(account, run, page, NOW)
    assert alive(store) == {f"event-{n}" for n in set().union(*listed)}
