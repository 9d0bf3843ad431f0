"""Stored interactions load back exactly, in time order; re-evaluating equals starting over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.history import load_interactions
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import Flag, Kind, Page, Response, Role
from touchbase.connectors.base import InteractionRecord as Record
from touchbase.connectors.base import Participant as P
from touchbase.rules.types import Party

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
ME = "me@x.org"


def mail(n: int, other: str, *, sent: bool = True, days: float = 1.0, name: str = "") -> Record:
    sender, to = (
        (P(ME, Role.FROM), P(other, Role.TO, name))
        if sent
        else (
            P(other, Role.FROM, name),
            P(ME, Role.TO),
        )
    )
    return Record(
        source_id=f"m{n}",
        kind=Kind.MAIL,
        occurred_at=NOW - timedelta(days=days),
        participants=(sender, to),
        subject="Re: plans" if not sent else "plans",
        message_id=f"<{n}@x.org>",
        references=("<root@x>",) if not sent else (),
    )


def test_interactions_round_trip_in_time_order_with_every_party_field(db_url: str) -> None:
    store = Store(open_database(db_url))
    account = store.ensure_account("a", "memory", NOW)
    run = store.start_run(account, NOW)
    meeting = Record(
        source_id="meet",
        kind=Kind.MEETING,
        occurred_at=NOW - timedelta(days=3),
        ended_at=NOW - timedelta(days=3) + timedelta(hours=1),
        participants=(
            P(ME, Role.ORGANIZER, "Me", Response.ACCEPTED, is_self=True),
            P("ann@y.org", Role.ATTENDEE, "Ann", Response.DECLINED, optional=True),
            P("room@y.org", Role.ATTENDEE, "Room 1", resource=True),
        ),
        subject="Sync",
        flags=frozenset({Flag.ALL_DAY}),
    )
    odd = mail(2, "bob@y.org", days=5, name="Bob\x1fthe\x1eBuilder")  # separators: table path
    lonely = Record("none", Kind.MAIL, NOW - timedelta(days=4), participants=())
    store.save_page(account, run, Page([mail(1, "cy@y.org", days=2), meeting, odd, lonely]), NOW)
    with store.sessions() as session:
        items = load_interactions(session)
        touching = load_interactions(session, touching={"ann@y.org", "bob@y.org"})
    assert [i.occurred_at for i in items] == sorted(i.occurred_at for i in items)
    assert all(i.occurred_at.tzinfo is not None for i in items)
    by_source = {i.subject: i for i in items}
    assert by_source["Sync"].participants == (
        Party(ME, "organizer", "Me", "accepted", False, False, True),
        Party("ann@y.org", "attendee", "Ann", "declined", False, True, False),
        Party("room@y.org", "attendee", "Room 1", None, True, False, False),
    )
    assert by_source["Sync"].ended_at == NOW - timedelta(days=3) + timedelta(hours=1)
    assert by_source["Sync"].flags == frozenset({"all-day"})
    assert by_source["Sync"].account == "a"
    bob = next(i for i in items if i.message_id == "<2@x.org>")
    assert bob.participants[1] == Party("bob@y.org", "to", "Bob\x1fthe\x1eBuilder")
    assert next(i for i in items if i.subject is None).participants == ()
    assert [i.subject for i in touching] == ["plans", "Sync"]  # bob's (older) first
