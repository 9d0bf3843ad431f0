"""Recurring series (RFC 5545 3.8.5): judged, repaired and expanded by recurring-ical-events.

A series is judged from its rule's text first (ics_limits.py) and quarantined when over a limit;
then parsed by icalendar, one bad RDATE/EXDATE value dropped with a warning, RFC 7529
RSCALE=GREGORIAN read as the plain rule it is, and expanded over the window. Each occurrence's
id is the series UID and its own original start, also after RANGE=THISANDFUTURE.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
import recurring_ical_events

from touchbase.connectors.base import (
    InteractionRecord,
    Quarantined,
)
from touchbase.connectors.files.calendar_versions import (
    VersionBook,
)
from touchbase.connectors.files.ics_limits import (
    MAX_FILE_OCCURRENCES,
    MAX_SERIES_OCCURRENCES,
    MAX_SERIES_STEPS,
    rough_time,
    series_work,
)
from touchbase.connectors.files.ics_records import as_list, occurrence, to_utc
from touchbase.connectors.files.ics_scan import (
    Block,
    CalendarHead,
    own_lines,
    split_value,
)

Record = InteractionRecord | Quarantined
_KEEP = (
    "BEGIN|END|UID|DTSTART|DTEND|DURATION|RRULE|RDATE|EXDATE|EXRULE|RECURRENCE-ID|SUMMARY|"
    "ORGANIZER|ATTENDEE|STATUS|SEQUENCE|LAST-MODIFIED|DTSTAMP"
)
DROP = re.compile(
    rb"^(?!(?:" + _KEEP.encode() + rb")[;:])[^\r\n]*(?:\r?\n|$)",  # on unfolded lines
    re.MULTILINE | re.IGNORECASE,
)


@dataclass(frozen=True)
class Window:
    """Occurrences starting in [start, end) are read; `policy_start` (the horizon, at or before
    `start`) is where the caps are judged from, so that a series over a limit is refused the
    same way on the first read and on each later extension of the window."""

    start: datetime
    end: datetime
    policy_start: datetime


def at(where: str, block: Block) -> str:
    return f"{where}, line {block.line}"


# -- time zones ----------------------------------------------------------------------------


def parse_event(raw: bytes, block: Block) -> Any:
    return icalendar.Event.from_ical(DROP.sub(b"", own_lines(raw, block)))


def _repair_dates(event: Any, uid: str, where: str) -> Iterator[Quarantined]:
    """Drop the RDATE/EXDATE values icalendar could not read, keep the rest and the series.

    A Google birthday export carries `RDATE:20131210Z`; empty `EXDATE:` lines occur too. One bad
    value is a warning (a Quarantined entry naming it), not a reason to lose the series.
    """
    broken = {name.upper() for name, _ in getattr(event, "errors", [])}
    for name in ("RDATE", "EXDATE"):
        if name not in broken or name not in event:
            continue
        values = as_list(event.pop(name))
        kept: list[Any] = []
        for value in values:
            if not isinstance(value, icalendar.prop.vBroken):
                kept.append(value)
                continue
            params = getattr(value, "params", {})
            tzid = params.get("TZID")
            good = []
            for text in str(value).split(","):
                text = text.strip()
                try:
                    if str(params.get("VALUE", "")).upper() == "PERIOD":
                        good.append(icalendar.vPeriod.from_ical(text, timezone=tzid)[0])
                    else:
                        good.append(icalendar.vDDDTypes.from_ical(text, timezone=tzid))
                except Exception:  # a value icalendar cannot read: the one thing dropped
                    yield Quarantined(
                        f"{uid}#{name}:{text}",
                        f"{where}: event {uid}: {name} value {text!r} is not a date or time; "
                        "that value is left out, the rest of the series is read",
                    )
            if good:
                kept.append(icalendar.prop.vDDDLists(good))
        for value in kept:
            event.add(name, value)


def _rscale(event: Any, uid: str, where: str) -> str | None:
    """RFC 7529 RSCALE: GREGORIAN (with SKIP=OMIT, the RFC 5545 behaviour) is a plain rule."""
    for rule in as_list(event.get("RRULE")):
        scale = [str(v).upper() for v in as_list(rule.get("RSCALE"))]
        skip = [str(v).upper() for v in as_list(rule.get("SKIP"))]
        if not scale:
            continue
        if scale != ["GREGORIAN"] or skip not in ([], ["OMIT"]):
            named = f"RSCALE={','.join(scale)}" + (f";SKIP={','.join(skip)}" if skip else "")
            return (
                f"{where}: event {uid}: its rule uses {named}, an RFC 7529 calendar scale other "
                "than the plain Gregorian one; not expanded"
            )
        rule.pop("RSCALE", None)
        rule.pop("SKIP", None)
    return None


def _rid_key(value: date | datetime) -> datetime:
    """A RECURRENCE-ID as recurring-ical-events names it in OccurrenceID: UTC without tzinfo."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0))
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _shift(event: Any) -> timedelta:
    """How far an override moves its occurrence(s) from where the rule put them.

    An occurrence's own original start is its time less this: for a plain override that is its
    RECURRENCE-ID; after a RANGE=THISANDFUTURE override (RFC 5545 3.8.4.4), whose RECURRENCE-ID
    recurring-ical-events gives to every later occurrence, each one's own rule time.
    """
    rid = event.get("RECURRENCE-ID")
    if rid is None:
        return timedelta(0)
    return to_utc(event["DTSTART"].dt) - to_utc(rid.dt)


@dataclass
class CalendarFile:
    """One read of one calendar file: where it is, its window, and what its series took."""

    raw: bytes
    where: str
    window: Window
    heads: dict[int, CalendarHead]
    versions: VersionBook | None
    taken: int = 0  # occurrences the file's series were allowed (upper bounds, ics_limits)

    def cancelled(self, block: Block) -> bool:
        head = self.heads.get(block.calendar)
        return head is not None and head.method == "CANCEL"


def _series_problem(file: CalendarFile, uid: str, master: Block) -> str | None:
    """Why a series is not expanded (ics_limits.py), or None; counts what it may take."""
    first = rough_time(master.value(b"DTSTART"))
    if first is None:
        return None  # no usable DTSTART: icalendar's error will say so
    dates = sum(len(split_value(v)[1].split(b",")) for v in master.props.get(b"RDATE", []))
    rules = [split_value(v)[1].decode("utf-8", "replace") for v in master.props.get(b"RRULE", [])]
    window, where = file.window, at(file.where, master)
    steps = occurrences = dates
    frequency = ""
    for rule in rules or [""]:
        work = series_work(rule, first, window.policy_start, window.end, 0)
        steps, occurrences = steps + work.steps, occurrences + work.occurrences
        frequency = frequency or work.frequency
    how = f" (FREQ={frequency})" if frequency else ""
    if steps > MAX_SERIES_STEPS:
        return (
            f"{where}: series {uid} repeats too often{how}: about {steps:,} occurrences from its "
            f"start to {window.end:%Y-%m-%d}, more than the {MAX_SERIES_STEPS:,} a series may "
            "take; not expanded"
        )
    occurrences = min(occurrences, MAX_SERIES_OCCURRENCES)  # expand keeps no more
    if file.taken + occurrences > MAX_FILE_OCCURRENCES:
        return (
            f"{where}: series {uid}: the series before it in this file already take "
            f"{file.taken:,} occurrences and this one about {occurrences:,} more, over the "
            f"{MAX_FILE_OCCURRENCES:,} one calendar file may hold; not expanded"
        )
    file.taken += occurrences
    return None


def expand(file: CalendarFile, uid: str, blocks: list[Block]) -> Iterator[Record]:
    master = next((b for b in blocks if b.prop(b"RECURRENCE-ID") is None), None)
    if master is not None:
        problem = _series_problem(file, uid, master)
        if problem is not None:
            yield Quarantined(uid, problem)
            return
    where = at(file.where, blocks[0])
    events = [parse_event(file.raw, block) for block in blocks]
    for event in events:
        yield from _repair_dates(event, uid, where)
        problem = _rscale(event, uid, where)
        if problem is not None:
            yield Quarantined(uid, problem)
            return
    if any(event.get("DTSTART") is None for event in events):
        yield Quarantined(uid, f"{where}: event {uid} has no DTSTART")
        return
    mini = icalendar.Calendar()
    master_event: Any = None
    overrides: dict[datetime, Any] = {}
    for event in events:
        mini.add_component(event)
        rid = event.get("RECURRENCE-ID")
        if rid is None:
            master_event = event
        else:
            overrides[_rid_key(rid.dt)] = event
    cancelled = any(file.cancelled(b) for b in blocks)
    # One record per source component, copied per occurrence: recurring-ical-events' own
    # per-occurrence component copies cost 0.12 ms each, the records as much again (measured:
    # 1,841 daily occurrences 0.5 s that way, 0.1 s this way).
    bases: dict[int, tuple[InteractionRecord, timedelta]] = {}
    found: dict[str, InteractionRecord] = {}
    window = file.window
    query = recurring_ical_events.of(mini)
    for series in query.series:
        for hit in series.between(window.start - timedelta(days=1), window.end):
            rid = hit.id.recurrence_id
            source = overrides.get(rid, master_event) if rid is not None else master_event
            if source is None:
                continue
            if id(source) not in bases:
                bases[id(source)] = (occurrence(source, uid, uid, cancelled), _shift(source))
            base, shift = bases[id(source)]
            start = to_utc(hit.start)
            if not window.start <= start < window.end:
                continue
            ended = to_utc(hit.end) if hit.end is not None else base.ended_at
            item = replace(
                base,
                source_id=f"{uid}/{(start - shift).isoformat()}",
                occurred_at=start,
                ended_at=ended,
            )
            # The earliest of a repeated id wins (two overrides of one occurrence).
            known = found.get(item.source_id)
            if known is None or item.occurred_at < known.occurred_at:
                found[item.source_id] = item
    items = sorted(found.values(), key=lambda i: (i.occurred_at, i.source_id))
    if len(items) > MAX_SERIES_OCCURRENCES:
        # The most recent are the ones that say when people last met; the rest is named.
        cut = len(items) - MAX_SERIES_OCCURRENCES
        yield Quarantined(
            f"{uid}#before:{items[cut].occurred_at.isoformat()}",
            f"{where}: series {uid} has {len(items):,} occurrences in the window, more than the "
            f"{MAX_SERIES_OCCURRENCES:,} one series may keep; the {cut:,} before "
            f"{items[cut].occurred_at:%Y-%m-%d} are left out",
        )
        items = items[cut:]
    yield from items
