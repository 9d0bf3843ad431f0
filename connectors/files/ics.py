"""iCalendar (RFC 5545) files to meeting interactions: one per occurrence inside a time window.

Recurrence (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides, RANGE=THISANDFUTURE) is expanded by
recurring-ical-events; time zones (VTIMEZONE, Windows names from Exchange) by icalendar. Each
UID is expanded on its own, so one broken event is quarantined with its reason while the rest of
the calendar goes on; a calendar that does not parse at all is one quarantined record.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
import recurring_ical_events

from touchbase.connectors.base import (
    Flag,
    InteractionRecord,
    Kind,
    Participant,
    Quarantined,
    Response,
    Role,
)

log = logging.getLogger(__name__)

_PARTSTAT = {
    "ACCEPTED": Response.ACCEPTED,
    "DECLINED": Response.DECLINED,
    "TENTATIVE": Response.TENTATIVE,
    "NEEDS-ACTION": Response.NEEDS_ACTION,
}
_RESOURCE_CUTYPES = {"ROOM", "RESOURCE"}  # RFC 5545 3.2.3: not people
_OPTIONAL_ROLES = {"OPT-PARTICIPANT", "NON-PARTICIPANT"}  # RFC 5545 3.2.16


def to_utc(value: date | datetime) -> datetime:
    """A DATE or DATE-TIME as aware UTC. Floating times (no zone) are taken as UTC."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _address(value: Any) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _participants(event: Any) -> tuple[Participant, ...]:
    people: list[Participant] = []
    seen: set[tuple[str, Role]] = set()
    organizer = event.get("ORGANIZER")
    if organizer is not None:
        address = _address(organizer)
        if address:
            seen.add((address, Role.ORGANIZER))
            name = str(organizer.params.get("CN", "")).strip().strip('"')
            people.append(Participant(address, Role.ORGANIZER, name))
    for attendee in _as_list(event.get("ATTENDEE")):
        address = _address(attendee)
        if not address or (address, Role.ATTENDEE) in seen:
            continue
        seen.add((address, Role.ATTENDEE))
        params = getattr(attendee, "params", {})
        people.append(
            Participant(
                address,
                Role.ATTENDEE,
                str(params.get("CN", "")).strip().strip('"'),
                response=_PARTSTAT.get(str(params.get("PARTSTAT", "NEEDS-ACTION")).upper()),
                resource=str(params.get("CUTYPE", "")).upper() in _RESOURCE_CUTYPES,
                optional=str(params.get("ROLE", "")).upper() in _OPTIONAL_ROLES,
            )
        )
    return tuple(people)


def _occurrence(
    event: Any, uid: str, single: bool, calendar_cancelled: bool
) -> InteractionRecord | None:
    start_value = event["DTSTART"].dt
    start = to_utc(start_value)
    end_prop = event.get("DTEND")
    end = to_utc(end_prop.dt) if end_prop is not None else None
    if end is None and event.get("DURATION") is not None:
        end = start + event["DURATION"].dt
    if end is None and not isinstance(start_value, datetime):
        end = start + timedelta(days=1)  # RFC 5545 3.6.1: an all-day event lasts the day
    recurrence = event.get("RECURRENCE-ID")
    if single or recurrence is None:
        source_id = uid
    else:
        source_id = f"{uid}/{to_utc(recurrence.dt).isoformat()}"
    flags: set[Flag] = set()
    if calendar_cancelled or str(event.get("STATUS", "")).upper() == "CANCELLED":
        flags.add(Flag.CANCELLED)
    if not isinstance(start_value, datetime):
        flags.add(Flag.ALL_DAY)
    summary = event.get("SUMMARY")
    return InteractionRecord(
        source_id=source_id,
        kind=Kind.MEETING,
        occurred_at=start,
        ended_at=end,
        participants=_participants(event),
        subject=" ".join(str(summary).split()) if summary is not None else None,
        thread_id=uid,
        folder="calendar",
        flags=frozenset(flags),
    )


def _uid(event: Any) -> str:
    uid = event.get("UID")
    if uid is not None and str(uid).strip():
        return str(uid).strip()
    # No UID (RFC 5545 requires one, exports sometimes lack it): a digest of the event itself
    # is stable across re-imports of the same file.
    return "sha1:" + hashlib.sha1(event.to_ical()).hexdigest()


def _series(calendars: Iterable[Any]) -> tuple[list[Any], dict[str, list[Any]], bool]:
    timezones: list[Any] = []
    by_uid: dict[str, list[Any]] = {}
    cancelled = False
    for calendar in calendars:
        cancelled = cancelled or str(calendar.get("METHOD", "")).upper() == "CANCEL"
        for component in calendar.subcomponents:
            if component.name == "VTIMEZONE":
                timezones.append(component)
            elif component.name == "VEVENT":
                by_uid.setdefault(_uid(component), []).append(component)
    return timezones, by_uid, cancelled


def read_calendar(
    raw: bytes, *, start: datetime, end: datetime, where: str
) -> tuple[list[InteractionRecord], list[Quarantined]]:
    """The occurrences starting in [start, end), sorted, and the events that could not be used.

    `where` (the file's path) prefixes quarantine reasons and stands in for a calendar's id.
    """
    found: list[InteractionRecord] = []
    bad: list[Quarantined] = []
    try:
        calendars = icalendar.Calendar.from_ical(raw, multiple=True)
    except Exception as error:  # untrusted input: icalendar raises many kinds; quarantine all
        return [], [Quarantined(where, f"{where}: calendar does not parse: {error}")]
    timezones, by_uid, cancelled = _series(calendars)
    for uid, events in sorted(by_uid.items()):
        single = len(events) == 1 and not any(
            key in events[0] for key in ("RRULE", "RDATE", "RECURRENCE-ID")
        )
        mini = icalendar.Calendar()
        for component in (*timezones, *events):
            mini.add_component(component)
        try:
            query = recurring_ical_events.of(mini)
            for event in query.between(start - timedelta(days=1), end):
                item = _occurrence(event, uid, single, cancelled)
                if item is not None and start <= item.occurred_at < end:
                    found.append(item)
        except Exception as error:  # one broken series must not stop the calendar
            log.debug("quarantined event in %s: %s", where, error)
            bad.append(Quarantined(uid, f"{where}: event {uid}: {type(error).__name__}: {error}"))
    found.sort(key=lambda i: (i.occurred_at, i.source_id))
    unique = {i.source_id: i for i in reversed(found)}  # the earliest of a repeated id wins
    return sorted(unique.values(), key=lambda i: (i.occurred_at, i.source_id)), bad
