"""Persisted standings (issue 16): each person's assessed standing is kept with the moment it
next changes on its own (`changes_at`), and an evaluation assesses again only the people whose
contact was refolded, whose moment came or whose basis (policy, imported events) changed.

The equality with a from-scratch evaluation over any sequence of pages, merges, policy changes
and time (hours and days) is test_contact_state.py's property; here: `changes_at` is never
later than a real change (a property over folded contacts and moments), the standing codec
round-trips, and standings are read back, not assessed again, until their moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.factory import OWNER as WHO
from tests.rules.factory import at, meeting, policy, received, sent
from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.pipeline.contact_state import Refold, standings_at
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.evaluation import evaluate, identities, life_events, policy_for
from touchbase.agent.pipeline.store import Store
from touchbase.agent.service import Service
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role
from touchbase.rules.contacts import fold
from touchbase.rules.standing import Standing, assess, changes_at
from touchbase.rules.standing_codec import decode, encode

ANN, DAN = "ann@x.org", "dan@y.org"
TICK = timedelta(microseconds=1)

# One person's interactions: (kind, day offset from the factory's T0, hour).
moves = st.lists(
    st.tuples(
        st.sampled_from(["sent", "received", "meeting", "group"]),
        st.integers(-900, 0),
        st.integers(0, 23),
    ),
    min_size=1,
    max_size=25,
)
policies = st.sampled_from(
    [
        {},
        {"checkin_ties": "warm"},
        {"cadence": {ANN: "20d"}},  # pinned
        {"dormant_after": "200d", "reply_owed_within": "3d"},
        {"near_daily_horizon": "10d", "circle_window": "5d", "near_daily_min_days": 2},
    ]
)


def _folded(steps: list[tuple[str, int, int]], pol: Any, now: datetime) -> Any:
    items = []
    for kind, day, hour in steps:
        when = at(days=day, hours=hour)
        if kind == "sent":
            items.append(sent(when, ANN))
        elif kind == "received":
            items.append(received(when, ANN))
        elif kind == "meeting":
            items.append(meeting(when, ANN))
        else:  # a third party's small group mail with the owner and Ann: the same circle
            items.append(received(when, DAN, cc=[ANN]))
    return fold(items, WHO, pol, now).get(ANN)


@settings(max_examples=300, deadline=None)
@given(
    steps=moves,
    overrides=policies,
    later=st.lists(st.integers(0, 10**6), min_size=1, max_size=8),
)
def test_a_standing_holds_until_its_changes_at(
    steps: list[tuple[str, int, int]], overrides: dict[str, Any], later: list[int]
) -> None:
    """For any contact and moment, the standing assessed at `now` is the one at every moment
    before `changes_at` (so reading it back until then is right), whatever the policy."""
    pol = policy(**overrides)
    now = at()
    contact = _folded(steps, pol, now)
    if contact is None or contact.excluded is not None:
        return
    standing = assess(contact, pol, now)
    moment = changes_at(contact, pol, now, standing)
    assert moment is None or moment > now
    horizon = moment if moment is not None else now + timedelta(days=3000)
    span = horizon - now
    probes = {now, horizon - TICK} | {now + span * (n / 10**6) for n in later}
    for probe in probes:
        if now <= probe < horizon:
            assert assess(contact, pol, probe) == standing, probe


@settings(max_examples=150, deadline=None)
@given(steps=moves, overrides=policies, days=st.integers(0, 800))
def test_the_standing_codec_round_trips(
    steps: list[tuple[str, int, int]], overrides: dict[str, Any], days: int
) -> None:
    pol = policy(**overrides)
    contact = _folded(steps, pol, at())
    if contact is None:
        return
    standing = assess(contact, pol, at(days=days))
    assert decode(encode(standing)) == standing


def test_a_standing_with_a_time_rfc_3339_cannot_write_round_trips() -> None:
    """msgspec reads RFC 3339 times; an offset with seconds takes the json path, to the same."""
    odd = timezone(timedelta(hours=-4, minutes=-56, seconds=-2))
    standing = Standing(0.5, "close", timedelta(days=9), "tier", at(days=3).astimezone(odd), False)
    back = decode(encode(standing))
    assert back == standing and back.due is not None and back.due.utcoffset() == odd.utcoffset(None)
    with pytest.raises(ValueError):
        decode('[0.5,"close",[9,0,0],"tier",{"a":1},false,null,null,"",[],null]')


def test_every_field_of_a_standing_round_trips() -> None:
    full = Standing(
        0.123,
        "close",
        timedelta(days=12, seconds=5, microseconds=7),
        "learned",
        at(days=3, hours=1.5),
        False,
        "exchanges",
        at(days=-2),
        "warm",
        ('2 shared social threads, latest "Lunch"', "a personal address (a@gmail.com)"),
        ("same-circle", "you were both on ..."),
    )
    assert decode(encode(full)) == full
    empty = Standing(0.0, "acquaintance", timedelta(0), "tier-max", None, True)
    assert decode(encode(empty)) == empty
    # The codec writes these fields in this order: a new one must be taught to it.
    assert [f.name for f in fields(Standing)] == [
        "strength",
        "tier",
        "cadence",
        "cadence_source",
        "due",
        "dormant",
        "relationship",
        "reply_owed",
        "register",
        "warmth",
        "quiet",
    ]


# --- read back, not assessed again, until the moment comes ---------------------------------

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=at().tzinfo)
OWNER = "olivia@owner.example"


@pytest.fixture
def sessions(db_url: str) -> Iterator[Any]:
    made = open_database(db_url)
    yield made
    made.kw["bind"].dispose()


def _mail(n: int, when: datetime, sender: str, to: str) -> InteractionRecord:
    return InteractionRecord(
        source_id=f"m{n}",
        kind=Kind.MAIL,
        occurred_at=when,
        participants=(Participant(sender, Role.FROM), Participant(to, Role.TO)),
        subject="Plan",
        message_id=f"<m{n}@t.example>",
        folder="sent" if sender == OWNER else None,
    )


def _run(sessions: Any, config: Config, now: datetime) -> tuple[Refold, dict[str, Standing]]:
    """The persisted path's Refold and standings (by the people's first address), held equal
    to a from-scratch evaluation."""
    with sessions() as session:
        pol = policy_for(config, session)
        who = identities(session, (OWNER,))
        contacts, standings, how = standings_at(session, pol, who, now, life_events(session))
    with sessions() as session:
        fresh = evaluate(session, config, (OWNER,), now, scratch=True)
        kept = evaluate(session, config, (OWNER,), now)
    assert standings == fresh.standings
    assert kept.standings == fresh.standings
    assert kept.plan == fresh.plan
    return how, {contacts[k].addresses[0]: s for k, s in standings.items()}


def test_standings_are_read_back_until_their_moment(sessions: Any, db_url: str) -> None:
    """Ann (a cadence of 30 days the owner set) is due 30 days after her last mail; Dan's
    standing changes later. Evaluations in between assess nobody again; the one after Ann's
    due date assesses Ann (and whoever else's moment came), and finds her due."""
    store = Store(sessions)
    account = store.ensure_account("a1", "memory", T0)
    run = store.start_run(account, T0)
    records = [
        _mail(1, T0 - timedelta(days=40), OWNER, ANN),
        _mail(2, T0 - timedelta(days=39), ANN, OWNER),
        _mail(3, T0 - timedelta(days=20), OWNER, ANN),
        _mail(4, T0 - timedelta(days=19), ANN, OWNER),
        _mail(5, T0 - timedelta(days=5), OWNER, DAN),
        _mail(6, T0 - timedelta(days=4), DAN, OWNER),
    ]
    store.save_page(account, run, Page(interactions=records, cursor="1"), T0)
    store.finish_run(run, "ok", T0)
    config = Config(me=Me(name="Olivia", addresses=(OWNER,)), policy={})
    service = Service(config, db_url, lambda: T0)
    service.__dict__["sessions"] = sessions
    service.identity.settle(ANN, ["cadence=30"])

    how, standings = _run(sessions, config, T0)
    assert (how.how, how.assessed) == ("full", 2)
    due = standings[ANN].due
    assert due is not None and T0 < due < T0 + timedelta(days=12)
    how, _ = _run(sessions, config, T0 + timedelta(hours=1))
    assert (how.how, how.assessed) == ("none", 0)  # nothing changed, no moment came
    how, standings = _run(sessions, config, due + timedelta(hours=1))
    assert 1 <= how.assessed <= 2
    assert standings[ANN].due == due
    how, _ = _run(sessions, config, due + timedelta(hours=2))
    assert how.assessed == 0
    # A policy change that standing reads (not the fold): everyone is assessed again, and
    # nobody is refolded.
    config = Config(me=config.me, policy={"reply_owed_within": "2d"})
    how, _ = _run(sessions, config, due + timedelta(hours=3))
    assert (how.people, how.assessed) == (0, 2)
