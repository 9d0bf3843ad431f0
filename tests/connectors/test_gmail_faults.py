"""With 10% of requests failing (429 + Retry-After, 500, 503, dropped connections) and the sync
killed now and then, what Gmail and Calendar syncs store equals the fault-free run's."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.connectors.test_gcal import NOW, CalendarWorld
from tests.connectors.test_gmail import GmailWorld, headers_of
from tests.contract import make_spec, sample_draft
from tests.fakes.google import FakeGoogle, Faults
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.base import InteractionRecord, Page, Source
from touchbase.connectors.errors import TransientError
from touchbase.connectors.google import gmail


def faults(seed: int) -> Faults:
    return Faults(rate=0.10, kinds=("429", "500", "503", "drop"), retry_after="2", seed=seed)


def drain_through_faults(
    source: Callable[[], Source], cursor: str | None, tries: int = 30
) -> tuple[list[Page], str | None]:
    """Drain like the daemon: a transient failure ends a run; the next run resumes."""
    pages: list[Page] = []
    for _ in range(tries):
        try:
            for page in source().pull(cursor):
                pages.append(page)
                cursor = page.cursor or cursor
            return pages, cursor
        except TransientError:
            continue
    raise AssertionError("the sync never got through the faults")


def everything(pages: list[Page]) -> set[InteractionRecord]:
    return {i for page in pages for i in page.interactions}


def fill_mailbox(fake: FakeGoogle, sent: int, received: int) -> None:
    for _ in range(sent):
        fake.gmail.add_message(headers_of(make_spec()), ("SENT",))
    for _ in range(received):
        fake.gmail.add_message(headers_of(make_spec(sent=False)), ("INBOX",))
    fake.gmail.add_message(headers_of(make_spec(to=("me@example.org",))), ("SENT", "INBOX"))
    fake.gmail.add_message([("Subject", "no address")], ("INBOX",))


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


def small_pages(world: GmailWorld) -> Callable[[], Source]:
    def make() -> Source:
        source = world.source()
        source.list_page = 13  # several list pages, each ending mid-batch
        return source

    return make


def test_gmail_pages_with_faults_equal_the_fault_free_pages(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    world = GmailWorld(fake, tmp_path, extra={"batch_size": 7})
    fill_mailbox(fake, sent=90, received=30)
    clean, clean_cursor = drain_through_faults(small_pages(world), None)
    fake.faults = faults(11)
    fake.reset_log()
    faulty, cursor = drain_through_faults(small_pages(world), None)
    assert everything(faulty) == everything(clean)
    assert len(everything(clean)) == 121
    statuses = {s.status for s in fake.log}
    assert {0, 429, 500, 503} <= statuses, f"not every fault kind happened: {statuses}"
    assert 2.0 in world.time.sleeps, "Retry-After was not honoured"
    # and incrementally: new mail under faults arrives exactly once
    fill_mailbox(fake, sent=25, received=10)
    later, _ = drain_through_faults(small_pages(world), cursor)
    assert len(everything(later)) == 36
    assert not {i.source_id for i in everything(later)} & {i.source_id for i in everything(clean)}
    assert clean_cursor is not None
    assert fake.send_attempts() == []


def test_calendar_pages_with_faults_equal_the_fault_free_pages(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    world = CalendarWorld(fake, tmp_path, extra={"page_size": 5})
    world.add([make_spec(date=NOW - timedelta(days=n)) for n in range(60)])
    clean, _ = drain_through_faults(world.source, None)
    fake.faults = faults(3)
    faulty, _ = drain_through_faults(world.source, None)
    assert everything(faulty) == everything(clean)
    assert len(everything(clean)) == 60
    assert any(s.status in (0, 429, 500, 503) for s in fake.log)


def stored(url: str) -> set[tuple[object, ...]]:
    sessions = open_database(url)
    with sessions() as session:
        rows = session.scalars(select(Row)).all()
        return {
            (
                r.source_id,
                r.occurred_at,
                r.subject,
                r.message_id,
                r.folder,
                r.flags,
                tuple(sorted((p.address, p.role) for p in r.participants)),
            )
            for r in rows
        }


def sync_until_done(url: str, source: Callable[[], Source], kill_rate: float, seed: int) -> int:
    """Run syncs until one completes; each run may be killed after any stored page."""
    store = Store(open_database(url))
    account = store.ensure_account("gmail-test", "gmail", NOW)
    rng = random.Random(seed)
    runs = 0
    stopped: list[int] = []

    def stop() -> bool:
        if rng.random() < kill_rate:
            stopped.append(runs)
            return True
        return False

    while True:
        runs += 1
        result = sync_account(store, account, "gmail-test", source(), should_stop=stop)
        assert result.status in ("ok", "transient"), result.error
        if result.status == "ok" and runs not in stopped:
            return runs
        assert runs < 200


def test_gmail_database_with_faults_and_kills_equals_the_fault_free_one(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    world = GmailWorld(fake, tmp_path, extra={"batch_size": 7})
    fill_mailbox(fake, sent=70, received=20)
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    faulty_url = f"sqlite:///{tmp_path / 'faulty.db'}"
    sync_until_done(clean_url, small_pages(world), kill_rate=0.0, seed=1)
    fake.faults = faults(5)
    runs = sync_until_done(faulty_url, small_pages(world), kill_rate=0.1, seed=2)
    assert runs > 1, "no run was killed or failed: the test proved nothing"
    fill_mailbox(fake, sent=15, received=5)
    fake.faults.rate = 0.0
    sync_until_done(clean_url, small_pages(world), kill_rate=0.0, seed=3)
    fake.faults.rate = 0.10
    sync_until_done(faulty_url, small_pages(world), kill_rate=0.1, seed=4)
    clean, faulty = stored(clean_url), stored(faulty_url)
    assert len(clean) == 91 + 21
    assert faulty == clean
    assert fake.send_attempts() == []


def test_a_draft_push_dropped_after_storing_is_found_not_pushed_twice(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    world = GmailWorld(fake, tmp_path)
    sink = world.sink()
    draft = sample_draft(9)
    fake.faults = Faults(rate=1.0, kinds=("drop-after",))
    with pytest.raises(TransientError):
        sink.push_draft(draft)
    fake.faults = Faults()
    assert len(fake.gmail.drafts) == 1, "the transport sent drafts.create twice"
    assert sink.find_draft(draft) == next(iter(fake.gmail.drafts))
    assert fake.send_attempts() == []


@pytest.mark.parametrize("reason", ["dailyLimitExceeded", "quotaExceeded", "aReasonNotKnownYet"])
def test_a_refused_batch_part_stops_the_run_and_the_next_run_fetches_it(
    fake: FakeGoogle, tmp_path: Path, reason: str
) -> None:
    # Gmail "Resolve errors" (developers.google.com/gmail/api/guides/handle-errors): 403
    # dailyLimitExceeded / rateLimitExceeded; a batch hands each part's error to its callback.
    world = GmailWorld(fake, tmp_path, extra={"batch_size": 2})
    ids = [fake.gmail.add_message(headers_of(make_spec()), ("SENT",)) for _ in range(6)]
    fake.gmail.refuse(ids[2], reason)  # newest first: the second batch of the list
    store = Store(open_database(f"sqlite:///{tmp_path / 'r.db'}"))
    account = store.ensure_account("gmail-test", "gmail", NOW)
    first = sync_account(store, account, "gmail-test", world.source())
    assert first.status == "transient" and first.retry_after is not None
    assert first.retry_after >= 600
    assert first.quarantined == 0
    assert first.stored < 6 and ids[2] not in {
        r[0] for r in stored(f"sqlite:///{tmp_path / 'r.db'}")
    }
    second = sync_account(store, account, "gmail-test", world.source())
    assert second.status == "ok" and second.quarantined == 0
    assert {r[0] for r in stored(f"sqlite:///{tmp_path / 'r.db'}")} == set(ids)


def test_a_rate_limit_storm_slows_the_sync_and_loses_nothing(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    # 429 and 403 userRateLimitExceeded are Gmail's "slow down" (developers.google.com/gmail/
    # api/reference/quota: per user rate limit, 15,000 quota units per user per minute).
    world = GmailWorld(fake, tmp_path, extra={"batch_size": 10})
    fill_mailbox(fake, sent=80, received=20)
    clean, _ = drain_through_faults(small_pages(world), None)
    quiet = world.source()
    assert quiet.budget.waited == 0.0  # 100 messages fit in one minute's bucket
    fake.faults = Faults(rate=0.3, kinds=("429", "403-user"), retry_after="1", seed=4)
    runs: list[gmail.GmailAccount] = []

    def run() -> Source:  # a run the storm outlasts ends transient; the next one resumes
        runs.append(small_pages(world)())  # type: ignore[arg-type]
        return runs[-1]

    pages, _ = drain_through_faults(run, None)
    assert everything(pages) == everything(clean)
    assert {q for p in pages for q in p.quarantined} == {q for p in clean for q in p.quarantined}
    assert sum(r.budget.waited for r in runs) > 0.0, "the storm did not slow the pacing"
    assert min(r.budget.share for r in runs) < 1.0
    assert {403, 429} <= {s.status for s in fake.log if s.in_batch}
