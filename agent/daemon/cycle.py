"""One cycle: sync every account that is due, then the later steps, in order.

A step is a named function `(context, now) -> summary` in STEPS. The sync step comes first; the
rules, drafting, pushing and sent-noticing steps are added by their modules with `add_step`; the
daily digest runs last. One failing step is logged and recorded and the others still run (a bug
in drafting must not stop syncing); a stop request (SIGTERM) ends the cycle between steps.

The daemon (agent/daemon) runs cycles on a schedule; `touchbase run --once` runs one.

A step that may take long (many people, network calls) checks `context.should_stop()` between
units of work, so SIGTERM is honoured within seconds, and calls `context.progress(text)` now and
then, which pings systemd's watchdog and updates the unit's status line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from touchbase.agent.app import App
from touchbase.agent.daemon import backoff
from touchbase.agent.errors import UserError
from touchbase.agent.logs import event
from touchbase.agent.pipeline.accounts import open_connector
from touchbase.agent.pipeline.config import AccountConfig
from touchbase.agent.pipeline.sync import SyncResult, sync_account
from touchbase.connectors.errors import ConnectorError

log = logging.getLogger(__name__)
LAST_DIGEST_KEY = "daemon.last_digest"  # AppState: the owner's local date of the last digest


@dataclass
class CycleContext:
    """What a step may use: the app, whether to stop, and what earlier steps reported."""

    app: App
    force: bool = False  # sync every account now, ignoring schedules and backoff
    should_stop: Callable[[], bool] = lambda: False
    progress: Callable[[str], None] = lambda _status: None  # watchdog ping + STATUS line
    summaries: dict[str, Mapping[str, Any]] = field(default_factory=dict)


Step = Callable[[CycleContext, datetime], Mapping[str, Any]]


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


def run_cycle(
    context: CycleContext, steps: Sequence[tuple[str, Step]] | None = None
) -> CycleResult:
    """Run `steps` (default STEPS) in order at the app's current time."""
    failed: list[str] = []
    stopped = False
    for name, step in STEPS if steps is None else steps:
        if context.should_stop():
            stopped = True
            break
        context.progress(f"step {name}")
        try:
            summary = step(context, context.app.now())
        except Exception as exc:  # one broken step must not stop the others or the daemon
            log.exception("step %s failed", name)
            failed.append(name)
            summary = {"error": f"{type(exc).__name__}: {exc}"}
        context.summaries[name] = summary
        event(log, logging.INFO, "step done", step=name, **_flat(summary))
    return CycleResult(dict(context.summaries), tuple(failed), stopped or context.should_stop())


def _flat(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, str | int | float | bool)}


# --- the sync step ---------------------------------------------------------------------------


def interval(app: App, account: AccountConfig) -> float:
    return account.sync_every or app.config.sync_every


def due_accounts(app: App, now: datetime) -> list[tuple[AccountConfig, int]]:
    """The configured accounts due at `now`, with their ids (created on first sight)."""
    due = []
    for account in app.config.accounts:
        account_id = app.store.ensure_account(account.name, account.type, now)
        state = backoff.read(app.sessions, account_id)
        if backoff.is_due(state, now, interval(app, account)):
            due.append((account, account_id))
    return due


def sync_step(context: CycleContext, now: datetime) -> Mapping[str, Any]:
    """Pull each due account; a failing one backs off and the others go on (contract 3)."""
    app = context.app
    if context.force:
        chosen = [(a, app.store.ensure_account(a.name, a.type, now)) for a in app.config.accounts]
    else:
        chosen = due_accounts(app, now)
    summary = {"due": len(chosen), "synced": 0, "failed": 0, "stored": 0, "stopped": False}
    me = app.me()
    for account, account_id in chosen:
        if context.should_stop():
            summary["stopped"] = True
            break
        result = _sync_one(context, account, account_id, me)
        summary["stored"] += result.stored
        if result.status == "ok":
            summary["synced"] += 1
        else:
            summary["failed"] += 1
    summary["stopped"] = summary["stopped"] or context.should_stop()
    return summary


def _sync_one(
    context: CycleContext, account: AccountConfig, account_id: int, me: tuple[str, ...]
) -> SyncResult:
    app = context.app
    started = app.now()
    try:
        connector = open_connector(account, app.config, me)
    except (UserError, ConnectorError) as exc:
        result = SyncResult(account=account.name, status="failed", error=str(exc))
    except Exception as exc:  # a connector factory bug fails this account only
        log.exception("account %s could not be opened", account.name)
        result = SyncResult(account=account.name, status="failed", error=f"{exc!r}")
    else:

        def on_page(partial: SyncResult) -> None:
            context.progress(
                f"syncing {account.name}: pages={partial.pages} stored={partial.stored}"
            )

        result = sync_account(
            app.store,
            account_id,
            account.name,
            connector,
            clock=app.now,
            on_page=on_page,
            should_stop=context.should_stop,
        )
    if result.status == "ok":
        # Stopped part-way (SIGTERM): the stored pages count, but the account stays due so the
        # next start finishes it instead of waiting a whole interval.
        finished = not context.should_stop()
        backoff.record_success(
            app.sessions, account_id, started, interval(app, account) if finished else None
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
            app.sessions, account_id, app.now(), error, result.retry_after
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


class DueEntry(Protocol):
    """One person due for a message, as a `due` provider reports it."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...


DueProvider = Callable[[App, datetime], Sequence[DueEntry]]
DigestWriter = Callable[[App, Sequence[DueEntry], datetime], object]
_due_provider: DueProvider | None = None
_digest_writer: DigestWriter | None = None


def set_digest_writer(writer: DigestWriter | None) -> None:
    """Install what turns the digest into a draft to the owner (`[daemon] digest_draft`)."""
    global _digest_writer
    _digest_writer = writer


def set_due_provider(provider: DueProvider | None) -> None:
    """Install the function that lists who is due (the rules integration calls this)."""
    global _due_provider
    _due_provider = provider


def digest_due(app: App, now: datetime) -> bool:
    """True once a day, from the configured digest time on (the owner's time zone)."""
    zone = ZoneInfo(app.config.me.time_zone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in app.config.digest_at.split(":"))
    if local.time() < time(hour, minute):
        return False
    last = app.state(LAST_DIGEST_KEY)
    return last is None or date.fromisoformat(last) < local.date()


def digest_step(context: CycleContext, now: datetime) -> Mapping[str, Any]:
    """Log who is due, once a day; a no-op until a `due` provider is installed."""
    app = context.app
    if _due_provider is None:
        return {"ran": False, "reason": "no due provider"}
    if not digest_due(app, now):
        return {"ran": False}
    entries = list(_due_provider(app, now))
    for entry in entries:
        # Names, not addresses: the journal is not the place for the owner's address book.
        event(log, logging.INFO, "due", person=entry.name, kind=entry.kind)
    drafted = False
    if app.config.digest_draft and entries and _digest_writer is not None:
        drafted = _digest_writer(app, entries, now) is not None
    local_date = now.astimezone(ZoneInfo(app.config.me.time_zone)).date()
    app.set_state(LAST_DIGEST_KEY, local_date.isoformat())
    return {"ran": True, "due": len(entries), "drafted": drafted}


STEPS: list[tuple[str, Step]] = [("sync", sync_step), ("digest", digest_step)]


def add_step(name: str, step: Step, *, before: str | None = "digest") -> None:
    """Add a step (rules, drafts, push, sent) before `before` (default: the digest) or last."""
    if any(existing == name for existing, _ in STEPS):
        raise ValueError(f"a step called {name!r} is already registered")
    names = [existing for existing, _ in STEPS]
    position = names.index(before) if before in names else len(STEPS)
    STEPS.insert(position, (name, step))
