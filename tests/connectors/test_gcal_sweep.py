"""A Calendar resync after 410 reconciles (issue 15.3): events deleted while the sync token was
dead are tombstoned once the resync completes, and a resync killed half-way deletes nothing.

Events: list, "Sync token is no longer valid, a full sync is required" (410 GONE): "the client
should clear its storage and perform a full synchronization without any syncToken"
(https://developers.google.com/calendar/api/guides/sync#full_sync_required_by_server).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.connectors.test_gcal import NOW, CalendarWorld, event_of
from tests.contract import make_spec
from tests.fakes.google import FakeGoogle
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role


def alive(store: Store) -> set[str]:
    with store.sessions() as s:
        return set(s.scalars(select(Row.source_id).where(Row.removed_at.is_(None))))


def test_a_resync_after_410_tombstones_what_went_and_a_killed_one_deletes_nothing(
    tmp_path: Path,
) -> None:
    with FakeGoogle() as fake:
        world = CalendarWorld(fake, tmp_path)  # two events a page
        ids = [
            fake.calendar.put_event(event_of(make_spec(date=NOW - timedelta(days=n))))
            for n in range(1, 8)
        ]
        store = Store(open_database(f"sqlite:///{tmp_path / 's.db'}"))
        account = store.ensure_account("cal", "gcal", NOW)
        # a meeting from before the calendar's past_days horizon: no resync lists it again
        old = InteractionRecord(
            "ancient",
            Kind.MEETING,
            NOW - timedelta(days=1000),
            (Participant("me@example.org", Role.ORGANIZER),),
            folder="primary",
        )
        store.save_page(account, store.start_run(account, NOW), Page([old]), NOW)
        assert sync_account(store, account, "cal", world.source()).status == "ok"
        assert alive(store) == {*ids, "ancient"}

        world.expire_cursors()
        fake.calendar.delete_event(ids[1])
        fake.calendar.delete_event(ids[5])
        pages = 0

        def kill_after_two() -> bool:
            nonlocal pages
            pages += 1
            return pages == 2

        cut = sync_account(store, account, "cal", world.source(), should_stop=kill_after_two)
        assert cut.resyncs == 1 and cut.removed == 0
        assert alive(store) == {*ids, "ancient"}, "a resync cut short deleted something"

        done = sync_account(store, account, "cal", world.source())
        assert done.status == "ok" and done.removed == 2
        assert alive(store) == {*ids, "ancient"} - {ids[1], ids[5]}
        again = sync_account(store, account, "cal", world.source())
        assert again.resyncs == 0 and again.removed == 0
