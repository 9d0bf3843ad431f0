"""Pulling one account into the store: pages in, cursor forward, errors sorted by kind.

The only place that drives a Source. Each page is stored with its cursor, in order, so a kill
anywhere loses nothing; the error kinds of connectors/errors.py decide how the run ends (DESIGN.md
contract 3). The connector fetches the next page in a thread of its own while this one stores
the current page: network reads and SQLite's work both release the GIL, so the two overlap
(BENCHMARKS.md). A page fetched but not stored when the process dies is simply fetched again,
since its cursor was never written. A connector bug fails this account's run, never the
caller: it is logged with its traceback and recorded on the run.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from agent.store import Store
from connectors.base import Source
from connectors.errors import AuthError, ConnectorError, TransientError

log = logging.getLogger(__name__)
T = TypeVar("T")


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


_END = object()


def prefetched(pages: Iterator[T], depth: int = 1) -> Iterator[T]:
    """`pages`, produced one step ahead by a background thread; errors re-raised here.

    Closing this generator (the consumer stopped early) tells the producer to stop and closes
    the connector's own generator in the producer's thread, where it ran.
    """
    handoff: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object, error: BaseException | None = None) -> bool:
        while not stop.is_set():
            try:
                handoff.put((item, error), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not offer(page):
                    break
            else:
                offer(_END)
        except BaseException as exc:  # handed to the consumer, who sorts it by kind
            offer(_END, exc)
        finally:
            close = getattr(pages, "close", None)
            if callable(close):
                close()

    producer = threading.Thread(target=produce, name="touchbase-pull", daemon=True)
    producer.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        # A producer inside a slow network call finishes it first; never wait forever on one.
        producer.join(timeout=30)


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
    try:
        for page in prefetched(source.pull(store.cursor(account_id))):
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
        source.close()
        error = result.error
        if error and result.advice:
            error = f"{error} (what to do: {result.advice})"
        store.finish_run(run_id, result.status, clock(), error)
    if result.status != "ok":
        log.warning("account %s: %s: %s", name, result.status, result.error)
    return result
