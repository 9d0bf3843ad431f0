"""Graph resources become the right records; the fake's responses have Microsoft's shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import REPO
from tests.contract import drain, interactions
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import NOW, GraphWorld
from touchbase.connectors.base import Flag, Kind, Response, Role
from touchbase.connectors.errors import BadRecord
from touchbase.connectors.graph.calendar import event_to_interaction, parse_event_time
from touchbase.connectors.graph.mail import message_to_interaction

REFERENCE = REPO.parent / "shared" / "reference" / "msgraph"


def reference(name: str) -> dict[str, Any]:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return json.loads(path.read_text())


@pytest.fixture
def world() -> Iterator[GraphWorld]:
    with FakeGraph() as fake:
        world = GraphWorld(fake, settings={"page_size": 10})
        yield world
        world.close()


def attendee(address: str, kind: str = "required", response: str = "accepted") -> dict[str, Any]:
    return {
        "type": kind,
        "status": {"response": response, "time": "0001-01-01T00:00:00Z"},
        "emailAddress": {"name": address, "address": address},
    }


def test_mail_participants_skip_addresses_that_are_not_smtp() -> None:
    item = message_to_interaction(
        {
            "id": "m1",
            "sentDateTime": "2024-01-02T03:04:05Z",
            "subject": "Automatic reply: away",
            "from": {"emailAddress": {"name": "Ex", "address": "/O=EXCHANGELABS/OU=X/CN=ABC"}},
            "sender": {"emailAddress": {"name": "Ann", "address": "Ann@Example.COM"}},
            "toRecipients": [
                {"emailAddress": {"name": "Me"}},
                {"emailAddress": {"address": "me@x.org"}},
            ],
            "conversationId": "conv",
        },
        "inbox",
    )
    assert item.addresses(Role.FROM) == ["ann@example.com"]
    assert item.addresses(Role.TO) == ["me@x.org"]
    assert item.occurred_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert Flag.AUTO_REPLY in item.flags and item.thread_id == "conv" and item.folder == "inbox"


def test_a_message_without_a_date_is_a_bad_record() -> None:
    with pytest.raises(BadRecord):
        message_to_interaction({"id": "m1", "subject": "x"}, "sent")


def test_reference_message_pages_are_quarantined_for_lack_of_dates_not_crashed(
    world: GraphWorld,
) -> None:
    """Microsoft's sample selected only subject/sender/isRead: no dates, so no interaction."""
    page = reference("messages_delta_round1_page1.json")
    for item in page["value"]:
        with pytest.raises(BadRecord):
            message_to_interaction(item, "inbox")


def test_reference_event_page_converts() -> None:
    page = reference("calendarview_delta_round1_page1.json")
    items = [event_to_interaction(e) for e in page["value"]]
    assert items[0].occurred_at == datetime(2016, 12, 9, 20, 30, tzinfo=UTC)
    assert items[0].ended_at == datetime(2016, 12, 9, 22, 0, tzinfo=UTC)
    assert items[0].addresses(Role.ORGANIZER) == ["samanthab@contoso.onmicrosoft.com"]
    assert all(i.kind is Kind.MEETING for i in items)


def test_event_times_in_a_named_zone_are_converted_to_utc() -> None:
    when = parse_event_time(
        {"dateTime": "2024-07-01T09:00:00.0000000", "timeZone": "Europe/Berlin"}
    )
    assert when == datetime(2024, 7, 1, 7, 0, tzinfo=UTC)
    with pytest.raises(BadRecord):
        parse_event_time({"dateTime": "2024-07-01T09:00:00", "timeZone": "Not/AZone"})


def test_meetings_carry_responses_resources_and_flags(world: GraphWorld) -> None:
    start = NOW - timedelta(days=3)
    world.fake.mailbox.add_event(
        subject="Quarterly review",
        start=start,
        end=start + timedelta(hours=1),
        organizer="boss@example.com",
        cancelled=True,
        attendees=[
            attendee("me@example.org", response="tentativelyAccepted"),
            attendee("peer@example.com", "optional", "declined"),
            attendee("room-4@example.com", "resource", "accepted"),
            attendee("new@example.com", response="none"),
        ],
    )
    world.fake.mailbox.add_event(
        subject="Offsite",
        start=start,
        end=start + timedelta(days=1),
        organizer="me@example.org",
        is_organizer=True,
        all_day=True,
    )
    (review, offsite) = interactions(drain(world.source(), None)[0])
    people = {p.address: p for p in review.participants}
    assert people["boss@example.com"].role is Role.ORGANIZER
    assert not people["boss@example.com"].is_self
    assert people["me@example.org"].response is Response.TENTATIVE
    assert (
        people["peer@example.com"].optional
        and people["peer@example.com"].response is Response.DECLINED
    )
    assert people["room-4@example.com"].resource
    assert people["new@example.com"].response is Response.NEEDS_ACTION
    assert review.flags == {Flag.CANCELLED} and review.kind is Kind.MEETING
    assert review.ended_at == start + timedelta(hours=1)
    assert offsite.flags == {Flag.ALL_DAY} and offsite.participants[0].is_self


def test_calendar_window_spans_the_horizon_and_takes_no_select(world: GraphWorld) -> None:
    world.fake.mailbox.add_event(
        subject="Too old",
        start=NOW - timedelta(days=400),
        end=NOW - timedelta(days=400),
        organizer="a@example.com",
    )
    world.fake.mailbox.add_event(
        subject="Next week",
        start=NOW + timedelta(days=7),
        end=NOW + timedelta(days=7),
        organizer="a@example.com",
    )
    got = interactions(drain(world.account(calendar_past_days=30), None)[0])
    assert [i.subject for i in got] == ["Next week"]
    first = next(e for e in world.fake.log if "calendarView/delta?" in e.path)
    query = parse_qs(urlsplit(first.path).query)
    assert query["startDateTime"] == ["2024-01-31T00:00:00Z"]
    assert query["endDateTime"] == ["2024-04-01T00:00:00Z"]
    assert "$select" not in query and 'outlook.timezone="UTC"' in first.prefer


def test_calendar_window_is_renewed_once_half_the_look_ahead_has_passed(world: GraphWorld) -> None:
    _, cursor = drain(world.source(), None)
    later = world.account()
    later.now = lambda: NOW + timedelta(days=16)
    world.fake.mailbox.add_event(
        subject="Far ahead",
        start=NOW + timedelta(days=40),
        end=NOW + timedelta(days=40),
        organizer="a@example.com",
    )
    pages, cursor = drain(later, cursor)
    assert [i.subject for i in interactions(pages)] == ["Far ahead"]
    assert not any(p.resync for p in pages), "a new window is not an expired cursor"
    windows = [e.path for e in world.fake.log if "calendarView/delta?startDateTime" in e.path]
    assert len(windows) == 2


def test_fake_pages_have_the_keys_of_microsofts_samples(world: GraphWorld) -> None:
    page1 = reference("messages_delta_round1_page1.json")
    final = reference("messages_delta_round1_page3_final.json")
    removed = reference("messages_delta_round2_removed_and_updated.json")
    events = reference("calendarview_delta_round1_page1.json")
    box = world.fake.mailbox
    for n in range(3):
        box.add_message(
            "inbox", sender="a@example.com", to=("me@example.org",), subject=f"m{n}", date=NOW
        )
    box.add_event(subject="e", start=NOW, end=NOW, organizer="a@example.com")
    box.add_event(subject="f", start=NOW, end=NOW, organizer="a@example.com")
    select = {"$select": "subject,isRead,sender"}
    _, first = world.fake.delta("inbox", select, "odata.maxpagesize=2")
    assert set(first) == set(page1) and set(first["value"][0]) == set(page1["value"][0])
    token = first["@odata.nextLink"].split("$skiptoken=")[1]
    _, last = world.fake.delta("inbox", {"$skiptoken": token}, "odata.maxpagesize=2")
    assert set(last) == set(final)
    box.remove("inbox", next(iter(box.folder("inbox").items)))
    token = last["@odata.deltaLink"].split("$deltatoken=")[1]
    _, changes = world.fake.delta("inbox", {"$deltatoken": token}, "")
    assert set(changes["value"][0]) == set(removed["value"][0])
    assert changes["value"][0]["@removed"] == removed["value"][0]["@removed"]
    window = {"startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2025-01-01T00:00:00Z"}
    _, cal = world.fake.delta("calendar", window, "odata.maxpagesize=1")
    assert set(cal) == set(events)
    assert set(events["value"][0]) <= set(cal["value"][0])
