"""Decisions: a named case per policy sentence of issue 3; first match wins, reasons cite dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.rules.factory import OWNER, at, meeting, policy, received, sent
from touchbase.rules.contacts import fold
from touchbase.rules.dates import KnownDate, add_business_days
from touchbase.rules.decide import Circumstances, Decision, Held, decide
from touchbase.rules.types import Interaction

BOB = "bob@example.com"


@dataclass
class Case:
    items: list[Interaction]
    now: datetime
    kind: str | None  # the decision for BOB, or None
    held: str | None = None  # or the rule that held it
    overrides: dict[str, Any] = field(default_factory=dict)
    circumstances: Circumstances = field(default_factory=Circumstances)
    reason: str | None = None  # a fragment one of the reasons must contain


def plan_for(case: Case) -> tuple[Decision | None, Held | None]:
    pol = policy(**case.overrides)
    contacts = fold(case.items, OWNER, pol, case.now)
    plan = decide(contacts.values(), pol, case.now, case.circumstances)
    decision = next((d for d in plan.decisions if d.person == BOB), None)
    held = next((h for h in plan.held if h.person == BOB), None)
    return decision, held


# A steady correspondent: a message every ten days, answered.
steady = [sent(at(-10 * i), BOB, subject=f"topic {i}") for i in range(1, 12)] + [
    received(at(-10 * i + 1), BOB, subject=f"Re: topic {i}") for i in range(1, 12)
]
birthday = Circumstances(known_dates={BOB: (KnownDate("birthday", 1, 20),)})

CASES = {
    "thank-you: a counted meeting ended within thank_you_window, nothing written since": Case(
        [meeting(at(0), BOB, subject="Budget")], at(1), "thank-you", reason='"Budget"'
    ),
    "thank-you: not after the window (36 h)": Case(
        [meeting(at(0), BOB)], at(0, hours=1 + 37), None
    ),
    "thank-you: not when the owner wrote to them after it ended": Case(
        [meeting(at(0), BOB), sent(at(0, hours=3), BOB)], at(1), None
    ),
    "thank-you: not for a large meeting (it did not count)": Case(
        [meeting(at(0), BOB, *[f"p{i}@example.com" for i in range(6)])], at(1), None
    ),
    "follow-up: no reply after follow_up_after business days": Case(
        [sent(at(0), BOB, subject="proposal")], at(7, hours=1), "follow-up", reason="2024-01-15"
    ),
    "follow-up: weekends are skipped (5 business days from a Monday is the next Monday)": Case(
        [sent(at(0), BOB)], at(6), None
    ),
    "follow-up: business days in the owner's time zone": Case(
        # Friday 23:30 in Tokyo is still Friday 14:30 UTC: due the next Friday, Tokyo time.
        [sent(datetime.fromisoformat("2024-01-12T14:30:00+00:00"), BOB)],
        datetime.fromisoformat("2024-01-19T14:31:00+00:00"),
        "follow-up",
        overrides={"timezone": "Asia/Tokyo"},
    ),
    "follow-up: not when they replied": Case(
        [sent(at(0), BOB), received(at(2), BOB, subject="Re: hello")], at(8), None
    ),
    "follow-up: at most max_follow_ups per thread": Case(
        [
            sent(at(0), BOB, subject="q", message_id="<q@x>"),
            sent(at(8), BOB, subject="Re: q", in_reply_to="<q@x>"),
        ],
        at(20),
        None,
    ),
    "follow-up: max_follow_ups = 2 allows a second one": Case(
        [
            sent(at(0), BOB, subject="q", message_id="<q@x>"),
            sent(at(8), BOB, subject="Re: q", in_reply_to="<q@x>"),
        ],
        at(20),
        "follow-up",
        overrides={"max_follow_ups": 2},
        reason="1 of 2",
    ),
    "follow-up: only in a thread the owner started": Case(
        [received(at(-1), BOB, subject="ask"), sent(at(0), BOB, subject="Re: ask")], at(8), None
    ),
    "follow-up: paused by an out-of-office reply": Case(
        [sent(at(0), BOB), received(at(0, hours=1), BOB, flags=["auto-reply"])],
        at(8),
        None,
        held="out-of-office",
    ),
    "follow-up: an unanswered thread older than follow_up_expires is left to check-in": Case(
        [sent(at(0), BOB)], at(40), None
    ),
    "congratulate: a known date falls within congrats_window days": Case(
        steady, at(8), "congratulate", circumstances=birthday, reason="birthday on 2024-01-20"
    ),
    "congratulate: not when the date is further away": Case(
        steady, at(2), None, circumstances=birthday
    ),
    "congratulate: 29 February is celebrated on the 28th in other years": Case(
        steady,
        datetime.fromisoformat("2025-02-25T09:00:00+00:00"),
        "congratulate",
        circumstances=Circumstances(known_dates={BOB: (KnownDate("birthday", 2, 29, 1990),)}),
        overrides={"dormant_after": "5y"},
        reason="2025-02-28 (35 years)",
    ),
    "check-in: last_contact older than the tier's cadence": Case(
        [sent(at(0), BOB)], at(200), "check-in", reason="last contact 2024-01-08"
    ),
    "check-in: not within the cadence": Case([sent(at(0), BOB)], at(60), None),
    "check-in: a per-person cadence wins": Case(
        [sent(at(0), BOB)],
        at(50),
        "check-in",
        overrides={"cadence": {BOB: "45d"}},
        reason="set for this person",
    ),
    "check-in: a tier without a cadence learns it from the person's rhythm": Case(
        steady,
        at(20),
        "check-in",
        overrides={"tiers": {"inner": {"cadence": "learned"}}},
        reason="learned from your rhythm",
    ),
    "check-in: past dormant_after check-ins stop": Case([sent(at(0), BOB)], at(800), None),
    "check-in: not while a meeting with them is scheduled": Case(
        [sent(at(0), BOB), meeting(at(200, hours=2), BOB)],
        at(200),
        None,
        held="meeting-scheduled",
    ),
    "pacing: one open draft per person": Case(
        [sent(at(0), BOB)],
        at(200),
        None,
        held="open-draft",
        circumstances=Circumstances(open_drafts=frozenset({BOB})),
    ),
    "pacing: snoozed people wait": Case(
        [sent(at(0), BOB)],
        at(200),
        None,
        held="snoozed",
        circumstances=Circumstances(snoozed={BOB: at(210)}),
    ),
    "pacing: a snooze that ended no longer holds": Case(
        [sent(at(0), BOB)],
        at(200),
        "check-in",
        circumstances=Circumstances(snoozed={BOB: at(190)}),
    ),
    "pacing: a rejected draft holds that person for rejection_pause": Case(
        [sent(at(0), BOB)],
        at(200),
        None,
        held="rejected",
        circumstances=Circumstances(rejected={BOB: at(190)}),
        reason=None,
    ),
    "pacing: after rejection_pause they may be asked again": Case(
        [sent(at(0), BOB)],
        at(200),
        "check-in",
        circumstances=Circumstances(rejected={BOB: at(180)}),
    ),
    "pacing: an open draft to one of their addresses counts as theirs": Case(
        [sent(at(0), BOB)],
        at(200),
        None,
        held="open-draft",
        circumstances=Circumstances(open_drafts=frozenset({"p7", BOB})),
    ),
    "pacing: never draft": Case(
        [sent(at(0), BOB)], at(200), None, held="never-draft", overrides={"never_draft": [BOB]}
    ),
    "pacing: max_drafts_per_day counts the drafts made earlier today": Case(
        [sent(at(0), BOB)],
        at(200),
        None,
        held="max-drafts-per-day",
        circumstances=Circumstances(drafts_today=5),
    ),
    "first match wins: a thank-you before a follow-up": Case(
        [sent(at(-8), BOB, subject="q"), meeting(at(0), BOB)], at(1), "thank-you"
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_decisions(case: Case) -> None:
    decision, held = plan_for(case)
    assert (decision.kind if decision else None) == case.kind
    assert (held.rule if held else None) == case.held
    if case.reason is not None:
        assert decision is not None
        assert any(case.reason in r for r in decision.reasons), decision.reasons
    if decision is not None:
        assert decision.due <= case.now
        assert any(ch.isdigit() for r in decision.reasons for ch in r)  # reasons cite dates


def test_max_drafts_per_run_keeps_the_strongest_first() -> None:
    items = [sent(at(0), f"p{i}@example.com") for i in range(8)]
    items += [received(at(1), "p3@example.com"), meeting(at(2), "p3@example.com")]
    pol = policy()
    now = at(400)
    plan = decide(fold(items, OWNER, pol, now).values(), pol, now)
    assert len(plan.decisions) == pol.max_drafts_per_run == 5
    assert plan.decisions[0].person == "p3@example.com"
    assert sum(h.rule == "max-drafts-per-run" for h in plan.held) == 3


def test_safety_valve_a_source_that_had_history_and_now_returns_nothing() -> None:
    pol = policy()
    now = at(400)
    contacts = fold([sent(at(0), f"p{i}@example.com") for i in range(3)], OWNER, pol, now)
    history = Circumstances(account_history={"mail": (1200, 0), "calendar": (0, 0)})
    plan = decide(contacts.values(), pol, now, history)
    assert plan.decisions == () and plan.held == ()
    assert plan.stopped is not None and "'mail' had 1200" in plan.stopped
    assert decide(contacts.values(), pol, now).stopped is None


def test_business_days_skip_weekends() -> None:
    friday = datetime.fromisoformat("2024-01-12T10:00:00+00:00")
    zone = policy().zone
    assert add_business_days(friday, 1, zone).date().isoformat() == "2024-01-15"
    assert add_business_days(friday, 5, zone).date().isoformat() == "2024-01-19"
    saturday = friday + timedelta(days=1)
    assert add_business_days(saturday, 1, zone).date().isoformat() == "2024-01-15"
