"""The plain events that make up most of a large calendar, read without icalendar's full parser.

icalendar parses a content line in about 25 us (7.3, measured here), so a plain event of eight
lines costs 0.2 ms and a 50 MB export (190,000 events) 40 s before anything is stored: too slow
for the 60 s a calendar may take (issue 13). Most events in such files are the simplest kind:
UTC, floating or all-day times, a summary, an organizer and attendees. This module reads exactly
that kind and answers None for anything else (a TZID, a parameter with an escape, a property
given twice...), which then goes through icalendar as before. Values are unescaped by
icalendar's own function; tests/connectors/test_files_calendar_wild.py checks, as a property,
that this reading and icalendar's agree on every event this module accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import vDuration
from icalendar.parser.property import unescape_backslash

Params = dict[str, str]
_SKIP = {"BEGIN", "END", "UID", "DTSTAMP", "SEQUENCE", "LAST-MODIFIED"}
_ONCE = {"DTSTART", "DTEND", "DURATION", "SUMMARY", "ORGANIZER", "STATUS"}


@dataclass(frozen=True, slots=True)
class PlainEvent:
    """What a meeting needs from a plain VEVENT, as icalendar would have given it."""

    start: date | datetime
    end: date | datetime | None
    duration: timedelta | None
    summary: str | None
    status: str
    organizer: tuple[str, Params] | None
    attendees: tuple[tuple[str, Params], ...]


# One unfolded content line (RFC 5545 3.1): name, parameters (quoted values may hold ; and :),
# value. One regular expression per line is most of what makes this fast.
_LINE = re.compile(r'([A-Za-z0-9-]+)((?:;(?:[^:;"]|"[^"]*")*)*):(.*)')
# A parameter's name is an iana-token or x-name (RFC 5545 3.1); `;=;` or `;CN x=` is not one,
# and icalendar's lenient reading of such a line is not ours to guess: it goes to icalendar.
_PARAM_NAME = re.compile(r"[A-Za-z0-9-]+")


def _params(text: str) -> Params | None:
    """`;NAME=value;NAME="value"` to a dict; None when a value needs more than this reading."""
    params: Params = {}
    if not text:
        return params
    if '"' in text:
        parts: list[str] = []
        current: list[str] = []
        quoted = False
        for char in text[1:]:  # text starts with the ';' after the property's name
            if char == '"':
                quoted = not quoted
            if char == ";" and not quoted:
                parts.append("".join(current))
                current = []
            else:
                current.append(char)
        parts.append("".join(current))
    else:
        parts = text[1:].split(";")
    for part in parts:
        name, sep, value = part.partition("=")
        if (
            not sep
            or not _PARAM_NAME.fullmatch(name)
            or "\\" in value
            or "^" in value
            or "%" in value
        ):
            return None
        if value[:1] == '"':
            if len(value) < 2 or value[-1] != '"' or '"' in value[1:-1]:
                return None
            value = value[1:-1]
        elif "," in value:
            return None  # a list of values: icalendar keeps a list
        params[name.upper()] = value
    return params


def _time(value: str, params: Params) -> date | datetime | None:
    kind = params.pop("VALUE", "").upper()
    if params:  # a TZID, or anything else: icalendar's business
        return None
    if len(value) == 8 and value.isdigit() and kind in ("", "DATE"):
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    if kind not in ("", "DATE-TIME") or len(value) not in (15, 16) or value[8] != "T":
        return None
    digits = value[:8] + value[9:15]
    if not digits.isdigit() or (len(value) == 16 and value[15] != "Z"):
        return None
    when = datetime(
        int(digits[:4]),
        int(digits[4:6]),
        int(digits[6:8]),
        int(digits[8:10]),
        int(digits[10:12]),
        int(digits[12:14]),
        tzinfo=UTC if len(value) == 16 else None,
    )
    return when


def read_plain(lines: bytes) -> PlainEvent | None:
    """An event's unfolded own lines (no VALARM) as a PlainEvent; None: icalendar's to read."""
    try:
        text = lines.decode("utf-8")
    except UnicodeDecodeError:
        return None
    seen: set[str] = set()
    values: dict[str, tuple[Params, str]] = {}
    attendees: list[tuple[str, Params]] = []
    for line in text.split("\n"):  # not splitlines(): U+2028 and the like are text here
        if line[-1:] == "\r":
            line = line[:-1]
        if not line:
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            return None
        name = match.group(1).upper()
        if name in _SKIP:
            continue
        params = _params(match.group(2))
        if params is None:
            return None
        value = match.group(3)
        if name != "SUMMARY" and "\\" in value:
            return None  # an escaped address or time: rare, icalendar's business
        if name == "ATTENDEE":
            attendees.append((value, params))
            continue
        if name not in _ONCE or name in seen:
            return None  # RRULE, RDATE, RECURRENCE-ID..., or a property twice
        seen.add(name)
        values[name] = (params, value)
    if "DTSTART" not in values or ("DTEND" in values and "DURATION" in values):
        return None
    start = _time(values["DTSTART"][1], dict(values["DTSTART"][0]))
    end = _time(values["DTEND"][1], dict(values["DTEND"][0])) if "DTEND" in values else None
    if start is None or ("DTEND" in values and end is None):
        return None
    if end is not None and isinstance(end, datetime) != isinstance(start, datetime):
        return None
    duration = None
    if "DURATION" in values:
        try:
            duration = vDuration.from_ical(values["DURATION"][1])
        except ValueError:
            return None
        if not isinstance(duration, timedelta):
            return None
    summary = values.get("SUMMARY")
    organizer = values.get("ORGANIZER")
    return PlainEvent(
        start=start,
        end=end,
        duration=duration,
        summary=unescape_backslash(summary[1]) if summary is not None else None,
        status=values.get("STATUS", ({}, ""))[1],
        organizer=(organizer[1], organizer[0]) if organizer is not None else None,
        attendees=tuple(attendees),
    )
