"""A page's turn on the account costs the same however much the account holds (SQLite): the
write that takes the lock sets no key column, which SQLite's foreign-key check would answer by
walking every interaction of the account (Store._take_turns)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event

from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)


def mail(n: int) -> InteractionRecord:
    return InteractionRecord(
        source_id=f"m{n}",
        kind=Kind.MAIL,
        occurred_at=T0 - timedelta(minutes=n),
        participants=(Participant("a@x.example", Role.FROM), Participant("b@x.example", Role.TO)),
        message_id=f"<m{n}@x.example>",
    )


def steps_of_an_empty_page(path: Path, stored: int) -> int:
    """SQLite virtual-machine steps (counted in hundreds) to store a page with no records on an
    account that holds `stored` interactions."""
    sessions = open_database(sqlite_url(path))
    store = Store(sessions)
    account = store.ensure_account("a1", "memory", T0)
    run = store.start_run(account, T0)
    for start in range(0, stored, 1000):
        page = Page(interactions=[mail(n) for n in range(start, start + 1000)], cursor=str(start))
        store.save_page(account, run, page, T0)
    store.finish_run(run, "ok", T0)
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0

    engine = sessions.kw["bind"]
    event.listen(engine, "connect", lambda dbapi, _: dbapi.set_progress_handler(count, 100))
    engine.dispose()  # the next connection counts
    run = store.start_run(account, T0)
    counted[0] = 0
    store.save_page(account, run, Page(cursor="again"), T0)
    steps = counted[0]
    store.finish_run(run, "ok", T0)
    engine.dispose()
    return steps


def test_a_pages_turn_does_not_grow_with_the_account(tmp_path: Path) -> None:
    small = steps_of_an_empty_page(tmp_path / "small.db", 0)
    large = steps_of_an_empty_page(tmp_path / "large.db", 20_000)
    # Setting the key walked the account's 20,000 rows twice (old and new value): 400+ more.
    assert large <= small + 20, (small, large)
