"""Pulling one account into the store: pages in, cursor forward, errors sorted by kind.

The only place that drives a Source. Each page is stored with its cursor before the next one is
asked for, so a kill between pages loses nothing; the error kinds of connectors/errors.py decide
how the run ends (DESIGN.md contract 3). A connector bug fails this account's run, never the
caller: it is logged with its traceback and recorded on the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from touchbase.agent.pipeline import pullahead
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
    run_id = store.start_run(account_id, clock())
    pulled: Generator[Page, None, None] | None = None
    try:
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
    except AuthError as exc:
        result.status, result.error, result.advice = "auth", str(exc), exc.advice
    except TransientError as exc:
        result.status, result.error, result.advice = "transient", str(exc), exc.advice
        result.retry_after = exc.retry_after
    except ConnectorError as exc:
        result.status, result.error, result.advice = "failed", str(exc), exc.advice
    except Exception as exc:  # a connector bug must not take the daemon down (contract 3)
        log.exception("account %s failed with an unexpected error", name)
        result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
        result.advice = "this is a bug in touchbase; the log has the details"
    finally:
        if pulled is not None:
            pulled.close()  # a worker still reading ahead is stopped now, not when collected
        source.close()
        error = result.error
        if error and result.advice:
            error = f"{error} (what to do: {result.advice})"
        store.finish_run(run_id, result.status, clock(), error)
    if result.status != "ok":
        log.warning("account %s: %s: %s", name, result.status, result.error)
    return result
