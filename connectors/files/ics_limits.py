"""How much work a recurring series asks for, judged from its text before anything is expanded.

dateutil (under recurring-ical-events) walks a rule from its DTSTART and keeps every step it
takes (rrule cache), and recurring-ical-events builds the whole list of a window's occurrences
before handing back the first. So a 438-byte `RRULE:FREQ=SECONDLY` asks for 158 million
steps over a five-year window (measured before this module: killed at 70 s holding 940 MiB), and
no cap applied while iterating can stop it. The only safe moment to say no is before: this
module gives an upper bound of the steps from DTSTART to the window's end and of the
occurrences inside the window, from FREQ, INTERVAL, COUNT, UNTIL and the BYxxx lists (RFC 5545
3.3.10), and ics.py quarantines a series over the limits with the figure as its reason.

The bounds are generous on purpose (BYDAY in a YEARLY rule counts as every week); a series
that real people keep (a weekday stand-up since 2001, a birthday since 1900) stays far below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# A series may take this many rule steps from its DTSTART to the window's end (dateutil makes
# roughly 300k a second here, and keeps each): an hourly series started a few years ago fits;
# a minutely one does not.
MAX_SERIES_STEPS = 50_000
# Occurrences one series keeps inside the window, the most recent: twice a day for five years
# is 3,650; what is over is left out and named in one quarantine entry.
MAX_SERIES_OCCURRENCES = 5_000
# Occurrences of all the series of one calendar file inside the window. Each costs about 0.1 ms
# to expand and store; 50,000 is twenty-seven daily meetings kept for five years, and five
# times what a busy person meets in that time.
MAX_FILE_OCCURRENCES = 50_000
# A VTIMEZONE's rules: real ones change twice a year (RFC 5545 3.6.5 shows FREQ=YEARLY only),
# Outlook's start in 1601: 426 years.
MAX_ZONE_STEPS = 10_000

_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,  # the shortest month: an upper bound of the count
    "YEARLY": 365 * 86400,
}
_ORDER = list(_SECONDS)
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?")


@dataclass(frozen=True)
class Work:
    """Upper bounds of one series' cost: rule steps up to the window's end, occurrences in it."""

    steps: int
    occurrences: int
    frequency: str = ""


def rough_time(text: str | None) -> datetime | None:
    """A DATE or DATE-TIME value's digits as UTC, ignoring its zone (off by hours at most)."""
    match = _DATE.search(text or "")
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(p) for p in match.groups(default="0"))
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def parse_rule(text: str) -> dict[str, str]:
    """An RRULE value as upper-case NAME -> value (RFC 5545 3.3.10 recur)."""
    rule: dict[str, str] = {}
    for part in text.split(";"):
        name, _, value = part.partition("=")
        if name.strip():
            rule[name.strip().upper()] = value.strip().upper()
    return rule


def _per_period(rule: dict[str, str], frequency: str) -> int:
    """How many occurrences one period of the rule can hold, at most."""
    level = _ORDER.index(frequency)

    def count(name: str) -> int:
        return max(1, len([v for v in rule.get(name, "").split(",") if v]))

    many = 1
    for name, finer_than in (("BYSECOND", 0), ("BYMINUTE", 1), ("BYHOUR", 2)):
        if level > finer_than:  # a BYxxx finer than FREQ expands; otherwise it only filters
            many *= count(name)
    if frequency == "WEEKLY":
        many *= min(7, count("BYDAY"))
    elif frequency == "MONTHLY":
        days = count("BYMONTHDAY") * (5 * count("BYDAY") if "BYDAY" in rule else 1)
        many *= min(31, days)
    elif frequency == "YEARLY":
        days = count("BYMONTHDAY") * count("BYYEARDAY")
        days *= 1 if "BYDAY" in rule else count("BYMONTH")
        weeks = 5 * count("BYMONTH") if "BYMONTH" in rule else 53  # BYDAY within the months
        days *= count("BYWEEKNO") * (weeks * count("BYDAY") if "BYDAY" in rule else 1)
        many *= min(366, days)
    return many


def series_work(
    rule_text: str,
    dtstart: datetime,
    window_start: datetime,
    window_end: datetime,
    extra_dates: int = 0,
) -> Work:
    """Bounds for a series with RRULE `rule_text` from `dtstart`, within [window_start, end).

    `extra_dates` counts RDATE values, each one occurrence and one step. A rule this module
    cannot read is given no cost here: recurring-ical-events refuses it and ics.py quarantines.
    """
    rule = parse_rule(rule_text)
    frequency = rule.get("FREQ", "")
    if frequency not in _SECONDS:
        return Work(extra_dates, extra_dates, frequency)
    try:
        interval = max(1, int(rule.get("INTERVAL", "1") or 1))
    except ValueError:
        interval = 1
    period = timedelta(seconds=_SECONDS[frequency] * interval)
    many = _per_period(rule, frequency)
    last = window_end
    until = rough_time(rule.get("UNTIL"))
    if until is not None:
        last = min(last, until + timedelta(days=1))
    steps = 0 if last < dtstart else ((last - dtstart) // period + 1) * many
    first = max(dtstart, window_start)
    inside = 0 if last < first else ((last - first) // period + 2) * many
    if "COUNT" in rule:
        try:
            limit = max(0, int(rule["COUNT"]))
        except ValueError:
            limit = steps
        steps, inside = min(steps, limit), min(inside, limit)
    return Work(steps + extra_dates, min(inside, steps) + extra_dates, frequency)
