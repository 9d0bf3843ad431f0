"""Calendar v3 event resources to meeting interactions (pure: no I/O).

Fields used (https://developers.google.com/calendar/api/v3/reference/events): id, status,
start/end (dateTime, or date for all-day events), organizer, attendees (email, displayName,
responseStatus, self, organizer, resource, optional), attendeesOmitted, summary, iCalUID,
recurringEventId, eventType.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from touchbase.connectors.base import Flag, InteractionRecord, Kind, Participant, Response, Role
from touchbase.connectors.errors import BadRecord

# Calendar blocks that are not meetings with anyone: Google allows them no attendees. And
# "fromGmail" ("An event from Gmail", calendar.v3 Event.eventType): a flight, a table, a ticket
# read out of a message. Nobody was met; the message itself is counted by the mail account.
NOT_MEETINGS = frozenset({"outOfOffice", "focusTime", "workingLocation", "birthday", "fromGmail"})
RESPONSES = {
    "accepted": Response.ACCEPTED,
    "declined": Response.DECLINED,
    "tentative": Response.TENTATIVE,
    "needsAction": Response.NEEDS_ACTION,
}


def zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def when(value: object, tz: ZoneInfo | None) -> tuple[datetime, bool]:
    """(UTC instant, all-day?) of an event's start or end. An all-day date starts at midnight
    in the calendar's time zone (UTC when unknown)."""
    if not isinstance(value, Mapping):
        raise BadRecord("event without a start or end")
    if value.get("dateTime"):
        try:
            moment = datetime.fromisoformat(str(value["dateTime"]))
        except ValueError as exc:
            raise BadRecord(f"unreadable dateTime {value['dateTime']!r}") from exc
        if moment.tzinfo is None:  # RFC 3339 requires an offset; trust the event's zone if not
            moment = moment.replace(tzinfo=zone(value.get("timeZone")) or tz or UTC)
        return moment.astimezone(UTC), False
    if value.get("date"):
        try:
            day = date.fromisoformat(str(value["date"]))
        except ValueError as exc:
            raise BadRecord(f"unreadable date {value['date']!r}") from exc
        return datetime.combine(day, time(0), tzinfo=tz or UTC).astimezone(UTC), True
    raise BadRecord("event start or end has neither dateTime nor date")


def _person(entry: Mapping[str, Any], role: Role) -> Participant | None:
    address = str(entry.get("email") or "").strip().lower()
    if not address:
        return None
    response = RESPONSES.get(str(entry.get("responseStatus", "")))
    return Participant(
        address=address,
        role=role,
        name=str(entry.get("displayName") or ""),
        response=response,
        resource=bool(entry.get("resource")),
        optional=bool(entry.get("optional")),
        is_self=bool(entry.get("self")),
    )


def participants(event: Mapping[str, Any]) -> tuple[Participant, ...]:
    """The organizer (with their own answer, from their attendee entry) and the attendees."""
    attendees = [a for a in event.get("attendees", []) if isinstance(a, Mapping)]
    organizer_entry = dict(event.get("organizer") or {})
    people: list[Participant] = []
    own = next((a for a in attendees if a.get("organizer")), None)
    if own is not None:
        organizer_entry.setdefault("responseStatus", own.get("responseStatus"))
        organizer_entry.setdefault("email", own.get("email"))
    organizer = _person(organizer_entry, Role.ORGANIZER)
    if organizer is not None:
        people.append(organizer)
    for entry in attendees:
        if entry.get("organizer") and organizer is not None:
            continue
        person = _person(entry, Role.ATTENDEE)
        if person is not None:
            people.append(person)
    return tuple(people)


def interaction_from_event(
    event: Mapping[str, Any], *, time_zone: str | None, calendar_id: str
) -> InteractionRecord | None:
    """A meeting, None for calendar blocks that are no meeting, BadRecord when unusable.

    `message_id` is the iCalendar UID in angle brackets, the form of a Message-ID: the same
    meeting seen through another account or an .ics export then has the same thread key.
    """
    event_id = str(event.get("id") or "")
    if not event_id:
        raise BadRecord("event without an id")
    if event.get("eventType") in NOT_MEETINGS:
        return None
    tz = zone(time_zone)
    start, all_day = when(event.get("start"), tz)
    end = when(event["end"], tz)[0] if event.get("end") else None
    flags = set()
    if event.get("status") == "cancelled":
        flags.add(Flag.CANCELLED)
    if all_day:
        flags.add(Flag.ALL_DAY)
    if event.get("attendeesOmitted"):
        flags.add(Flag.ATTENDEES_OMITTED)
    people = participants(event)
    if not people:
        raise BadRecord("event with neither organizer nor attendees")
    uid = event.get("iCalUID")
    return InteractionRecord(
        source_id=event_id,
        kind=Kind.MEETING,
        occurred_at=start,
        ended_at=end,
        participants=people,
        subject=str(event["summary"]) if event.get("summary") else None,
        message_id=f"<{uid}>" if uid else None,
        thread_id=str(event["recurringEventId"]) if event.get("recurringEventId") else None,
        folder=calendar_id,
        flags=frozenset(flags),
    )
