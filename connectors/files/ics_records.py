"""What a meeting is made of, from an icalendar event or a plain event read by ics_fast.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from touchbase.connectors.base import (
    Flag,
    InteractionRecord,
    Kind,
    Participant,
    Response,
    Role,
)
from touchbase.connectors.files.ics_fast import PlainEvent

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


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _participants(
    organizer: tuple[str, Any] | None, attendees: Iterable[tuple[str, Any]]
) -> tuple[Participant, ...]:
    """ORGANIZER and ATTENDEEs as (value, parameters) pairs to participants."""
    people: list[Participant] = []
    seen: set[tuple[str, Role]] = set()
    if organizer is not None:
        address = _address(organizer[0])
        if address:
            seen.add((address, Role.ORGANIZER))
            name = str(organizer[1].get("CN", "")).strip().strip('"')
            people.append(Participant(address, Role.ORGANIZER, name))
    for value, params in attendees:
        address = _address(value)
        if not address or (address, Role.ATTENDEE) in seen:
            continue
        seen.add((address, Role.ATTENDEE))
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


def record(
    plain: PlainEvent, source_id: str, uid: str, calendar_cancelled: bool
) -> InteractionRecord:
    start_value = plain.start
    start = to_utc(start_value)
    end = to_utc(plain.end) if plain.end is not None else None
    if end is None and plain.duration is not None:
        end = start + plain.duration
    if end is None:  # RFC 5545 3.6.1: an all-day event lasts the day, a timed one no time
        end = start if isinstance(start_value, datetime) else start + timedelta(days=1)
    flags: set[Flag] = set()
    if calendar_cancelled or plain.status.upper() == "CANCELLED":
        flags.add(Flag.CANCELLED)
    if not isinstance(start_value, datetime):
        flags.add(Flag.ALL_DAY)
    return InteractionRecord(
        source_id=source_id,
        kind=Kind.MEETING,
        occurred_at=start,
        ended_at=end,
        participants=_participants(plain.organizer, plain.attendees),
        subject=" ".join(plain.summary.split()) if plain.summary is not None else None,
        thread_id=uid,
        folder="calendar",
        flags=frozenset(flags),
    )


def _from_icalendar(event: Any) -> PlainEvent:
    """The same values from an icalendar Event (what ics_fast.read_plain reads by itself)."""
    organizer = event.get("ORGANIZER")
    if isinstance(organizer, list):
        organizer = organizer[0] if organizer else None
    end = event.get("DTEND")
    duration = event.get("DURATION")
    summary = event.get("SUMMARY")
    return PlainEvent(
        start=event["DTSTART"].dt,
        end=end.dt if end is not None else None,
        duration=duration.dt if duration is not None else None,
        summary=str(summary) if summary is not None else None,
        status=str(event.get("STATUS", "")),
        organizer=(str(organizer), getattr(organizer, "params", {}))
        if organizer is not None
        else None,
        attendees=tuple((str(a), getattr(a, "params", {})) for a in as_list(event.get("ATTENDEE"))),
    )


def occurrence(event: Any, source_id: str, uid: str, calendar_cancelled: bool) -> InteractionRecord:
    return record(_from_icalendar(event), source_id, uid, calendar_cancelled)
