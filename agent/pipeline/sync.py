"""Pulling one account into the store: pages in, cursor forward, errors sorted by kind.

`pull` opens a configured account and drains it; `sync_account` drains an open Source. The only
place that drives a Source. Each page is stored with its cursor before the next one is
asked for, so a kill between pages loses nothing; the error kinds of connectors/errors.py decide
how the run ends (DESIGN.md contract 3). A connector bug fails this account's run, never the
caller: it is logged with its traceback and recorded on the run.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline import pullahead, run_lock
from touchbase.agent.pipeline.accounts import open_connector
from touchbase.agent.pipeline.config import AccountConfig, Config
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import Page, Source
from touchbase.connectors.errors import AuthError, ConnectorError, TransientError

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    """What one pull of one account did, for the CLI, the daemon and the status page."""

    account: str
    status: str = "ok"  # ok / failed / auth / transient
    pages: int = 0
    stored: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0
    removed: int = 0
    resyncs: int = 0
    error: str | None = None
    advice: str = ""
    retry_after: float | None = None
    extra: dict[str, int] = field(default_factory=dict)


def utcnow() -> datetime:
    return datetime.now(UTC)


BUG_ADVICE = "this is a bug in touchbase; the log has the details"
# Allocations between the collector's young passes during a pull. A page of 5,000 IMAP records
# makes some 60,000 objects that live until it is stored: at 20,000 the young passes walked
# them about three times each, 0.25-0.31 s CPU per 100,000 messages (gc.callbacks, bench
# Dovecot, load 3.4-4.1), and 0.03 s at 100,000. Garbage cycles wait a little longer for it.
_YOUNG_PASS = 100_000


def pull(
    store: Store,
    account: AccountConfig,
    config: Config,
    me: tuple[str, ...],
    *,
    clock: Callable[[], datetime] = utcnow,
    on_page: Callable[[SyncResult], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncResult:
    """Open `account` and drain it into the store. A run is recorded whatever happens: an
    account that cannot even be opened (a missing password, a revoked grant) gets a failed run
    with its error and advice, so `touchbase status` and the review page show why."""
    account_id = store.ensure_account(account.name, account.type, clock())
    try:
        source = open_connector(account, config, me)
    except (UserError, ConnectorError) as exc:
        return _unopened(store, account_id, account.name, exc, exc.advice, clock)
    except Exception as exc:  # a connector factory bug fails this account only (contract 3)
        log.exception("account %s could not be opened", account.name)
        return _unopened(store, account_id, account.name, exc, BUG_ADVICE, clock)
    return sync_account(
        store,
        account_id,
        account.name,
        source,
        clock=clock,
        on_page=on_page,
        should_stop=should_stop,
    )


def _unopened(
    store: Store,
    account_id: int,
    name: str,
    exc: Exception,
    advice: str,
    clock: Callable[[], datetime],
) -> SyncResult:
    result = SyncResult(account=name, status=_status(exc), error=_describe(exc), advice=advice)
    if isinstance(exc, TransientError):
        result.retry_after = exc.retry_after
    run_id = store.start_run(account_id, clock())
    store.finish_run(run_id, result.status, clock(), _detail(result))
    log.warning("account %s: %s: %s", name, result.status, result.error)
    return result


def _status(exc: Exception) -> str:
    if isinstance(exc, AuthError):
        return "auth"
    return "transient" if isinstance(exc, TransientError) else "failed"


def _describe(exc: Exception) -> str:
    if isinstance(exc, UserError | ConnectorError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _detail(result: SyncResult) -> str | None:
    """What a run records as its error: the error, and what to do about it."""
    if result.error and result.advice:
        return f"{result.error} (what to do: {result.advice})"
    return result.error


def sync_account(
    store: Store,
    account_id: int,
    name: str,
    source: Source,
    *,
    clock: Callable[[], datetime] = utcnow,
    on_page: Callable[[SyncResult], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncResult:
    """Drain `source` from the stored cursor; store page by page. Never raises ConnectorError."""
    result = SyncResult(account=name)
    # Held for the run's life, released by the kernel or the server if this process dies:
    # how `touchbase status` tells an interrupted run from a running one (run_lock.py).
    held = run_lock.hold(store.sessions, account_id)
    run_id = store.start_run(account_id, clock())
    pulled: Generator[Page, None, None] | None = None
    collections = gc.get_threshold()
    try:
        # A pull makes millions of short-lived objects (header fields, records, rows) and next
        # to no garbage cycles: the collector's default (a young pass every 700 allocations,
        # each older pass over everything alive) cost a first sync of 100,000 IMAP messages
        # about 15% of its CPU (issue 16). Fewer passes while the run lasts; restored after.
        gc.set_threshold(max(collections[0], _YOUNG_PASS), *collections[1:])
        pulled = pullahead.pages(source, store.cursor(account_id))
        for page in pulled:
            saved = store.save_page(account_id, run_id, page, clock())
            result.pages += 1
            result.stored += saved.stored
            result.updated += saved.updated
            result.duplicates += saved.duplicates
            result.quarantined += saved.quarantined
            result.removed += saved.removed
            result.resyncs += 1 if page.resync else 0
            if on_page is not None:
                on_page(result)
            if should_stop():  # SIGTERM: the page is committed; stop before asking for more
                log.info("stopping %s after a stored page, as asked", name)
                break
    except ConnectorError as exc:
        result.status, result.error, result.advice = _status(exc), str(exc), exc.advice
        if isinstance(exc, TransientError):
            result.retry_after = exc.retry_after
    except Exception as exc:  # a connector bug must not take the daemon down (contract 3)
        log.exception("account %s failed with an unexpected error", name)
        result.status, result.error, result.advice = "failed", _describe(exc), BUG_ADVICE
    finally:
        gc.set_threshold(*collections)
        if pulled is not None:
            pulled.close()  # a worker still reading ahead is stopped now, not when collected
        source.close()
        try:
            store.finish_run(run_id, result.status, clock(), _detail(result))
        finally:
            held.release()
    if result.status != "ok":
        log.warning("account %s: %s: %s", name, result.status, result.error)
    return result
