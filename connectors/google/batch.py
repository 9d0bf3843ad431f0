"""Batched Google reads: a per-user quota budget, and batches that retry their failed parts.

A batch does not retry its failed parts: each part's 429 or 5xx reaches its callback
(https://developers.google.com/gmail/api/guides/batch), so `run_batch` sends the failed parts
again, after the longest Retry-After any of them asked for, or a jittered backoff.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from googleapiclient.errors import BatchError, HttpError

from touchbase.connectors.errors import AuthError, ConnectorError, TransientError
from touchbase.connectors.google.http import GoogleHttp, RateLimited, classify
from touchbase.connectors.retry import RetryPolicy

log = logging.getLogger(__name__)

# Gmail's per-user limit is 15,000 quota units per user per minute (exceeding it answers 403
# userRateLimitExceeded); messages.get costs 5 units, list 5, history.list 2, getProfile 1,
# drafts.create 10 (https://developers.google.com/gmail/api/reference/quota, "Usage limits").
GMAIL_UNITS_PER_MINUTE = 15_000
UNITS = {"messages.get": 5, "messages.list": 5, "history.list": 2, "getProfile": 1}
UNITS |= {"drafts.create": 10, "drafts.list": 5, "drafts.get": 5}
UNITS |= {"threads.get": 10}  # a report-only bounce's thread (connectors/google/gmail_bounces.py)


SLOWEST = 1 / 16  # a rate-limit storm slows pacing to at most this share of the configured rate


@dataclass
class QuotaBudget:
    """A token bucket holding at most one minute of quota units; `spend` waits when it is dry.

    When Google still says "slow down" (429, 403 userRateLimitExceeded: other clients of the
    same user share the quota), `slow_down` halves the pace and empties the bucket; each batch
    that gets through whole brings it back up by a quarter (AIMD, as TCP does).
    """

    units_per_minute: float = GMAIL_UNITS_PER_MINUTE
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    waited: float = 0.0  # seconds spent waiting, for logs and benchmarks
    share: float = 1.0  # the part of units_per_minute in force now (1.0 unless throttled)
    _balance: float = field(init=False)
    _stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self._balance = self.units_per_minute
        self._stamp = self.clock()

    @property
    def pace(self) -> float:
        """Units per minute in force now."""
        return self.units_per_minute * self.share

    def spend(self, units: float) -> None:
        rate = self.pace / 60.0
        units = min(units, self.pace)
        self._refill(rate)
        if self._balance < units:
            wait = (units - self._balance) / rate
            log.debug("quota budget dry; pacing %.2fs", wait)
            self.sleep(wait)
            self.waited += wait
            self._refill(rate)
            self._balance = max(self._balance, units)  # a fake clock may not move while we wait
        self._balance -= units

    def slow_down(self) -> None:
        self.share = max(SLOWEST, self.share / 2)
        self._balance = min(self._balance, 0.0)
        log.info("rate limited: pacing at %.0f units a minute", self.pace)

    def recover(self) -> None:
        self.share = min(1.0, self.share * 1.25)

    def _refill(self, rate: float) -> None:
        now = self.clock()
        self._balance = min(self.pace, self._balance + (now - self._stamp) * rate)
        self._stamp = now


@dataclass
class Batcher:
    """Runs groups of idempotent requests as batches, retrying the parts that failed transiently."""

    service: Any
    http: GoogleHttp
    account: str
    budget: QuotaBudget
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    batch_size: int = 50  # Gmail advises at most 50 per batch; larger ones get rate-limited

    def run(
        self,
        keys: Sequence[str],
        make: Callable[[str], Any],
        *,
        units: int,
        what: str,
    ) -> dict[str, dict[str, Any] | ConnectorError]:
        """Each key's response, or its permanent error (a 404, say). Raises AuthError at once,
        and TransientError when some part still fails after the policy's attempts."""
        results: dict[str, dict[str, Any] | ConnectorError] = {}
        pending = list(dict.fromkeys(keys))
        for attempt in range(1, self.policy.attempts + 1):
            failed: dict[str, TransientError] = {}
            for start in range(0, len(pending), self.batch_size):
                chunk = pending[start : start + self.batch_size]
                self._one_batch(chunk, make, units, what, results, failed)
            if not failed:
                self.budget.recover()
                return results
            if any(isinstance(e, RateLimited) for e in failed.values()):
                self.budget.slow_down()
            worst = max(failed.values(), key=lambda e: e.retry_after or 0.0)
            if attempt == self.policy.attempts or (
                worst.retry_after is not None and worst.retry_after > self.policy.retry_after_cap
            ):
                raise worst
            wait = self.policy.delay(attempt, worst.retry_after, self.rng)
            log.info("retrying %d of %d %s in %.2fs", len(failed), len(keys), what, wait)
            self.sleep(wait)
            pending = list(failed)
        raise AssertionError("unreachable")  # pragma: no cover

    def _one_batch(
        self,
        chunk: list[str],
        make: Callable[[str], Any],
        units: int,
        what: str,
        results: dict[str, dict[str, Any] | ConnectorError],
        failed: dict[str, TransientError],
    ) -> None:
        self.budget.spend(units * len(chunk))
        if len(chunk) == 1:  # a batch of one costs the same request plus multipart overhead
            self._single(chunk[0], make, what, results, failed)
            return
        auth_errors: list[AuthError] = []

        def callback(key: str, response: Any, exc: HttpError | None) -> None:
            if exc is None:
                results[key] = response
                return
            error = classify(exc, self.account, what)
            if isinstance(error, TransientError):
                failed[key] = error
            elif isinstance(error, AuthError):
                auth_errors.append(error)
            else:
                results[key] = error

        batch = self.service.new_batch_http_request()
        for key in chunk:
            batch.add(make(key), callback=callback, request_id=key)
        try:
            self.http.ensure_token()  # else the batch refreshes through a bare httplib2.Http
            batch.execute()
        except HttpError as exc:  # the batch request itself failed
            error = classify(exc, self.account, f"batch of {what}")
            if not isinstance(error, TransientError):
                raise error from exc
            failed.update({key: error for key in chunk if key not in results})
        except (TransientError, BatchError) as exc:
            error = exc if isinstance(exc, TransientError) else TransientError(str(exc))
            failed.update({key: error for key in chunk if key not in results})
        if auth_errors:
            raise auth_errors[0]

    def _single(
        self,
        key: str,
        make: Callable[[str], Any],
        what: str,
        results: dict[str, dict[str, Any] | ConnectorError],
        failed: dict[str, TransientError],
    ) -> None:
        try:
            results[key] = make(key).execute(num_retries=0)
        except HttpError as exc:
            error = classify(exc, self.account, what)
            if isinstance(error, TransientError):
                failed[key] = error
            elif isinstance(error, AuthError):
                raise error from exc
            else:
                results[key] = error
        except TransientError as exc:
            failed[key] = exc
