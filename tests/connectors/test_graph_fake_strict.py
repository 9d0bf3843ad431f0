"""The fake Graph answers delta query options as Graph documents them.

Sources: "Get incremental changes to messages in a folder", section "Use query parameters in a
delta query for messages" (learn.microsoft.com/graph/delta-query-messages), and "event: delta"
(learn.microsoft.com/graph/api/event-delta): calendarView delta needs startDateTime and
endDateTime and takes no $select.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.contract import make_spec
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import GraphWorld


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph() as server:
        GraphWorld(server).add([make_spec(sent=False, n=n) for n in range(1, 7)])
        yield server


WINDOW = {"startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2024-02-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("folder", "query"),
    [
        ("inbox", {"$search": '"hello"'}),
        ("inbox", {"$filter": "subject eq 'x'"}),
        ("inbox", {"$orderby": "receivedDateTime asc"}),
        ("inbox", {"$count": "true"}),
        ("calendar", {"$select": "subject", **WINDOW}),
        ("calendar", {"$filter": "subject eq 'x'", **WINDOW}),
        ("calendar", {"startDateTime": WINDOW["startDateTime"]}),
        ("calendar", {}),
    ],
)
def test_options_graph_does_not_support_are_refused(
    fake: FakeGraph, folder: str, query: dict[str, str]
) -> None:
    status, body = fake.delta(folder, query, "")
    assert status == 400 and "error" in body


def test_received_filter_and_order_are_answered_as_documented(fake: FakeGraph) -> None:
    items = list(fake.mailbox.folder("inbox").items.values())
    cut = sorted(i["receivedDateTime"] for i in items)[3]
    status, body = fake.delta(
        "inbox",
        {"$filter": f"receivedDateTime ge {cut}", "$orderby": "receivedDateTime desc"},
        "odata.maxpagesize=50",
    )
    assert status == 200
    got = [v["receivedDateTime"] for v in body["value"]]
    assert got == sorted(
        (i["receivedDateTime"] for i in items if i["receivedDateTime"] >= cut), reverse=True
    )
    assert len(got) == 3
    status, body = fake.delta("inbox", {"$filter": f"receivedDateTime gt {cut}"}, "")
    assert status == 200 and len(body["value"]) == 2


def test_a_window_is_required_and_bounds_the_events(fake: FakeGraph) -> None:
    start = datetime(2024, 1, 10, 9, tzinfo=UTC)
    fake.mailbox.add_event(
        subject="in", start=start, end=start + timedelta(hours=1), organizer="a@b.c"
    )
    late = start + timedelta(days=90)
    fake.mailbox.add_event(
        subject="out", start=late, end=late + timedelta(hours=1), organizer="a@b.c"
    )
    status, body = fake.delta("calendar", dict(WINDOW), "")
    assert status == 200 and [v["subject"] for v in body["value"]] == ["in"]
