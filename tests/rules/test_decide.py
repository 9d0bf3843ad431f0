"""Decisions: a named case per policy sentence of issue 3; first match wins, reasons cite dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.rules.factory import ME, OWNER, at, mail, meeting, policy, received, sent
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
    person_name: str | None = None  # a display name BOB uses on his own mail
    person: str = BOB  # whose decision the case is about


def plan_for(case: Case) -> tuple[Decision | None, Held | None]:
    pol = policy(**case.overrides)
    items = case.items
    if case.person_name:
        named = {BOB: case.person_name, "bob.smith@newjob.example": case.person_name}
        items = [_named(i, named) for i in items]
    contacts = fold(items, OWNER, pol, case.now)
    plan = decide(contacts.values(), pol, case.now, case.circumstances)
    decision = next((d for d in plan.decisions if d.person == case.person), None)
    held = next((h for h in plan.held if h.person == case.person), None)
    return decision, held


def _named(item: Interaction, names: dict[str, str]) -> Interaction:
    parties = tuple(p._replace(name=names.get(p.address, p.name)) for p in item.participants)
    return item._replace(participants=parties)


# A steady correspondent: a message every ten days, answered.
steady = [sent(at(-10 * i), BOB, subject=f"topic {i}") for i in range(1, 12)] + [
    received(at(-10 * i + 1), BOB, subject=f"Re: topic {i}") for i in range(1, 12)
]
birthday = Circumstances(known_dates={BOB: (KnownDate("birthday", 1, 20),)})


def tie(*items: Interaction) -> list[Interaction]:
    """A relationship with BOB (two exchanges each way, months ago), then `items`."""
    history = [
        sent(at(-120), BOB, subject="budget"),
        received(at(-119), BOB, subject="Re: budget"),
        sent(at(-90), BOB, subject="hiring"),
        received(at(-89), BOB, subject="Re: hiring"),
    ]
    return history + list(items)


ASK = "Can we meet about the proposal?"
# The shipped default for received mail is "always"; these cases say it where it matters.
ALWAYS = {"received_counts": "always"}

CASES = {
    "thank-you: a first meeting ended within thank_you_window, nothing written since": Case(
        [meeting(at(0), BOB, subject="Budget")], at(1), "thank-you", reason="first meeting"
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
    "thank-you: not for one occurrence of a series you keep having": Case(
        [meeting(at(-7 * i), BOB, subject="Weekly 1:1") for i in range(4)], at(1), None
    ),
    "thank-you: not for a series, even the first occurrence (the next one is scheduled)": Case(
        [meeting(at(0), BOB, subject="Weekly 1:1"), meeting(at(7), BOB, subject="Weekly 1:1")],
        at(1),
        None,
    ),
    "thank-you: not when you met within occasional_gap before": Case(
        [meeting(at(-10), BOB, subject="Pricing"), meeting(at(0), BOB, subject="Contract")],
        at(1),
        None,
    ),
    "thank-you: an occasional meeting, after occasional_gap without one": Case(
        [meeting(at(-100), BOB, subject="Pricing"), meeting(at(0), BOB, subject="Contract")],
        at(1),
        "thank-you",
        reason="occasional",
    ),
    "thank-you: thank_you_for = every thanks for each meeting of a series": Case(
        [meeting(at(-7 * i), BOB, subject="Weekly 1:1") for i in range(4)],
        at(1),
        "thank-you",
        overrides={"thank_you_for": "every"},
    ),
    "thank-you: thank_you_for = never": Case(
        [meeting(at(0), BOB, subject="Budget")], at(1), None, overrides={"thank_you_for": "never"}
    ),
    "thank-you: a held thank-you is due within its window": Case(
        [meeting(at(0), BOB, subject="Budget")],
        at(1),
        None,
        held="open-draft",
        circumstances=Circumstances(open_drafts=frozenset({BOB})),
    ),
    "follow-up: a question nobody answered after follow_up_after business days": Case(
        [sent(at(0), BOB, subject=ASK)], at(7, hours=1), "follow-up", reason="2024-01-15"
    ),
    "follow-up: weekends are skipped (5 business days from a Monday is the next Monday)": Case(
        [sent(at(0), BOB, subject=ASK)], at(6), None
    ),
    "follow-up: business days in the owner's time zone": Case(
        # Friday 23:30 in Tokyo is still Friday 14:30 UTC: due the next Friday, Tokyo time.
        [sent(datetime.fromisoformat("2024-01-12T14:30:00+00:00"), BOB, subject=ASK)],
        datetime.fromisoformat("2024-01-19T14:31:00+00:00"),
        "follow-up",
        overrides={"timezone": "Asia/Tokyo"},
    ),
    "follow-up: not when they replied": Case(
        [sent(at(0), BOB, subject=ASK), received(at(2), BOB, subject="Re: " + ASK)], at(8), None
    ),
    "follow-up: not when they wrote in another thread since": Case(
        [sent(at(0), BOB, subject=ASK), received(at(2), BOB, subject="lunch")], at(8), None
    ),
    "follow-up: not when someone else answered in the thread (a reply-all)": Case(
        [
            mail(at(0), ME, [BOB, "ann@example.com"], subject=ASK, message_id="<q@x>"),
            mail(at(1), "ann@example.com", [ME, BOB], subject="Re: " + ASK, in_reply_to="<q@x>"),
        ],
        at(8),
        None,
    ),
    "follow-up: not when they answered before the owner's last message in the thread": Case(
        [
            sent(at(0), BOB, subject=ASK),
            received(at(0, hours=2), BOB, subject="Re: " + ASK),
            sent(at(0, hours=3), BOB, subject="Re: " + ASK),
        ],
        at(8),
        None,
    ),
    "follow-up: at most max_follow_ups per thread": Case(
        [
            sent(at(0), BOB, subject=ASK, message_id="<q@x>"),
            sent(at(8), BOB, subject="Re: " + ASK, in_reply_to="<q@x>"),
        ],
        at(20),
        None,
    ),
    "follow-up: max_follow_ups = 2 allows a second one": Case(
        [
            sent(at(0), BOB, subject=ASK, message_id="<q@x>"),
            sent(at(8), BOB, subject="Re: " + ASK, in_reply_to="<q@x>"),
        ],
        at(20),
        "follow-up",
        overrides={"max_follow_ups": 2},
        reason="1 of 2",
    ),
    "follow-up: only in a thread the owner started": Case(
        [received(at(-1), BOB, subject="ask"), sent(at(0), BOB, subject="Re: " + ASK)],
        at(8),
        None,
    ),
    "follow-up: only mail To at most few_recipients people": Case(
        [mail(at(0), ME, [BOB, "a@example.com", "b@example.com", "c@example.com"], subject=ASK)],
        at(8),
        None,
    ),
    "follow-up: not for a subject that asks nothing (a hand-off)": Case(
        [sent(at(0), BOB, subject="Contacts")], at(8), None
    ),
    "follow-up: not for an FYI or a report": Case(
        [sent(at(0), BOB, subject="FYI - can you see the May volumes?")], at(8), None
    ),
    "follow-up: not for a forward": Case(
        [sent(at(0), BOB, subject="Fw: " + ASK)], at(8), None
    ),
    "follow-up: not for a sensitive matter": Case(
        [sent(at(0), BOB, subject="Question on the payment?")], at(8), None
    ),
    "follow-up: not when the day the thread is about has passed": Case(
        [sent(at(0), BOB, subject="Lunch on 1/10?")], at(8), None
    ),
    "follow-up: a day still ahead keeps it alive": Case(
        [sent(at(0), BOB, subject="Lunch on 2/20?")], at(8), "follow-up"
    ),
    "follow-up: not an urgent matter days later": Case(
        [sent(at(0), BOB, subject="Call me ASAP please")], at(8), None
    ),
    "follow-up: paused by an out-of-office reply": Case(
        [sent(at(0), BOB, subject=ASK), received(at(0, hours=1), BOB, flags=["auto-reply"])],
        at(8),
        None,
        held="out-of-office",
    ),
    "follow-up: an unanswered thread older than follow_up_expires is left to check-in": Case(
        [sent(at(0), BOB, subject=ASK)], at(40), None
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
    "check-in: a relationship whose last_contact is older than its cadence": Case(
        tie(), at(200), "check-in", reason="a relationship: 2 days you wrote, 2 they wrote back"
    ),
    "check-in: never to someone who is not a relationship (one message)": Case(
        [sent(at(0), BOB)], at(200), None
    ),
    "check-in: never to someone who only wrote to crowds": Case(
        [sent(at(-30), BOB), sent(at(-20), BOB)]
        + [mail(at(-i), BOB, [ME, *[f"p{j}@example.com" for j in range(12)]]) for i in (5, 6)],
        at(200),
        None,
        overrides=ALWAYS,
    ),
    "check-in: a person the owner pinned is a relationship, and never lapses for good": Case(
        [sent(at(0), BOB)], at(400), "check-in", overrides={"pinned": [BOB]}, reason="pinned"
    ),
    "check-in: a per-person cadence wins (and pins them)": Case(
        [sent(at(0), BOB)],
        at(50),
        "check-in",
        overrides={"cadence": {BOB: "45d"}},
        reason="set for this person",
    ),
    "check-in: a small meeting makes a relationship": Case(
        [meeting(at(0), BOB, "ann@example.com")],
        at(200),
        "check-in",
        overrides={"tiers": {"wider": {"cadence": "90d"}}},
    ),
    "check-in: not within the cadence": Case(tie(sent(at(0), BOB)), at(20), None),
    "check-in: mail from them counts as contact": Case(
        tie(received(at(150), BOB, subject="news")), at(200), None, overrides=ALWAYS
    ),
    "check-in: a tier without a cadence learns it from the person's rhythm": Case(
        steady,
        at(80),
        "check-in",
        overrides={"tiers": {"inner": {"cadence": "learned"}, "active": {"cadence": "learned"}}},
        reason="learned from your rhythm",
    ),
    "check-in: past dormant_after check-ins stop": Case(tie(), at(800), None),
    "check-in: not while a meeting with them is scheduled": Case(
        tie(meeting(at(200, hours=2), BOB)), at(200), None, held="meeting-scheduled"
    ),
    "check-in: a meeting too big to count holds nothing back": Case(
        tie(meeting(at(200, hours=2), BOB, *[f"p{i}@example.com" for i in range(8)])),
        at(200),
        "check-in",
    ),
    "check-in: a reply owed is shown instead of a check-in": Case(
        tie(received(at(190), BOB, subject="question")),
        at(200),
        None,
        held="reply-owed",
        overrides={"tiers": {"active": {"cadence": "5d"}, "wider": {"cadence": "5d"}}, **ALWAYS},
    ),
    "check-in: held while another address of theirs is in touch": Case(
        tie(received(at(195), "bob.smith@newjob.example", subject="hello")),
        at(200),
        None,
        held="other-address",
        overrides=ALWAYS,
        person_name="Bob Smith",
    ),
    "check-in: never to a delegate who sends mail from the owner's Sent folder": Case(
        tie(mail(at(-5), BOB, ["carl@example.com"], folder="sent")), at(200), None
    ),
    "check-in: not while they still write to a group with you": Case(
        tie(mail(at(190), BOB, [ME, *[f"p{i}@example.com" for i in range(14)]])),
        at(200),
        None,
        overrides=ALWAYS,
    ),
    "check-in: a tie whose silence (over a year) outlasts its whole life is over": Case(
        tie(), at(300), None
    ),
    "check-in: one mis-dated old message does not make a short tie's life long": Case(
        [sent(datetime(1980, 1, 1, tzinfo=UTC), BOB, subject="hello"), *tie()], at(300), None
    ),
    "check-in: never to someone whose mail to the owner is not in the mailbox (one-way)": Case(
        [sent(at(-120 + i * 10), BOB, subject=f"Re: deal {i}") for i in range(4)], at(200), None
    ),
    "check-in: not to family (their address shares the owner's surname) unless pinned": Case(
        [
            sent(at(-120), "mgermany@x.example"),
            received(at(-119), "mgermany@x.example"),
            sent(at(-90), "mgermany@x.example"),
            received(at(-89), "mgermany@x.example"),
        ],
        at(200),
        None,
        held="family-name",
        circumstances=Circumstances(owner_name="Chris Germany"),
        person="mgermany@x.example",
    ),
    "an address no draft can go to (an export's mangled one) is held, not dropped later": Case(
        [
            sent(at(-120), "l..dinari@enron.example"),
            received(at(-119), "l..dinari@enron.example"),
            sent(at(-90), "l..dinari@enron.example"),
            received(at(-89), "l..dinari@enron.example"),
        ],
        at(200),
        None,
        held="no-valid-address",
        person="l..dinari@enron.example",
    ),
    "pacing: one open draft per person": Case(
        tie(), at(200), None, held="open-draft",
        circumstances=Circumstances(open_drafts=frozenset({BOB})),
    ),
    "pacing: snoozed people wait": Case(
        tie(), at(200), None, held="snoozed",
        circumstances=Circumstances(snoozed={BOB: at(210)}),
    ),
    "pacing: a snooze that ended no longer holds": Case(
        tie(), at(200), "check-in", circumstances=Circumstances(snoozed={BOB: at(190)})
    ),
    "pacing: a rejected draft holds that person for rejection_pause": Case(
        tie(), at(200), None, held="rejected",
        circumstances=Circumstances(rejected={BOB: at(190)}),
    ),
    "pacing: after rejection_pause they may be asked again": Case(
        tie(), at(200), "check-in", circumstances=Circumstances(rejected={BOB: at(180)})
    ),
    "pacing: an open draft to one of their addresses counts as theirs": Case(
        tie(), at(200), None, held="open-draft",
        circumstances=Circumstances(open_drafts=frozenset({"p7", BOB})),
    ),
    "pacing: never draft": Case(
        tie(), at(200), None, held="never-draft", overrides={"never_draft": [BOB]}
    ),
    "pacing: max_drafts_per_day counts the drafts made earlier today": Case(
        tie(), at(200), None, held="max-drafts-per-day",
        circumstances=Circumstances(drafts_today=5),
    ),
    "first match wins: a thank-you before a follow-up": Case(
        [sent(at(-8), BOB, subject=ASK), meeting(at(0), BOB)], at(1), "thank-you"
    ),
}  # fmt: skip


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
    items = []
    for i in range(8):
        person = f"p{i}@example.com"
        for day in range(2 + i):  # deeper ties for higher i
            items += [sent(at(-100 + 3 * day), person), received(at(-99 + 3 * day), person)]
    pol = policy()
    now = at(200)
    plan = decide(fold(items, OWNER, pol, now).values(), pol, now)
    assert len(plan.decisions) == pol.max_drafts_per_run == 5
    assert [d.person for d in plan.decisions] == [f"p{i}@example.com" for i in (7, 6, 5, 4, 3)]
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
