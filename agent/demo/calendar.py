"""The sample account's calendar: 1:1s, working sessions, an all-hands, a declined and a cancelled
meeting, a meeting room; built with icalendar so the file is RFC 5545 as real exports are."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import icalendar

OWNER_NAME = "Alex Morgan"
OWNER = "alex@morgan.example"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone in the sample account."""

    name: str
    address: str
    company: str


Who = Person | tuple[str, str]


def _working_time(rng: random.Random, day: datetime) -> datetime:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day.replace(hour=rng.randint(8, 17), minute=rng.randrange(0, 60, 5), second=0)


def _address(person: Who, **params: str) -> icalendar.vCalAddress:
    name, address = (person.name, person.address) if isinstance(person, Person) else person
    value = icalendar.vCalAddress(f"mailto:{address}")
    value.params["CN"] = icalendar.vText(name)
    for key, param in params.items():
        value.params[key.replace("_", "-").upper()] = icalendar.vText(param)
    return value


def _event(
    uid: str,
    summary: str,
    start: datetime,
    minutes: int,
    organizer: Who,
    attendees: Sequence[tuple[Who, dict[str, str]]],
    now: datetime,
    **extra: object,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{uid}@morgan.example")
    event.add("dtstamp", now)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("organizer", _address(organizer))
    for person, params in attendees:
        event.add("attendee", _address(person, **params), encode=False)
    for key, value in extra.items():
        event.add(key.replace("_", "-"), value)
    return event


def calendar_for(rng: random.Random, now: datetime, people: Sequence[Person]) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//touchbase//sample//EN")
    cal.add("version", "2.0")
    me = (OWNER_NAME, OWNER)
    accepted = {"partstat": "ACCEPTED"}
    room = (("Room Atlas", "room-atlas@morgan.example"), {"cutype": "ROOM", "partstat": "ACCEPTED"})
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    # The 1:1 that ended yesterday: the demo's thank-you.
    cal.add_component(
        _event(
            "one-on-one-yesterday",
            f"1:1 {people[0].name.split()[0]} / Alex",
            day - timedelta(days=1) + timedelta(hours=14),
            30,
            me,
            [(people[0], accepted), (me, accepted)],
            now,
        )
    )
    # Weekly 1:1s for the past year, one week skipped (EXDATE) and one moved (RECURRENCE-ID).
    for n, person in enumerate(people[1:3], start=1):
        first = _working_time(rng, day - timedelta(days=364)).replace(hour=9 + n, minute=0)
        series = _event(
            f"weekly-{n}",
            f"Weekly 1:1 {person.name.split()[0]} / Alex",
            first,
            30,
            me,
            [(person, accepted), (me, accepted)],
            now,
            rrule={"freq": "weekly", "until": now + timedelta(days=60)},
            exdate=first + timedelta(weeks=10),
        )
        cal.add_component(series)
        moved = _event(
            f"weekly-{n}",
            "Weekly 1:1 (moved)",
            first + timedelta(weeks=20, hours=3),
            30,
            me,
            [(person, accepted), (me, accepted)],
            now,
            recurrence_id=first + timedelta(weeks=20),
        )
        cal.add_component(moved)
    # Small working sessions, some in a meeting room.
    for n in range(30):
        group = rng.sample(people[:40], rng.randint(1, 3))
        start = _working_time(rng, day - timedelta(days=rng.uniform(2, 360))).replace(minute=0)
        attendees = [
            (p, {"partstat": rng.choice(("ACCEPTED", "ACCEPTED", "TENTATIVE"))}) for p in group
        ] + [(me, accepted)]
        if n % 4 == 0:
            attendees.append(room)
        cal.add_component(
            _event(
                f"session-{n}",
                f"Working session: {group[0].company}",
                start,
                rng.choice((30, 45, 60)),
                group[0],
                attendees,
                now,
            )
        )
    # A monthly all-hands with everyone.
    host = ("Jordan Blake", "jordan@morgan.example")
    crowd = [(p, {"partstat": "ACCEPTED"}) for p in people[:40]] + [(me, accepted), room]
    first = _working_time(rng, day - timedelta(days=360)).replace(hour=16, minute=0)
    cal.add_component(
        _event(
            "all-hands",
            "Company all-hands",
            first,
            60,
            host,
            crowd,
            now,
            rrule={"freq": "monthly", "count": 13},
        )
    )
    # One the owner declined, one that was cancelled.
    declined_at = _working_time(rng, day - timedelta(days=20)).replace(minute=30)
    cal.add_component(
        _event(
            "declined",
            "Vendor pitch",
            declined_at,
            45,
            people[5],
            [(me, {"partstat": "DECLINED"}), (people[5], accepted)],
            now,
        )
    )
    cancelled_at = _working_time(rng, day - timedelta(days=12)).replace(minute=0)
    cal.add_component(
        _event(
            "cancelled",
            "Roadmap review",
            cancelled_at,
            60,
            people[6],
            [(me, accepted), (people[6], accepted)],
            now,
            status="CANCELLED",
        )
    )
    return cal
