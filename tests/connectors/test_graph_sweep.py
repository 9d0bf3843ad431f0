"""Graph through the real store: a message moved out of a folder stays counted (issue 15.4), and
a calendar resync after 410 reconciles, from the 410's Location when it gives one (15.3, 15.6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.contract import make_spec
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import NOW, GraphWorld
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account


@pytest.fixture
def world() -> Iterator[GraphWorld]:
    with FakeGraph() as fake:
        world = GraphWorld(fake)
        yield world
        world.close()
        assert fake.send_attempts() == []


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(open_database(f"sqlite:///{tmp_path / 'g.db'}"))


def alive(store: Store) -> set[str]:
    with store.sessions() as s:
        return set(s.scalars(select(Row.source_id).where(Row.removed_at.is_(None))))


def test_a_message_archived_out_of_the_inbox_stays_counted(world: GraphWorld, store: Store) -> None:
    # "delta query for messages": a message moved out of the tracked folder is reported with
    # "@removed": {"reason": "changed"} (learn.microsoft.com/graph/delta-query-messages).
    world.add([make_spec(sent=False), make_spec(sent=False)])
    account = store.ensure_account("work", "outlook", NOW)
    assert sync_account(store, account, "work", world.source()).status == "ok"
    inbox = world.fake.mailbox.folder("inbox")
    moved = next(iter(inbox.items))
    world.fake.mailbox.move("inbox", moved, "archive")
    result = sync_account(store, account, "work", world.source())
    assert result.status == "ok" and result.removed == 0
    assert moved in alive(store) and len(alive(store)) == 2


def event(world: GraphWorld, days: int, subject: str) -> str:
    start = NOW - timedelta(days=days)
    return str(
        world.fake.mailbox.add_event(
            subject=subject,
            start=start,
            end=start + timedelta(hours=1),
            organizer="boss@example.com",
            attendees=[],
        )["id"]
    )


@pytest.mark.parametrize("location", [False, True], ids=["fresh-round", "410-location"])
def test_a_calendar_resync_tombstones_deleted_events_and_a_killed_one_deletes_nothing(
    world: GraphWorld, store: Store, location: bool
) -> None:
    world.settings = {"mail_folders": ["drafts"]}  # an empty folder: one page, then the calendar
    ids = [event(world, n, f"Meeting {n}") for n in range(1, 8)]
    account = store.ensure_account("work", "outlook", NOW)
    assert sync_account(store, account, "work", world.source()).status == "ok"
    assert alive(store) == set(ids)
    world.fake.gone_location = location
    world.expire_cursors()
    world.fake.mailbox.remove("calendar", ids[2])
    world.fake.mailbox.remove("calendar", ids[4])
    pages = 0

    def kill_mid_calendar() -> bool:  # drafts' page, then two of the calendar's four
        nonlocal pages
        pages += 1
        return pages == 3

    cut = sync_account(store, account, "work", world.source(), should_stop=kill_mid_calendar)
    assert cut.resyncs >= 1 and cut.removed == 0  # the mail folder resyncs too
    assert alive(store) == set(ids), "a resync cut short deleted something"
    done = sync_account(store, account, "work", world.source())
    assert done.status == "ok" and done.removed == 2
    assert alive(store) == set(ids) - {ids[2], ids[4]}
    fresh = [e.path for e in world.fake.log if "startDateTime" in e.path]
    assert len(fresh) == (1 if location else 2), "the 410's Location was not what was followed"
