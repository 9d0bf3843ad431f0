"""Graph event resources -> meeting Interactions, and the calendarView delta window.

https://learn.microsoft.com/graph/api/resources/event: attendees carry `type`
(required / optional / resource) and `status.response` (none, organizer, tentativelyAccepted,
accepted, declined, notResponded). calendarView delta takes no `$select`, so the whole event
arrives; only metadata is kept. We ask for times in UTC (`Prefer: outlook.timezone="UTC"`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from touchbase.connectors.base import Flag, InteractionRecord, Kind, Participant, Response, Role
from touchbase.connectors.errors import BadRecord

RESPONSES = {
    "accepted": Response.ACCEPTED,
    "organizer": Response.ACCEPTED,
    "tentativelyaccepted": Response.TENTATIVE,
    "declined": Response.DECLINED,
    "notresponded": Response.NEEDS_ACTION,
    "none": Response.NEEDS_ACTION,
}


def window(now: datetime, past_days: int, ahead_days: int) -> tuple[datetime, datetime]:
    """The calendarView window: whole UTC days from the past horizon to now plus the look-ahead."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=past_days), day + timedelta(days=ahead_days + 1)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_event_time(value: object) -> datetime:
    """A Graph dateTimeTimeZone ({"dateTime": "...", "timeZone": "UTC"}) as aware UTC."""
    if not isinstance(value, dict):
        raise BadRecord(f"no usable event time: {value!r}")
    text, zone = value.get("dateTime"), value.get("timeZone") or "UTC"
    if not isinstance(text, str):
        raise BadRecord(f"no usable event time: {value!r}")
    # Graph writes seven fractional digits ("20:30:00.0000000"); Python reads at most six.
    head, dot, fraction = text.partition(".")
    text = head + (dot + fraction[:6] if dot else "")
    try:
        naive = datetime.fromisoformat(text)
        tz = UTC if zone.upper() in ("UTC", "Z") else ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise BadRecord(f"unreadable event time {value!r}") from exc
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=tz)
    return naive.astimezone(UTC)


def _person(entry: object) -> tuple[str, str] | None:
    if not isinstance(entry, dict):
        return None
    email = entry.get("emailAddress")
    if not isinstance(email, dict):
        return None
    address = str(email.get("address") or "").strip().lower()
    return (address, str(email.get("name") or "")) if "@" in address else None


def _attendee(entry: Mapping[str, Any]) -> Participant | None:
    found = _person(entry)
    if found is None:
        return None
    status = entry.get("status")
    answer = status.get("response") if isinstance(status, dict) else None
    kind = str(entry.get("type") or "required").lower()
    return Participant(
        found[0],
        Role.ATTENDEE,
        name=found[1],
        response=RESPONSES.get(str(answer or "none").lower()),
        resource=kind == "resource",
        optional=kind == "optional",
    )


def event_to_interaction(event: Mapping[str, Any]) -> InteractionRecord:
    """One event (an occurrence, in calendarView) as a meeting InteractionRecord."""
    source_id = event.get("id")
    if not isinstance(source_id, str) or not source_id:
        raise BadRecord("event without an id")
    people: list[Participant] = []
    organizer = _person(event.get("organizer"))
    if organizer:
        people.append(
            Participant(
                organizer[0],
                Role.ORGANIZER,
                name=organizer[1],
                is_self=event.get("isOrganizer") is True,
            )
        )
    for entry in event.get("attendees") or ():
        if isinstance(entry, dict) and (attendee := _attendee(entry)) is not None:
            people.append(attendee)
    flags: set[Flag] = set()
    if event.get("isCancelled") is True:
        flags.add(Flag.CANCELLED)
    if event.get("isAllDay") is True:
        flags.add(Flag.ALL_DAY)
    if event.get("hideAttendees") is True:
        flags.add(Flag.ATTENDEES_OMITTED)
    subject = event.get("subject")
    thread = event.get("iCalUId")
    return InteractionRecord(
        source_id=source_id,
        kind=Kind.MEETING,
        occurred_at=parse_event_time(event.get("start")),
        ended_at=parse_event_time(event["end"]) if event.get("end") else None,
        participants=tuple(people),
        subject=subject if isinstance(subject, str) else None,
        thread_id=thread if isinstance(thread, str) and thread else None,
        folder="calendar",
        flags=frozenset(flags),
    )
