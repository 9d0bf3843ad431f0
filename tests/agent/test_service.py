"""The service: what the plan says is what is done, and the plan's word is final on who waits.

The property: for any store (people, their mail and meetings, drafts already open, rejected or
done, pacing settings) and any moment, `apply(plan(at))` makes a draft for exactly the
decisions `plan(at)` lists, in its order, and a second plan at that moment proposes none of
them again.
"""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.agent.draftfixtures import ME, NOW, history, mail, meeting, store_interactions
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.drafts.lifecycle import addresses
from touchbase.agent.pipeline.models import Draft
from touchbase.agent.service import Service
from touchbase.connectors.base import InteractionRecord
from touchbase.rules.decide import Plan

OWNER = ME.addresses[0]
START = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)  # a Monday
PEOPLE = [f"{name}@example.com" for name in ("ada", "bob", "cy", "dee", "eve", "fay")]
_serial = itertools.count()

# One person's history: `count` contacts `gap` days apart from day `start`, each sent,
# received or a meeting, at `hour` (so meetings end in or out of the thank-you window); and
# maybe a draft of theirs already there, in some status, from some day. Spread like this, ties
# form (two days each way, or a meeting, make a relationship), lapse and come due.
KIND = st.sampled_from(("sent", "received", "meeting"))
HISTORY = st.builds(
    lambda start, count, gap, kinds, hour: [
        (kinds[i], start + i * gap, hour) for i in range(count)
    ],
    st.integers(0, 200),
    st.integers(1, 10),
    st.integers(3, 60),
    st.lists(KIND, min_size=10, max_size=10),
    st.integers(7, 18),
)
DRAFT = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from(("pending", "snoozed", "pushed", "rejected", "sent", "expired")),
        st.integers(0, 500),
    ),
)
PERSON = st.tuples(HISTORY, DRAFT)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty database, copied for each example (migrating each would be slow)."""
    path = tmp_path_factory.mktemp("template") / "touchbase.db"
    open_database(f"sqlite:///{path}").kw["bind"].dispose()
    return path


def records(index: int, address: str, events: list[tuple[str, int, int]]) -> list:
    out: list[InteractionRecord] = []
    for n, (what, day, hour) in enumerate(events):
        at = START + timedelta(days=day, hours=hour - 9)
        serial = index * 100 + n
        if what == "meeting":
            out.append(meeting(serial, at, with_=address, title=f"Plan {n}"))
        elif what == "sent":
            out.append(mail(serial, at, sender=OWNER, to=[address], subject=f"Budget {n}"))
        else:
            out.append(mail(serial, at, sender=address, to=[OWNER], subject=f"Re: Budget {n}"))
    return out


def seed(service: Service, people: list[tuple[list, object]]) -> None:
    history: list[InteractionRecord] = []
    for index, (events, _draft) in enumerate(people):
        history += records(index, PEOPLE[index], events)
    if history:
        store_interactions(service.sessions, history)
    with service.sessions.begin() as session:
        for index, (_events, draft) in enumerate(people):
            if draft is None:
                continue
            status, day = draft  # type: ignore[misc]
            when = START + timedelta(days=day)
            session.add(
                Draft(
                    kind="check-in",
                    status=status,
                    to_addresses=json.dumps([f"<{PEOPLE[index]}>"]),
                    subject="Checking in",
                    body="Hi",
                    message_id=f"<seed.{next(_serial)}@owner.example>",
                    snoozed_until=when + timedelta(days=30) if status == "snoozed" else None,
                    created_at=when,
                    updated_at=when,
                )
            )


@settings(max_examples=30, deadline=None)
@given(
    people=st.lists(PERSON, min_size=1, max_size=len(PEOPLE)),
    day=st.integers(120, 500),
    hour=st.integers(0, 23),
    per_run=st.integers(1, 5),
    per_day=st.integers(1, 6),
)
def test_apply_makes_exactly_the_plans_drafts_in_its_order(
    template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    people: list[tuple[list, object]],
    day: int,
    hour: int,
    per_run: int,
    per_day: int,
) -> None:
    path = tmp_path_factory.mktemp("example") / "touchbase.db"
    shutil.copy(template, path)
    at = START + timedelta(days=day, hours=hour - 9)
    policy = {"max_drafts_per_run": per_run, "max_drafts_per_day": per_day}
    service = Service(Config(me=ME, policy=policy), f"sqlite:///{path}", lambda: at)
    seed(service, people)

    plan = service.plan(at)
    event(f"{len(plan.decisions)} decisions")
    made = service.apply(plan, at)
    drafts = [service.review.get(i) for i in made.created]
    assert [(addresses(d), d.kind) for d in drafts] == [
        ([d.address], d.kind) for d in plan.decisions
    ]
    assert made.skipped == []
    assert all(d.person_id is not None and d.created_at == at for d in drafts)

    again = service.plan(at)
    assert not {d.address for d in again.decisions} & {d.address for d in plan.decisions}
    service.engine.dispose()


def test_a_rejected_person_waits_for_the_rules_pause(tmp_path: Path) -> None:
    """The rejection pause is the rules' (policy `rejection_pause`): apply adds none of its own."""
    now = NOW - timedelta(days=28)  # Ada's check-in came due on 26 April
    service = Service(Config(me=ME), f"sqlite:///{tmp_path / 't.db'}", lambda: now)
    store_interactions(service.sessions, history("ada@example.com", months=14))
    plan = service.plan(now)
    assert [(d.address, d.kind) for d in plan.decisions] == [("ada@example.com", "check-in")]
    (draft_id,) = service.apply(plan, now).created
    service.review.reject([draft_id], "not now")
    later = now + timedelta(days=3)
    assert [h.rule for h in service.plan(later).held] == ["rejected"]
    assert service.apply(service.plan(later), later).created == []
    after = now + timedelta(days=15)
    assert [d.address for d in service.plan(after).decisions] == ["ada@example.com"]


def test_expire_not_due_keeps_what_the_plan_stands_behind(tmp_path: Path) -> None:
    """A pending follow-up whose thread got its answer expires; one still waiting (held by its
    own open draft) stays; a stopped plan expires nothing."""
    sent = START + timedelta(days=30)
    now = sent + timedelta(days=10)
    service = Service(Config(me=ME), f"sqlite:///{tmp_path / 't.db'}", lambda: now)
    store_interactions(
        service.sessions,
        [
            mail(1, sent, sender=OWNER, to=["bob@example.com"], subject="Proposal"),
            mail(2, sent, sender=OWNER, to=["cy@example.com"], subject="Offer"),
        ],
    )
    plan = service.plan(now)
    assert sorted((d.address, d.kind) for d in plan.decisions) == [
        ("bob@example.com", "follow-up"),
        ("cy@example.com", "follow-up"),
    ]
    made = {addresses(service.review.get(i))[0]: i for i in service.apply(plan, now).created}
    reply = mail(
        3,
        now + timedelta(hours=1),
        sender="bob@example.com",
        to=[OWNER],
        subject="Re: Proposal",
    )
    store_interactions(service.sessions, [reply], account="mem2")
    later = now + timedelta(hours=2)
    assert service.expire_not_due(Plan((), (), "a wiped mailbox"), later) == []
    again = service.plan(later)
    assert service.expire_not_due(again, later) == [made["bob@example.com"]]
    assert service.review.get(made["bob@example.com"]).status == "expired"
    assert service.review.get(made["cy@example.com"]).status == "pending"
