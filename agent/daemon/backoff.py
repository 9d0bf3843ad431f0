"""When each account is next due, and exponential backoff for an account that keeps failing.

The schedule lives in the database (Account.next_attempt_at), not in the process, so a restart
(SIGKILL, reboot, `run --once` from a timer) neither forgets a backoff nor hammers a failing
provider. A failure sets failing_since (kept across failures), last_error and the next attempt;
a success clears them. `touchbase status` shows failing_since and last_error.

Backoff without a failure counter: the next delay equals the time the account has already been
failing, clamped to [BASE, CAP], so attempts land at about 1, 2, 4, 8... minutes after the first
failure (each wait doubles the total), and never sooner than a provider's Retry-After.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.pipeline.models import Account

BASE = 60.0  # seconds: a dropped connection usually heals within a minute
CAP = 3600.0  # an hour: a broken password should not flood the journal, nor wait for days
# A timer firing a little before the recorded time (AccuracySec, clock jitter) still counts as
# due; otherwise a 15-minute timer with a 15-minute interval would sync every 30 minutes.
TOLERANCE = 0.05
MAX_ERROR = 500  # characters of the last error kept for `touchbase status`


@dataclass(frozen=True)
class Schedule:
    """An account's scheduling state as the daemon reads it."""

    account_id: int
    next_attempt_at: datetime | None
    failing_since: datetime | None


def retry_delay(failing_since: datetime | None, now: datetime, retry_after: float | None) -> float:
    """Seconds to wait after a failure at `now` (pure)."""
    failing_for = (now - failing_since).total_seconds() if failing_since else 0.0
    delay = min(CAP, max(BASE, failing_for))
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, 24 * 3600.0)  # a silly Retry-After must not park it for ever
    return delay


def is_due(state: Schedule, now: datetime, interval: float) -> bool:
    """True when the account should be synced at `now` (pure)."""
    if state.next_attempt_at is None:
        return True
    early = timedelta(seconds=interval * TOLERANCE if state.failing_since is None else 0)
    if state.next_attempt_at - early <= now:
        return True
    # The interval was shortened (a reloaded config): do not wait out the old, longer one.
    return state.failing_since is None and state.next_attempt_at > now + timedelta(seconds=interval)


def read(sessions: sessionmaker[Session], account_id: int) -> Schedule:
    with sessions() as session:
        account = session.get(Account, account_id)
        if account is None:
            return Schedule(account_id, None, None)
        return Schedule(account_id, account.next_attempt_at, account.failing_since)


def record_success(
    sessions: sessionmaker[Session], account_id: int, started: datetime, interval: float | None
) -> None:
    """Clear the failure; next attempt one interval after this sync started (None: due now)."""
    values: dict[str, object] = {"failing_since": None, "last_error": None}
    if interval is not None:
        values["next_attempt_at"] = started + timedelta(seconds=interval)
    with sessions.begin() as session:
        session.execute(update(Account).where(Account.id == account_id).values(**values))


def record_failure(
    sessions: sessionmaker[Session],
    account_id: int,
    now: datetime,
    error: str,
    retry_after: float | None = None,
) -> datetime:
    """Keep failing_since, store the error, push the next attempt out; return that time."""
    with sessions.begin() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise LookupError(f"no account with id {account_id}")
        since = account.failing_since or now
        delay = retry_delay(account.failing_since, now, retry_after)
        account.failing_since = since
        account.last_error = error[:MAX_ERROR]
        account.next_attempt_at = now + timedelta(seconds=delay)
        return account.next_attempt_at
