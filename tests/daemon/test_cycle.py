"""One cycle: due accounts, backoff for a failing one, pluggable steps, the daily digest."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.daemon.conftest import Clock, ClockApp
from tests.daemon.fakes import write_mailbox
from touchbase.agent.daemon import backoff, cycle
from touchbase.agent.pipeline.models import Account, InteractionRow


def account(app: ClockApp, name: str) -> Account:
    with app.sessions() as session:
        found = session.scalar(select(Account).where(Account.name == name))
        assert found is not None
        return found


def stored(app: ClockApp) -> int:
    with app.sessions() as session:
        return session.scalar(select(func.count()).select_from(InteractionRow)) or 0


def test_a_failing_account_backs_off_exponentially_and_never_stops_the_other(
    make_app: Any, mailbox: Path, clock: Clock
) -> None:
    app = make_app(
        [
            {"name": "good", "type": "jsonl", "path": str(mailbox), "sync_every": "1h"},
            {"name": "down", "type": "broken"},
        ]
    )
    first_failure = clock.now
    attempts: list[datetime] = []
    good_syncs = 0
    while clock.now < first_failure + timedelta(hours=12):
        result = cycle.run_cycle(cycle.CycleContext(app))
        attempts += [clock.now] * result.summaries["sync"]["failed"]
        good_syncs += result.summaries["sync"]["synced"]
        if len(attempts) == 5:
            write_mailbox(mailbox, 10, start=50)  # the good account keeps receiving mail
        # Jump to the next moment anything is due instead of ticking through idle minutes.
        clock.now = min(account(app, n).next_attempt_at or clock.now for n in ("good", "down"))
    gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(attempts)]
    assert gaps[:7] == [1, 1, 2, 4, 8, 16, 32]
    assert max(gaps) == backoff.CAP / 60
    down = account(app, "down")
    assert down.failing_since == first_failure
    assert down.last_error is not None and "connection refused" in down.last_error
    assert stored(app) == 60 and good_syncs == 12
    good = account(app, "good")
    assert good.failing_since is None and good.last_error is None


def test_success_clears_the_failure(make_app: Any, tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "later.jsonl"
    app = make_app([{"name": "late", "type": "jsonl", "path": str(path)}])
    cycle.run_cycle(cycle.CycleContext(app))  # the file does not exist yet: FileNotFoundError
    late = account(app, "late")
    assert late.failing_since == clock.now and "FileNotFoundError" in (late.last_error or "")
    write_mailbox(path, 5)
    clock.advance(backoff.BASE)
    result = cycle.run_cycle(cycle.CycleContext(app))
    assert result.ok and result.summaries["sync"]["stored"] == 5
    late = account(app, "late")
    assert late.failing_since is None and late.last_error is None
    assert late.next_attempt_at == clock.now + timedelta(minutes=15)


def test_accounts_sync_on_their_own_interval(make_app: Any, mailbox: Path, clock: Clock) -> None:
    other = mailbox.with_name("other.jsonl")
    write_mailbox(other, 3)
    app = make_app(
        [
            {"name": "often", "type": "jsonl", "path": str(mailbox), "sync_every": "5m"},
            {"name": "rarely", "type": "jsonl", "path": str(other)},
        ]
    )
    due = []
    for _ in range(31):
        due.append(sorted(a.name for a, _ in cycle.due_accounts(app, clock.now)))
        cycle.run_cycle(cycle.CycleContext(app))
        clock.advance(60)
    assert due[0] == ["often", "rarely"]
    assert [i for i, names in enumerate(due) if "often" in names] == [0, 5, 10, 15, 20, 25, 30]
    assert [i for i, names in enumerate(due) if "rarely" in names] == [0, 15, 30]


def test_force_syncs_everything_regardless_of_schedule(make_app: Any, mailbox: Path) -> None:
    app = make_app([{"name": "work", "type": "jsonl", "path": str(mailbox)}])
    cycle.run_cycle(cycle.CycleContext(app))
    assert cycle.run_cycle(cycle.CycleContext(app)).summaries["sync"]["due"] == 0
    assert cycle.run_cycle(cycle.CycleContext(app, force=True)).summaries["sync"]["due"] == 1


def test_a_stopped_sync_keeps_its_pages_and_stays_due(make_app: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_mailbox(path, 1000)
    app = make_app([{"name": "big", "type": "jsonl", "path": str(path), "page_size": 100}])
    pages = 0

    def stop_after_three() -> bool:
        return pages >= 3

    def progress(_status: str) -> None:
        nonlocal pages
        pages += 1 if _status.startswith("syncing") else 0

    result = cycle.run_cycle(
        cycle.CycleContext(app, should_stop=stop_after_three, progress=progress)
    )
    assert result.stopped and stored(app) == 300
    assert account(app, "big").next_attempt_at is None  # still due: the next start finishes it
    assert cycle.run_cycle(cycle.CycleContext(app)).summaries["sync"]["stored"] == 700


def test_steps_run_in_order_and_a_broken_one_does_not_stop_the_rest(make_app: Any) -> None:
    app = make_app([])
    ran: list[str] = []

    def step(name: str, fail: bool = False) -> cycle.Step:
        def run(context: cycle.CycleContext, now: datetime) -> Mapping[str, Any]:
            ran.append(name)
            if fail:
                raise RuntimeError("rules exploded")
            return {"seen": list(context.summaries)}

        return run

    steps = [("sync", step("sync")), ("rules", step("rules", fail=True)), ("push", step("push"))]
    result = cycle.run_cycle(cycle.CycleContext(app), steps)
    assert ran == ["sync", "rules", "push"]
    assert result.failed_steps == ("rules",) and not result.ok
    assert result.summaries["push"]["seen"] == ["sync", "rules"]
    assert "RuntimeError" in result.summaries["rules"]["error"]


def test_a_stop_request_ends_the_cycle_between_steps(make_app: Any) -> None:
    app = make_app([])
    stop = False

    def first(context: cycle.CycleContext, now: datetime) -> Mapping[str, Any]:
        nonlocal stop
        stop = True
        return {}

    def second(context: cycle.CycleContext, now: datetime) -> Mapping[str, Any]:
        raise AssertionError("ran after the stop request")

    result = cycle.run_cycle(
        cycle.CycleContext(app, should_stop=lambda: stop), [("a", first), ("b", second)]
    )
    assert result.stopped and list(result.summaries) == ["a"]


def test_add_step_goes_before_the_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cycle, "STEPS", list(cycle.STEPS))

    def noop(context: cycle.CycleContext, now: datetime) -> Mapping[str, Any]:
        return {}

    cycle.add_step("rules", noop)
    cycle.add_step("drafts", noop)
    cycle.add_step("after", noop, before=None)
    assert [name for name, _ in cycle.STEPS] == ["sync", "rules", "drafts", "digest", "after"]
    with pytest.raises(ValueError, match="already"):
        cycle.add_step("rules", noop)


@dataclass(frozen=True)
class Due:
    name: str
    kind: str


def test_the_digest_logs_who_is_due_once_a_day_after_its_time(
    make_app: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app([])
    calls: list[datetime] = []

    def provider(_app: Any, now: datetime) -> list[Due]:
        calls.append(now)
        return [Due("Ada Lovelace", "check-in"), Due("Alan Turing", "thank-you")]

    assert cycle.digest_step(cycle.CycleContext(app), clock.now) == {
        "ran": False,
        "reason": "no due provider",
    }
    monkeypatch.setattr(cycle, "_due_provider", None)
    cycle.set_due_provider(provider)
    caplog.set_level(logging.INFO, logger="touchbase.agent.daemon.cycle")
    ran = []
    for _ in range(48):  # two days, hourly, from 07:00 UTC
        ran.append(cycle.digest_step(cycle.CycleContext(app), clock.now)["ran"])
        clock.advance(3600)
    # digest_at is 08:00 in the owner's zone (UTC here): the 2nd hour each day, once.
    assert [i for i, r in enumerate(ran) if r] == [1, 25]
    assert len(calls) == 2
    assert any(getattr(r, "fields", {}).get("person") == "Ada Lovelace" for r in caplog.records)


@dataclass(frozen=True)
class DueWithAddress:
    name: str
    address: str
    kind: str


def test_the_digest_can_be_a_draft_in_the_owners_own_drafts(
    make_app: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from touchbase.agent.daemon import steps
    from touchbase.agent.pipeline.drafts.sinks import outbox_folder
    from touchbase.agent.pipeline.models import Draft

    app = make_app([])
    app.__dict__["config"] = replace(
        app.config, digest_draft=True, me=replace(app.config.me, addresses=("me@own.example",))
    )
    monkeypatch.setattr(cycle, "_due_provider", None)
    monkeypatch.setattr(cycle, "_digest_writer", None)
    cycle.set_due_provider(lambda _app, _now: [DueWithAddress("Ada", "ada@x.example", "check-in")])
    cycle.set_digest_writer(steps.digest_draft)
    clock.advance(3600)  # past 08:00
    summary = cycle.digest_step(cycle.CycleContext(app), clock.now)
    assert summary == {"ran": True, "due": 1, "drafted": True}
    with app.sessions() as session:
        (draft,) = session.scalars(select(Draft)).all()
        assert (draft.kind, draft.status) == ("digest", "approved")
        assert "me@own.example" in draft.to_addresses and "Ada <ada@x.example>" in draft.body
    pushed = steps.push_step(cycle.CycleContext(app), clock.now)
    assert pushed == {"pushed": 1, "failed": 0}
    assert len(list(outbox_folder(app).glob("*.eml"))) == 1
    assert steps.push_step(cycle.CycleContext(app), clock.now) == {"pushed": 0, "failed": 0}
