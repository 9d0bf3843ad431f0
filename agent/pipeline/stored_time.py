"""Times as the store keeps them on SQLite, written without SQLAlchemy.

models.UTCDateTime stores an aware time as naive UTC text, in the form SQLAlchemy's SQLite
DATETIME writes ("YYYY-MM-DD HH:MM:SS.ffffff", microseconds always present), so stored times
compare and sort as text. The import's bulk inserts write that text themselves, and a few hot
reads on SQLite bind their times as that text on the driver's connection (issue 16); all of
them make it here, so equal times are always equal text. No SQLAlchemy import: the plan's
reads take this at each start.
"""

from __future__ import annotations

from datetime import UTC, datetime


def sqlite_utc(value: datetime | None) -> str | None:
    """UTCDateTime's stored form on SQLite, in one step: the text SQLAlchemy writes (naive UTC,
    microseconds always present), so stored values compare and sort as the ORM expects."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is not UTC:
        if zone is None:
            raise ValueError("naive datetime given to the store; every timestamp must be aware")
        value = value.astimezone(UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff" from pieces made once: the day's text cached by its number,
    # the clock's from two tables, instead of isoformat (its C formatting was most of the
    # 1.5 us a time cost: a first IMAP sync stores 100,000, 0.15 -> 0.05 s CPU).
    since = value - _EPOCH
    day = _DAYS.get(since.days)
    if day is None:
        if len(_DAYS) >= _DAYS_MAX:
            _DAYS.clear()
        day = _DAYS[since.days] = value.isoformat()[:10]
    seconds, micro = since.seconds, since.microseconds
    hour, rest = divmod(seconds, 3600)
    if micro:
        return f"{day}{_HOURS[hour]}{_MINUTES_SECONDS[rest]}.{micro:06d}"
    return f"{day}{_HOURS[hour]}{_MINUTES_SECONDS[rest]}.000000"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS: dict[int, str] = {}  # days since _EPOCH -> "YYYY-MM-DD" (a mailbox's days repeat)
_DAYS_MAX = 16_384  # 45 years of days; cleared when full, so memory stays flat
_HOURS = [f" {hour:02d}:" for hour in range(24)]
_MINUTES_SECONDS = [f"{minute:02d}:{second:02d}" for minute in range(60) for second in range(60)]
