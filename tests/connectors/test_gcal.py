"""The Calendar connector against the fake Google, through the real google-api-python-client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.contract import (
    FaultContract,
    MessageSpec,
    SourceContract,
    SourceWorld,
    drain,
    interactions,
    make_spec,
)
from tests.fakes.google import FakeGoogle, Faults
from tests.fakes.google.client import FakeTime, settings, signed_in
from tests.fakes.google.wire import Call, Reply
from touchbase.connectors.base import Flag, Kind, Response, Role
from touchbase.connectors.errors import AuthError
from touchbase.connectors.google import gcal

NOW = datetime(2024, 6, 1, tzinfo=UTC)
ME = "me@example.org"


def event_of(spec: MessageSpec) -> dict[str, object]:
    """A meeting standing for a message: the sender organises, the recipients attend."""
    uid = spec.message_id.strip("<>")
    attendees: list[dict[str, object]] = [
        {"email": a, "responseStatus": "accepted"} for a in spec.to + spec.cc
    ]
    attendees.append({"email": spec.sender, "organizer": True, "responseStatus": "accepted"})
    for entry in attendees:
        if entry["email"] == ME:
            entry["self"] = True
    return {
        "id": re.sub(r"[^a-v0-9]", "", uid.lower()) + "x",
        "iCalUID": uid,
        "summary": spec.subject,
        "start": {"dateTime": spec.date.isoformat()},
        "end": {"dateTime": (spec.date + timedelta(minutes=30)).isoformat()},
        "organizer": {"email": spec.sender, "self": spec.sender == ME},
        "attendees": attendees,
    }


@dataclass
class CalendarWorld:
    fake: FakeGoogle
    folder: Path
    time: FakeTime = field(default_factory=FakeTime)
    extra: dict[str, object] = field(default_factory=lambda: {"page_size": 2})

    def add(self, specs: list[MessageSpec]) -> None:
        for spec in specs:
            self.fake.calendar.put_event(event_of(spec))

    def source(self) -> gcal.CalendarSource:
        return gcal.open_account(
            settings(self.fake, self.folder, **self.extra),
            signed_in(self.fake),
            now=lambda: NOW,
            sleep=self.time.sleep,
        )

    def expire_cursors(self) -> None:
        self.fake.calendar.expire_sync_tokens()

    def faults(self, rate: float, seed: int) -> None:
        kinds = ("429", "403-user", "500", "503", "drop")
        self.fake.faults = Faults(rate=rate, kinds=kinds, retry_after="1", seed=seed)

    def odd(self) -> None:
        pass  # Calendar's odd answers (stubs, moved instances) are in the tests below


@pytest.fixture
def world(tmp_path: Path) -> Iterator[CalendarWorld]:
    with FakeGoogle() as fake:
        yield CalendarWorld(fake, tmp_path)


class TestCalendarSource(SourceContract):
    @pytest.fixture
    def world(self, world: CalendarWorld) -> Iterator[CalendarWorld]:
        yield world

    def test_full_pull_yields_each_message_once_with_its_metadata(self, world: SourceWorld) -> None:
        """The contract's version, read for meetings: the sender organises, recipients attend."""
        specs = [make_spec(sent=True), make_spec(sent=True), make_spec(sent=False)]
        world.add(specs)
        pages, cursor = drain(world.source(), None)
        got = {i.message_id: i for i in interactions(pages)}
        assert cursor is not None and len(got) == 3
        for spec in specs:
            item = got[spec.message_id]
            assert item.kind is Kind.MEETING
            assert item.subject == spec.subject
            assert item.occurred_at == spec.date
            assert item.ended_at == spec.date + timedelta(minutes=30)
            assert item.addresses(Role.ORGANIZER) == [spec.sender]
            assert set(spec.to) <= set(item.addresses(Role.ATTENDEE))


class TestCalendarFaults(FaultContract):
    @pytest.fixture
    def world(self, world: CalendarWorld) -> Iterator[CalendarWorld]:
        yield world


def test_attendees_carry_answers_self_resources_and_flags(world: CalendarWorld) -> None:
    world.fake.calendar.put_event(
        {
            "id": "abc123",
            "summary": "Planning",
            "start": {"date": "2024-05-02"},
            "end": {"date": "2024-05-03"},
            "organizer": {"email": "Boss@Example.com", "displayName": "Boss"},
            "attendeesOmitted": True,
            "attendees": [
                {"email": "boss@example.com", "organizer": True, "responseStatus": "accepted"},
                {"email": ME, "self": True, "responseStatus": "tentative"},
                {"email": "bob@example.com", "responseStatus": "declined", "optional": True},
                {"email": "carol@example.com", "responseStatus": "needsAction"},
                {"email": "room-1@resource.calendar.google.com", "resource": True},
            ],
        }
    )
    (item,) = interactions(drain(world.source(), None)[0])
    people = {p.address: p for p in item.participants}
    assert people["boss@example.com"].role is Role.ORGANIZER
    assert people["boss@example.com"].response is Response.ACCEPTED
    assert item.addresses(Role.ORGANIZER) == ["boss@example.com"], "organizer listed once"
    assert people[ME].is_self and people[ME].response is Response.TENTATIVE
    assert people["bob@example.com"].optional
    assert people["bob@example.com"].response is Response.DECLINED
    assert people["carol@example.com"].response is Response.NEEDS_ACTION
    assert people["room-1@resource.calendar.google.com"].resource
    assert item.flags == {Flag.ALL_DAY, Flag.ATTENDEES_OMITTED}
    assert item.occurred_at == datetime(2024, 5, 2, tzinfo=UTC)


def test_all_day_events_start_at_midnight_in_the_calendars_zone(world: CalendarWorld) -> None:
    world.fake.calendar.time_zone = "Europe/Berlin"
    world.fake.calendar.put_event(
        {
            "id": "allday1",
            "start": {"date": "2024-05-02"},
            "end": {"date": "2024-05-03"},
            "organizer": {"email": ME, "self": True},
        }
    )
    (item,) = interactions(drain(world.source(), None)[0])
    assert item.occurred_at == datetime(2024, 5, 1, 22, tzinfo=UTC)


def test_cancellations_come_as_flagged_meetings_or_tombstones(world: CalendarWorld) -> None:
    world.add([make_spec(), make_spec()])
    source = world.source()
    pages, cursor = drain(source, None)
    first, second = sorted(interactions(pages), key=lambda i: i.occurred_at)
    world.fake.calendar.cancel_event(first.source_id)
    world.fake.calendar.put_event({"id": second.source_id, "status": "cancelled"})
    pages, _ = drain(world.source(), cursor)
    (cancelled,) = interactions(pages)
    assert cancelled.source_id == first.source_id and Flag.CANCELLED in cancelled.flags
    assert [r for p in pages for r in p.removed] == [second.source_id]


def test_focus_time_and_out_of_office_are_not_meetings(world: CalendarWorld) -> None:
    for kind in ("focusTime", "outOfOffice", "workingLocation"):
        world.fake.calendar.put_event(
            {
                "id": kind.lower(),
                "eventType": kind,
                "start": {"dateTime": "2024-05-02T09:00:00Z"},
                "end": {"dateTime": "2024-05-02T10:00:00Z"},
                "organizer": {"email": ME, "self": True},
            }
        )
    pages, _ = drain(world.source(), None)
    assert interactions(pages) == []


def test_unusable_event_is_quarantined(world: CalendarWorld) -> None:
    world.fake.calendar.put_event(
        {"id": "nostart", "end": {"dateTime": "2024-05-02T10:00:00Z"}, "organizer": {"email": ME}}
    )
    pages, _ = drain(world.source(), None)
    assert [q.source_id for p in pages for q in p.quarantined] == ["nostart"]


def test_past_horizon_bounds_the_first_sync_and_later_runs_pass_only_the_token(
    world: CalendarWorld,
) -> None:
    world.add([make_spec(date=NOW - timedelta(days=800)), make_spec(date=NOW - timedelta(days=5))])
    queries: list[dict[str, list[str]]] = []
    original = world.fake.calendar._list

    def spy(call: Call, calendar_id: str) -> Reply:
        queries.append(call.query)
        return original(call, calendar_id)

    world.fake.calendar._list = spy  # type: ignore[method-assign]
    pages, cursor = drain(world.source(), None)
    assert len(interactions(pages)) == 1, "the event older than past_days came"
    assert queries[0]["timeMin"] == ["2022-06-02T00:00:00Z"]
    assert queries[0]["singleEvents"] == ["true"]
    queries.clear()
    drain(world.source(), cursor)
    assert queries and all("syncToken" in q and "timeMin" not in q for q in queries)


def test_no_change_incremental_sync_is_one_request(world: CalendarWorld) -> None:
    world.add([make_spec() for _ in range(5)])
    _, cursor = drain(world.source(), None)
    source = world.source()
    world.fake.reset_log()
    drain(source, cursor)
    assert world.fake.paths() == ["GET /calendar/v3/calendars/primary/events"]


def test_revoked_grant_is_an_auth_error_naming_the_fix(world: CalendarWorld) -> None:
    context = signed_in(world.fake, "work-calendar")
    world.fake.oauth.revoke(str(context.secrets.get("refresh_token")))
    source = gcal.open_account(settings(world.fake, world.folder), context, now=lambda: NOW)
    with pytest.raises(AuthError) as caught:
        drain(source, None)
    assert "touchbase auth work-calendar" in caught.value.advice


def test_events_from_gmail_are_not_meetings(world: CalendarWorld) -> None:
    # eventType "fromGmail": "An event from Gmail. This type of event cannot be created"
    # (calendar.v3 discovery document, Event.eventType). Flights, tables, tickets found in mail:
    # nobody was met, and the mail they came from is counted by the Gmail account already.
    world.fake.calendar.put_event(
        {
            "id": "fromgmail1",
            "eventType": "fromGmail",
            "summary": "Flight to Lisbon (TP 1351)",
            "start": {"dateTime": "2024-05-02T09:00:00Z"},
            "end": {"dateTime": "2024-05-02T12:00:00Z"},
            "organizer": {"email": "unknownorganizer@calendar.google.com"},
            "attendees": [{"email": ME, "self": True, "responseStatus": "accepted"}],
        }
    )
    world.add([make_spec()])
    pages, _ = drain(world.source(), None)
    assert len(interactions(pages)) == 1
    assert "fromgmail1" not in {i.source_id for i in interactions(pages)}


def test_a_recurring_series_with_a_moved_and_a_cancelled_instance(world: CalendarWorld) -> None:
    # singleEvents=True expands a series into instances "{eventId}_{originalStart}" with
    # recurringEventId; a cancelled instance of a live series comes as a stub: "only the fields
    # id, recurringEventId, originalStartTime and status are guaranteed" ... (events.list,
    # calendar.v3 discovery document, Event.status "cancelled").
    def instance(day: int, hour: int = 9) -> dict[str, object]:
        start = datetime(2024, 5, day, hour, tzinfo=UTC)
        return {
            "id": f"weekly_202405{day:02d}T090000Z",
            "recurringEventId": "weekly",
            "originalStartTime": {"dateTime": f"2024-05-{day:02d}T09:00:00Z"},
            "iCalUID": "weekly@google.com",
            "summary": "Weekly sync",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            "organizer": {"email": "boss@example.com"},
            "attendees": [{"email": ME, "self": True, "responseStatus": "accepted"}],
        }

    for day in (6, 13, 20):
        world.fake.calendar.put_event(instance(day))
    pages, cursor = drain(world.source(), None)
    assert {i.thread_id for i in interactions(pages)} == {"weekly"}
    world.fake.calendar.put_event(instance(13, hour=15))  # moved to the afternoon
    world.fake.calendar.put_event(
        {
            "id": "weekly_20240520T090000Z",
            "status": "cancelled",
            "recurringEventId": "weekly",
            "originalStartTime": {"dateTime": "2024-05-20T09:00:00Z"},
        }
    )
    pages, _ = drain(world.source(), cursor)
    (moved,) = interactions(pages)
    assert moved.source_id == "weekly_20240513T090000Z"
    assert moved.occurred_at == datetime(2024, 5, 13, 15, tzinfo=UTC)
    assert [r for p in pages for r in p.removed] == ["weekly_20240520T090000Z"]
