"""One cycle: the steps in order, each on its own; and the two steps that frame every cycle,
syncing the accounts that are due and the daily digest.

A `Step` is a name, what it does (`run(context, now) -> summary`) and whether it alone makes a
cycle worth running (`due(now)`: an account to sync, the digest's hour). The list is explicit:
agent/daemon/steps.py builds it from the service and hands it to the Daemon (or to
`touchbase run --once`). One failing step is logged and recorded and the others still run (a
bug in drafting must not stop syncing); a stop request (SIGTERM) ends the cycle between steps.

A step that may take long (many people, network calls) checks `context.should_stop()` between
units of work, so SIGTERM is honoured within seconds, and calls `context.progress(text)` now and
then, which pings systemd's watchdog and updates the unit's status line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from touchbase.agent.daemon import backoff, desktop
from touchbase.agent.logs import event
from touchbase.agent.pipeline.config import AccountConfig
from touchbase.agent.service import Service, SyncResult

log = logging.getLogger(__name__)
LAST_DIGEST_KEY = "daemon.last_digest"  # AppState: the owner's local date of the last digest


@dataclass
class CycleContext:
    """What a step may use besides its service: the clock, whether to stop, what earlier
    steps reported."""

    clock: Callable[[], datetime]
    force: bool = False  # sync every account now, ignoring schedules and backoff
    should_stop: Callable[[], bool] = lambda: False
    progress: Callable[[str], None] = lambda _status: None  # watchdog ping + STATUS line
    summaries: dict[str, Mapping[str, Any]] = field(default_factory=dict)


Run = Callable[[CycleContext, datetime], Mapping[str, Any]]


def never(_now: datetime) -> bool:
    return False


@dataclass(frozen=True)
class Step:
    """One named step of the cycle; `due` says whether it alone is reason to run a cycle."""

    name: str
    run: Run
    due: Callable[[datetime], bool] = never


@dataclass(frozen=True)
class CycleResult:
    """Each step's summary, the steps that raised, and whether the cycle was cut short."""

    summaries: Mapping[str, Mapping[str, Any]]
    failed_steps: tuple[str, ...]
    stopped: bool

    @property
    def ok(self) -> bool:
        sync = self.summaries.get("sync", {})
        return not self.failed_steps and not sync.get("failed")


def run_cycle(context: CycleContext, steps: Sequence[Step]) -> CycleResult:
    """Run `steps` in order, each at the clock's time when it starts."""
    failed: list[str] = []
    stopped = False
    for step in steps:
        if context.should_stop():
            stopped = True
            break
        context.progress(f"step {step.name}")
        try:
            summary = step.run(context, context.clock())
        except Exception as exc:  # one broken step must not stop the others or the daemon
            log.exception("step %s failed", step.name)
            failed.append(step.name)
            summary = {"error": f"{type(exc).__name__}: {exc}"}
        context.summaries[step.name] = summary
        event(log, logging.INFO, "step done", step=step.name, **_flat(summary))
    return CycleResult(dict(context.summaries), tuple(failed), stopped or context.should_stop())


def _flat(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, str | int | float | bool)}


# --- the sync step ---------------------------------------------------------------------------


def interval(service: Service, account: AccountConfig) -> float:
    return account.sync_every or service.config.sync_every


def due_accounts(service: Service, now: datetime) -> list[tuple[AccountConfig, int]]:
    """The configured accounts due at `now`, with their ids (created on first sight)."""
    due = []
    for account in service.config.accounts:
        account_id = service.account_id(account)
        state = backoff.read(service.sessions, account_id)
        if backoff.is_due(state, now, interval(service, account)):
            due.append((account, account_id))
    return due


def sync_step(service: Service) -> Step:
    """Pull each due account through `service.sync`, as `touchbase sync` does; a failing one
    backs off and the others go on (DESIGN.md contract 3)."""

    def run(context: CycleContext, now: datetime) -> Mapping[str, Any]:
        if context.force:
            chosen = [(a, service.account_id(a)) for a in service.config.accounts]
        else:
            chosen = due_accounts(service, now)
        summary = {"due": len(chosen), "synced": 0, "failed": 0, "stored": 0, "stopped": False}
        for account, account_id in chosen:
            if context.should_stop():
                summary["stopped"] = True
                break
            result = _sync_one(service, context, account, account_id)
            summary["stored"] += result.stored
            summary["synced" if result.status == "ok" else "failed"] += 1
        summary["stopped"] = summary["stopped"] or context.should_stop()
        if summary["stored"]:
            _review_owner(service, now)
        return summary

    return Step("sync", run, due=lambda now: bool(due_accounts(service, now)))


OWNER_REVIEW_KEY = "daemon.last_owner_review"  # AppState: when the daemon last looked
OWNER_REVIEW_EVERY = timedelta(days=1)


def _review_owner(service: Service, now: datetime) -> None:
    """New mail may show another address of the owner's (rules/owner.py): learn the clear ones
    and log how many were learned and offered (counts only: addresses stay out of the journal;
    `touchbase me` lists them). At most once a day: the counts read the whole store (21.6 s at
    a million interactions, measured), and an address is learned from weeks of mail, not one
    cycle's; imports and `touchbase sync` look every time, and `touchbase me` on demand."""
    last = service.state(OWNER_REVIEW_KEY)
    if last is not None and now - datetime.fromisoformat(last) < OWNER_REVIEW_EVERY:
        return
    service.set_state(OWNER_REVIEW_KEY, now.isoformat())
    found = service.owner.review()
    if found.learned or found.offered:
        event(
            log,
            logging.INFO,
            "owner addresses",
            learned=len(found.learned),
            offered=len(found.offered),
            see="touchbase me",
        )
    if found.sent_by_owner == 0:
        event(
            log,
            logging.WARNING,
            "no mail sent by you",
            advice="add your address: touchbase me add ADDRESS, or [me] addresses",
        )


def _sync_one(
    service: Service, context: CycleContext, account: AccountConfig, account_id: int
) -> SyncResult:
    started = context.clock()

    def on_page(partial: SyncResult) -> None:
        context.progress(f"syncing {account.name}: pages={partial.pages} stored={partial.stored}")

    result = service.sync(account, on_page=on_page, should_stop=context.should_stop)
    if result.status == "ok":
        # Stopped part-way (SIGTERM): the stored pages count, but the account stays due so the
        # next start finishes it instead of waiting a whole interval.
        finished = not context.should_stop()
        backoff.record_success(
            service.sessions, account_id, started, interval(service, account) if finished else None
        )
        event(
            log,
            logging.INFO,
            "account synced",
            account=account.name,
            pages=result.pages,
            stored=result.stored,
            duplicates=result.duplicates,
            quarantined=result.quarantined,
            resyncs=result.resyncs,
            complete=finished,
        )
    else:
        error = f"{result.status}: {result.error}" if result.error else result.status
        retry_at = backoff.record_failure(
            service.sessions, account_id, context.clock(), error, result.retry_after
        )
        event(
            log,
            logging.WARNING,
            "account failed",
            account=account.name,
            status=result.status,
            error=result.error or "",
            advice=result.advice,
            retry_at=retry_at,
        )
    return result


# --- the digest step -------------------------------------------------------------------------


def digest_due(service: Service, now: datetime) -> bool:
    """True once a day, from the configured digest time on (the owner's time zone)."""
    config = service.config
    local = now.astimezone(ZoneInfo(config.me.time_zone))
    hour, minute = (int(part) for part in config.digest_at.split(":"))
    if local.time() < time(hour, minute):
        return False
    last = service.state(LAST_DIGEST_KEY)
    return last is None or date.fromisoformat(last) < local.date()


def digest_step(service: Service) -> Step:
    """Once a day, log who is due (`service.due`: the plan's decisions and holds, the same list
    as the review page's); with `[daemon] digest_draft`, also a draft to the owner; with
    `[daemon] notify`, also a desktop notification of the drafts waiting (daemon/desktop.py)."""

    def run(_context: CycleContext, now: datetime) -> Mapping[str, Any]:
        if not digest_due(service, now):
            return {"ran": False}
        entries = service.due(now)
        for entry in entries:
            # Names, not addresses: the journal is not the place for the owner's address book.
            event(log, logging.INFO, "due", person=entry.name, kind=entry.kind)
        drafted = False
        if service.config.digest_draft and entries:
            drafted = service.digest(entries, now) is not None
        local_date = now.astimezone(ZoneInfo(service.config.me.time_zone)).date()
        service.set_state(LAST_DIGEST_KEY, local_date.isoformat())
        summary: dict[str, Any] = {"ran": True, "due": len(entries), "drafted": drafted}
        if service.config.notify:
            waiting = len(service.review.drafts(["pending"]))  # lifecycle.PENDING
            url = desktop.review_url(service.config.web)
            summary["notified"] = waiting > 0 and desktop.nudge(waiting, url)
        return summary

    return Step("digest", run, due=lambda now: digest_due(service, now))
