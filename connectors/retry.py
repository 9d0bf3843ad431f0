"""Retry policy shared by the HTTP and IMAP connectors: backoff with jitter, Retry-After honoured.

Only idempotent operations go through `call_with_retry` (DESIGN.md #4): reads, and lookups. Pushing
a draft never does; the agent looks the draft up by its key before trying again.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from touchbase.connectors.errors import TransientError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait. Defaults suit a daemon: a few tries, then the next cycle."""

    attempts: int = 5
    base: float = 0.5  # seconds before the second try
    cap: float = 60.0  # never wait longer than this for one try
    retry_after_cap: float = 300.0  # a server asking for more than this fails the run instead

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap)
        # "Full jitter" (AWS architecture blog): spreads retries of many clients apart.
        return rng.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    what: str = "request",
) -> T:
    """Call `fn` until it returns or raises something other than TransientError."""
    rng = rng or random.Random()
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except TransientError as exc:
            if attempt == policy.attempts:
                raise
            if exc.retry_after is not None and exc.retry_after > policy.retry_after_cap:
                raise
            wait = policy.delay(attempt, exc.retry_after, rng)
            log.info("retrying %s in %.2fs after: %s", what, wait, exc)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
