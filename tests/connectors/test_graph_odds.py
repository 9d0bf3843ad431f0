"""Graph's documented odd cases, through the real store (issue 15.6): a calendar event changed
out of the calendarView window arrives as @removed and comes back when the window reaches it;
empty pages that still carry a nextLink; items replayed on later pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.contract import make_spec
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import NOW, GraphWorld
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import SyncResult, sync_account


@pytest.fixture
def world() -> Iterator[GraphWorld]:
    with FakeGraph() as fake:
        world = GraphWorld(fake)
        yield world
        world.close()


def stored(store: Store) -> dict[str, bool]:
    """source id -> alive."""
    with store.sessions() as s:
        return {k: r is None for k, r in s.execute(select(Row.source_id, Row.removed_at))}


def sync(store: Store, world: GraphWorld) -> SyncResult:
    account = store.ensure_account("work", "outlook", NOW)
    result = sync_account(store, account, "work", world.source())
    assert result.status == "ok", result.error
    return result


def test_an_event_moved_out_of_the_window_is_removed_then_back(
    world: GraphWorld, tmp_path: Path
) -> None:
    # "event: delta": an event that no longer falls in the startDateTime..endDateTime range
    # is reported with @removed (learn.microsoft.com/graph/api/event-delta).
    store = Store(open_database(f"sqlite:///{tmp_path / 'w.db'}"))
    start = NOW + timedelta(days=3)
    event = world.fake.mailbox.add_event(
        subject="Design review", start=start, end=start + timedelta(hours=1), organizer="a@b.com"
    )
    sync(store, world)
    assert stored(store) == {event["id"]: True}
    later = NOW + timedelta(days=90)  # past the 30-day look-ahead
    world.fake.mailbox.update(
        "calendar",
        event["id"],
        start={"dateTime": later.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        end={"dateTime": later.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
    )
    assert sync(store, world).removed == 1
    assert stored(store) == {event["id"]: False}  # its stored time is no longer true
    world.settings = {"calendar_ahead_days": 120}  # the window reaches it again
    world.fake.mailbox.expire()
    sync(store, world)
    assert stored(store) == {event["id"]: True}


@pytest.mark.parametrize("odd", ["empty_pages", "replay"])
def test_empty_pages_and_replayed_items_store_what_a_plain_run_stores(
    tmp_path: Path, odd: str
) -> None:
    def run(flag: bool, name: str) -> tuple[dict[str, bool], int, int]:
        with FakeGraph() as fake:
            world = GraphWorld(fake)
            setattr(fake, odd, flag)
            world.add([make_spec() for _ in range(5)] + [make_spec(sent=False) for _ in range(4)])
            store = Store(open_database(f"sqlite:///{tmp_path / name}"))
            first = sync(store, world)
            world.add([make_spec() for _ in range(3)])
            second = sync(store, world)
            world.close()
            with store.sessions() as s:
                assert s.scalar(select(func.count()).select_from(Row)) == 12
            alive = {k[-12:]: v for k, v in stored(store).items()}
            return alive, first.pages + second.pages, first.duplicates + second.duplicates

    plain, plain_pages, plain_doubles = run(False, "plain.db")
    odd_store, odd_pages, odd_doubles = run(True, "odd.db")
    assert odd_store == plain and len(plain) == 12
    if odd == "empty_pages":
        assert odd_pages > plain_pages, "no empty page was served"
    else:
        assert odd_doubles > plain_doubles, "nothing was replayed"
