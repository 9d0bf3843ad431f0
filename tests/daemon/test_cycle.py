"""One cycle: due accounts, backoff for a failing one, an explicit list of steps, the digest."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.agent.draftfixtures import ME, history, store_interactions
from tests.daemon.conftest import Clock, cycle
from tests.daemon.fakes import write_mailbox
from touchbase.agent.cli.main import main
from touchbase.agent.daemon import backoff
from touchbase.agent.daemon.cycle import (
    OWNER_REVIEW_KEY,
    CycleContext,
    Step,
    digest_step,
    due_accounts,
    run_cycle,
    sync_step,
)
from touchbase.agent.daemon.steps import default_steps
from touchbase.agent.pipeline.models import Account, Draft, InteractionRow
from touchbase.agent.service import Service
from touchbase.agent.web.security import access_token
from touchbase.agent.web.site import Site, create_app


def seed_due(service: Service) -> None:
    """A year of two-way mail with Ada, by an owner address remembered from `import --me`:
    by the clock's May 2024 she is due for a check-in."""
    store_interactions(service.sessions, history("ada@x.example", months=14))
    service.remember_me([ME.addresses[0]])


def syncing(service: Service, **options: Any) -> Any:
    """A cycle of the sync step alone."""
    return cycle(service, [sync_step(service)], **options)


def account(service: Service, name: str) -> Account:
    with service.sessions() as session:
        found = session.scalar(select(Account).where(Account.name == name))
        assert found is not None
        return found


def stored(service: Service) -> int:
    with service.sessions() as session:
        return session.scalar(select(func.count()).select_from(InteractionRow)) or 0


def test_a_failing_account_backs_off_exponentially_and_never_stops_the_other(
    make_service: Any, mailbox: Path, clock: Clock
) -> None:
    service = make_service(
        [
            {"name": "good", "type": "jsonl", "path": str(mailbox), "sync_every": "1h"},
            {"name": "down", "type": "broken"},
        ]
    )
    first_failure = clock.now
    attempts: list[datetime] = []
    good_syncs = 0
    while clock.now < first_failure + timedelta(hours=12):
        result = syncing(service)
        attempts += [clock.now] * result.summaries["sync"]["failed"]
        good_syncs += result.summaries["sync"]["synced"]
        if len(attempts) == 5:
            write_mailbox(mailbox, 10, start=50)  # the good account keeps receiving mail
        # Jump to the next moment anything is due instead of ticking through idle minutes.
        clock.now = min(account(service, n).next_attempt_at or clock.now for n in ("good", "down"))
    gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(attempts)]
    assert gaps[:7] == [1, 1, 2, 4, 8, 16, 32]
    assert max(gaps) == backoff.CAP / 60
    down = account(service, "down")
    assert down.failing_since == first_failure
    assert down.last_error is not None and "connection refused" in down.last_error
    assert stored(service) == 60 and good_syncs == 12
    good = account(service, "good")
    assert good.failing_since is None and good.last_error is None


def test_success_clears_the_failure(make_service: Any, tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "later.jsonl"
    service = make_service([{"name": "late", "type": "jsonl", "path": str(path)}])
    syncing(service)  # the file does not exist yet: FileNotFoundError
    late = account(service, "late")
    assert late.failing_since == clock.now and "FileNotFoundError" in (late.last_error or "")
    write_mailbox(path, 5)
    clock.advance(backoff.BASE)
    result = syncing(service)
    assert result.ok and result.summaries["sync"]["stored"] == 5
    late = account(service, "late")
    assert late.failing_since is None and late.last_error is None
    assert late.next_attempt_at == clock.now + timedelta(minutes=15)


def test_accounts_sync_on_their_own_interval(
    make_service: Any, mailbox: Path, clock: Clock
) -> None:
    other = mailbox.with_name("other.jsonl")
    write_mailbox(other, 3)
    service = make_service(
        [
            {"name": "often", "type": "jsonl", "path": str(mailbox), "sync_every": "5m"},
            {"name": "rarely", "type": "jsonl", "path": str(other)},
        ]
    )
    due = []
    for _ in range(31):
        due.append(sorted(a.name for a, _ in due_accounts(service, clock.now)))
        syncing(service)
        clock.advance(60)
    assert due[0] == ["often", "rarely"]
    assert [i for i, names in enumerate(due) if "often" in names] == [0, 5, 10, 15, 20, 25, 30]
    assert [i for i, names in enumerate(due) if "rarely" in names] == [0, 15, 30]


def test_force_syncs_everything_regardless_of_schedule(make_service: Any, mailbox: Path) -> None:
    service = make_service([{"name": "work", "type": "jsonl", "path": str(mailbox)}])
    syncing(service)
    assert syncing(service).summaries["sync"]["due"] == 0
    assert syncing(service, force=True).summaries["sync"]["due"] == 1


def test_a_stopped_sync_keeps_its_pages_and_stays_due(make_service: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_mailbox(path, 1000)
    service = make_service([{"name": "big", "type": "jsonl", "path": str(path), "page_size": 100}])
    pages = 0

    def stop_after_three() -> bool:
        return pages >= 3

    def progress(_status: str) -> None:
        nonlocal pages
        pages += 1 if _status.startswith("syncing") else 0

    result = syncing(service, should_stop=stop_after_three, progress=progress)
    assert result.stopped and stored(service) == 300
    assert account(service, "big").next_attempt_at is None  # still due: the next start finishes it
    assert syncing(service).summaries["sync"]["stored"] == 700


def test_steps_run_in_order_and_a_broken_one_does_not_stop_the_rest(clock: Clock) -> None:
    ran: list[str] = []

    def step(name: str, fail: bool = False) -> Step:
        def run(context: CycleContext, now: datetime) -> Mapping[str, Any]:
            ran.append(name)
            if fail:
                raise RuntimeError("rules exploded")
            return {"seen": list(context.summaries)}

        return Step(name, run)

    steps = [step("sync"), step("rules", fail=True), step("push")]
    result = run_cycle(CycleContext(clock), steps)
    assert ran == ["sync", "rules", "push"]
    assert result.failed_steps == ("rules",) and not result.ok
    assert result.summaries["push"]["seen"] == ["sync", "rules"]
    assert "RuntimeError" in result.summaries["rules"]["error"]


def test_a_stop_request_ends_the_cycle_between_steps(clock: Clock) -> None:
    stop = False

    def first(context: CycleContext, now: datetime) -> Mapping[str, Any]:
        nonlocal stop
        stop = True
        return {}

    def second(context: CycleContext, now: datetime) -> Mapping[str, Any]:
        raise AssertionError("ran after the stop request")

    result = run_cycle(
        CycleContext(clock, should_stop=lambda: stop), [Step("a", first), Step("b", second)]
    )
    assert result.stopped and list(result.summaries) == ["a"]


def test_the_daemons_steps_are_one_explicit_list_built_from_the_service(
    make_service: Any, mailbox: Path, clock: Clock
) -> None:
    service = make_service([{"name": "work", "type": "jsonl", "path": str(mailbox)}])
    steps = default_steps(service)
    assert [s.name for s in steps] == ["sync", "sent", "drafts", "push", "digest"]
    assert [s.name for s in steps if s.due(clock.now)] == ["sync"]  # 07:00, digest at 08:00
    result = cycle(service)
    assert result.ok and list(result.summaries) == ["sync", "sent", "drafts", "push", "digest"]
    assert not any(s.due(clock.now) for s in steps)  # synced, and the digest's hour not yet
    clock.advance(3600)
    assert "digest" in [s.name for s in steps if s.due(clock.now)]


def test_the_digest_logs_who_is_due_once_a_day_after_its_time(
    make_service: Any, tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service([])
    seed_due(service)
    digest = digest_step(service)
    caplog.set_level(logging.INFO, logger="touchbase.agent.daemon.cycle")
    ran = []
    for _ in range(48):  # two days, hourly, from 07:00 UTC
        ran.append(run_cycle(CycleContext(clock), [digest]).summaries["digest"])
        clock.advance(3600)
    # digest_at is 08:00 in the owner's zone (UTC here): the 2nd hour each day, once.
    assert [i for i, r in enumerate(ran) if r["ran"]] == [1, 25]
    due = service.due(clock.now)
    assert ran[1]["due"] == len(due) == 1 and due[0].kind == "check-in"
    logged = {getattr(r, "fields", {}).get("person") for r in caplog.records}
    assert "ada@x.example" in logged


def test_the_digest_can_be_a_draft_in_the_owners_own_drafts(
    make_service: Any, tmp_path: Path, clock: Clock
) -> None:
    service = make_service([])
    seed_due(service)
    service.reconfigure(
        replace(
            service.config,
            digest_draft=True,
            me=replace(service.config.me, addresses=("me@example.com",)),
        )
    )
    clock.advance(3600)  # past 08:00
    summary = run_cycle(CycleContext(clock), [digest_step(service)]).summaries["digest"]
    assert summary == {"ran": True, "due": 1, "drafted": True}
    with service.sessions() as session:
        (draft,) = session.scalars(select(Draft)).all()
        assert (draft.kind, draft.status) == ("digest", "approved")
        assert "me@example.com" in draft.to_addresses
        assert "ada@x.example <ada@x.example>: check-in" in draft.body
    push = [s for s in default_steps(service) if s.name == "push"]
    assert run_cycle(CycleContext(clock), push).summaries["push"] == {"pushed": 1, "failed": 0}
    assert len(list(service.outbox.glob("*.eml"))) == 1
    assert run_cycle(CycleContext(clock), push).summaries["push"] == {"pushed": 0, "failed": 0}


def test_a_daemon_sync_failure_is_recorded_like_a_cli_one_and_shown_on_the_page(
    make_service: Any, tmp_path: Path
) -> None:
    """One sync path: an account that cannot be opened gets a failed run with its advice,
    whether the daemon or `touchbase sync` tried; the review page's banner shows it."""
    service = make_service([{"name": "work", "type": "locked", "locked": True}])
    assert syncing(service).summaries["sync"]["failed"] == 1
    (daemon,) = service.accounts.status()
    assert daemon["last_sync"]["status"] == "auth"
    assert daemon["last_sync"]["error"] == (
        "the grant was revoked (what to do: run `touchbase auth work`)"
    )
    assert daemon["failing_since"] is not None  # and the daemon backs off
    client = create_app(Site(service)).test_client()
    client.get("/", query_string={"token": access_token(service)})  # the owner's link
    page = client.get("/").get_data(as_text=True)
    assert "not syncing (auth)" in page and "run `touchbase auth work`" in page
    args = ["--config", str(tmp_path / "config.toml"), "--db", service.db_url, "sync"]
    assert main(args) == 1
    (cli,) = service.accounts.status()
    assert cli["last_sync"] != daemon["last_sync"]  # a second run, recorded the same way
    assert (cli["last_sync"]["status"], cli["last_sync"]["error"]) == (
        daemon["last_sync"]["status"],
        daemon["last_sync"]["error"],
    )


def test_the_daemon_looks_for_the_owners_addresses_at_most_once_a_day(
    make_service: Any, mailbox: Path, clock: Clock
) -> None:
    """The look reads the whole store (21.6 s at a million interactions): a sync that stored
    mail triggers it, but not again within a day."""
    service = make_service([{"name": "work", "type": "jsonl", "path": str(mailbox)}])
    syncing(service)
    first = service.state(OWNER_REVIEW_KEY)
    assert first == clock.now.isoformat()
    clock.advance(3600)
    write_mailbox(mailbox, 20, start=10_000)  # more mail: the next sync stores some
    assert syncing(service, force=True).summaries["sync"]["stored"] > 0
    assert service.state(OWNER_REVIEW_KEY) == first
    clock.advance(24 * 3600)
    write_mailbox(mailbox, 20, start=20_000)
    assert syncing(service, force=True).summaries["sync"]["stored"] > 0
    assert service.state(OWNER_REVIEW_KEY) == clock.now.isoformat()
