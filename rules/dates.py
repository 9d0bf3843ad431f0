"""Calendar arithmetic in the owner's time zone: business days, yearly dates, readable text."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo


class KnownDate(NamedTuple):
    """A yearly date the owner knows for a person: a birthday, a work anniversary.

    `year` (optional) is when it started, for "5 years". The caller supplies these (from an
    imported contacts file or `touchbase person ADDRESS --set birthday=...`).
    """

    kind: str  # "birthday", "work-anniversary", or any word the owner uses
    month: int
    day: int
    year: int | None = None


def add_business_days(start: datetime, days: int, zone: ZoneInfo) -> datetime:
    """`start` plus `days` working days (Monday to Friday) in `zone`, same local time of day.

    Weekends are skipped; public holidays are not known to the rules. A start on a weekend
    counts from the next Monday. The result is aware UTC-comparable (in `zone`).
    """
    local = start.astimezone(zone)
    day = local.date()
    if days > 0:
        # Counted a day at a time, each weekday one: a weekend start counts as from the Friday
        # before, every five are a week, and the rest cross a weekend when they pass Friday. A
        # plan counts them for each reply and follow-up due (4,637 at bench/rules.py's 1M).
        weekday = day.weekday()
        if weekday > 4:
            day -= timedelta(days=weekday - 4)
            weekday = 4
        weeks, rest = divmod(days, 5)
        day += timedelta(days=7 * weeks + rest + (2 if weekday + rest > 4 else 0))
    return datetime.combine(day, local.time(), tzinfo=zone)


def _on(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:  # 29 February outside a leap year: celebrated on the 28th
        return date(year, month, 28)


def next_occurrence(known: KnownDate, today: date) -> date:
    """The first date on or after `today` on which `known` falls."""
    this_year = _on(today.year, known.month, known.day)
    return this_year if this_year >= today else _on(today.year + 1, known.month, known.day)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def show_day(moment: datetime, zone: ZoneInfo) -> str:
    """'2001-12-14' in the owner's zone."""
    return moment.astimezone(zone).date().isoformat()


def show_minute(moment: datetime, zone: ZoneInfo) -> str:
    """'2001-12-14 16:00' in the owner's zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def show_span(span: timedelta) -> str:
    """'36 hours', '90 days', '1 day'."""
    hours = span.total_seconds() / 3600
    if hours < 48 and hours != 24:
        return f"{hours:g} hours" if hours != 1 else "1 hour"
    days = span.total_seconds() / 86400
    return "1 day" if days == 1 else f"{days:g} days"
