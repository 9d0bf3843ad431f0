"""Decisions: ordered named rules, first match wins, each with reasons a person can read.

For each contact the drafting rules are tried in order (thank-you, follow-up, congratulate,
check-in); the first that matches proposes a draft. Holds then keep a proposal back (not a
person, never-draft, an open draft, a recent rejection, snoozed, an out-of-office reply, a
meeting already scheduled), and pacing caps what is left (per run, and per day counted from the
owner's local midnight). Before anything, the safety valve: an account that had history and now
has none stops the whole plan.

The plan is final (DESIGN.md "plan, then act"): the step that acts renders exactly
`Plan.decisions`, in their order, and decides nothing again. Everything a draft needs is on the
Decision as data (the thread to answer, the meeting, the occasion, a usable topic), so nothing
downstream has to search reason sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

from touchbase.rules.contacts import Contact
from touchbase.rules.contacts_acc import Awaiting, MeetingRef
from touchbase.rules.dates import (
    KnownDate,
    add_business_days,
    local_midnight,
    next_occurrence,
    show_day,
    show_minute,
    show_span,
)
from touchbase.rules.policy import Policy
from touchbase.rules.standing import Standing, assess
from touchbase.rules.topics import usable_topic

THANK_YOU, FOLLOW_UP, CONGRATULATE, CHECK_IN = "thank-you", "follow-up", "congratulate", "check-in"
NUDGES = frozenset({FOLLOW_UP, CHECK_IN})  # what an out-of-office reply pauses


def _empty() -> Mapping[str, object]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Circumstances:
    """What the agent knows beyond interactions, as plain data (keys are person keys).

    `account_history`: account -> (interactions it had before its latest full sync, interactions
    it has now). An account that had some and now has none trips the safety valve.
    `open_drafts` and `rejected` hold person keys and addresses (a draft to an address nobody
    merged is keyed by it); `rejected` maps each to the latest time the owner rejected a draft.
    `drafts_today` counts drafts created since the owner's local midnight.
    """

    open_drafts: frozenset[str] = frozenset()
    rejected: Mapping[str, datetime] = field(default_factory=_empty)  # type: ignore[arg-type]
    snoozed: Mapping[str, datetime] = field(default_factory=_empty)  # type: ignore[arg-type]
    known_dates: Mapping[str, tuple[KnownDate, ...]] = field(default_factory=_empty)  # type: ignore[arg-type]
    drafts_today: int = 0
    account_history: Mapping[str, tuple[int, int]] = field(default_factory=_empty)  # type: ignore[arg-type]


class ReplyTo(NamedTuple):
    """The message a follow-up answers, so the draft lands in the same thread."""

    interaction_id: int
    message_id: str | None
    thread_id: str | None
    account: str
    subject: str | None
    at: datetime | None = None  # when the owner wrote it ("my note of 21 Dec")


class Occasion(NamedTuple):
    """What a congratulation is for: a known date's kind, the day, and how many years."""

    kind: str  # "birthday", "work-anniversary", or the owner's own word
    on: date
    years: int | None = None


class Topic(NamedTuple):
    """A conversation a draft may name: text that reads as a topic (rules.topics), and when."""

    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """Draft this for this person: `due` is when it became due (never after `now`).

    `address` is the one to write to (the one they use now). `name` is the best name known,
    `name_guessed` when it only comes from an address like first.last@. `topic` is a
    conversation worth naming, or None: then the draft must not need one. `suggest_call` says
    whether offering a call fits the tie. `meeting` is the meeting a thank-you is for,
    `occasion` what a congratulation is for, `reply_to` the thread a follow-up answers.
    """

    person: str
    address: str
    name: str
    kind: str
    due: datetime
    reasons: tuple[str, ...]
    strength: float = 0.0  # the relationship's strength: stronger ones go first
    reply_to: ReplyTo | None = None
    topic: Topic | None = None
    name_guessed: bool = False
    tier: str = ""
    last_contact: datetime | None = None
    meeting: MeetingRef | None = None
    occasion: Occasion | None = None
    suggest_call: bool = False


@dataclass(frozen=True, slots=True)
class Held:
    """A decision kept back, and the named rule that kept it."""

    person: str
    kind: str
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What to draft now, what waits and why; `stopped` says why nothing may be drafted."""

    decisions: tuple[Decision, ...]
    held: tuple[Held, ...]
    stopped: str | None = None


class _Case(NamedTuple):
    contact: Contact
    standing: Standing
    policy: Policy
    now: datetime
    zone: ZoneInfo
    circumstances: Circumstances


class _Found(NamedTuple):
    """What a drafting rule found: when it became due, why, and the data its draft needs."""

    due: datetime
    reasons: tuple[str, ...]
    reply_to: ReplyTo | None = None
    meeting: MeetingRef | None = None
    occasion: Occasion | None = None


_Rule = Callable[[_Case], _Found | None]


def thank_you(case: _Case) -> _Found | None:
    """A counted meeting ended within `thank_you_window` and nothing was sent to them since."""
    meeting, contact, now = case.contact.last_meeting, case.contact, case.now
    if (
        meeting is None
        or not meeting.ended_at <= now <= meeting.ended_at + case.policy.thank_you_window
    ):
        return None
    if contact.last_sent is not None and contact.last_sent >= meeting.ended_at:
        return None
    title = f' "{meeting.subject}"' if meeting.subject else ""
    return _Found(
        meeting.ended_at,
        (
            f"you met{title}, ended {show_minute(meeting.ended_at, case.zone)}",
            "you have not written to them since",
            f"thank-you window: {show_span(case.policy.thank_you_window)}",
        ),
        meeting=meeting,
    )


def follow_up(case: _Case) -> _Found | None:
    """The owner wrote (To, a thread they started), no reply after `follow_up_after` business
    days, fewer than `max_follow_ups` follow-ups already sent in that thread, and the last
    message is younger than `follow_up_expires`."""
    awaiting: Awaiting | None = case.contact.awaiting
    policy = case.policy
    if awaiting is None or awaiting.follow_ups >= policy.max_follow_ups:
        return None
    due = add_business_days(awaiting.last_at, policy.follow_up_after, case.zone)
    if due > case.now or case.now - awaiting.last_at > policy.follow_up_expires:
        return None
    title = f' "{awaiting.subject}"' if awaiting.subject else ""
    reply = ReplyTo(
        awaiting.interaction_id,
        awaiting.message_id,
        awaiting.thread_id,
        awaiting.account,
        awaiting.subject,
        awaiting.last_at,
    )
    return _Found(
        due,
        (
            f"you wrote{title} on {show_day(awaiting.last_at, case.zone)}; no reply since",
            f"{policy.follow_up_after} business days passed on {show_day(due, case.zone)}",
            f"follow-ups sent in this thread: {awaiting.follow_ups} of {policy.max_follow_ups}",
        ),
        reply_to=reply,
    )


def congratulate(case: _Case) -> _Found | None:
    """A known date (birthday, work anniversary) falls within `congrats_window` days."""
    known = case.circumstances.known_dates.get(case.contact.person, ())
    today = case.now.astimezone(case.zone).date()
    window = case.policy.congrats_window
    found = []
    for item in known:
        day = next_occurrence(item, today)
        if day - today <= window:
            found.append((day, item))
    if not found:
        return None
    day, item = min(found)
    start = local_midnight(day, case.zone) - window
    last_sent = case.contact.last_sent
    if last_sent is not None and last_sent >= start:
        return None  # already in touch around the date
    count = day.year - item.year if item.year and day.year > item.year else None
    years = f" ({count} years)" if count else ""
    left = (day - today).days
    when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {left} days"
    return _Found(
        start if start < case.now else case.now,
        (
            f"{item.kind} on {day.isoformat()}{years}, {when}",
            f"congratulations window: {show_span(window)}",
        ),
        occasion=Occasion(item.kind, day, count),
    )


def check_in(case: _Case) -> _Found | None:
    """`last_contact` is older than the cadence (and younger than `dormant_after`)."""
    standing, contact = case.standing, case.contact
    if standing.due is None or standing.due > case.now or contact.last_contact is None:
        return None
    how = {"sent": "you wrote to them", "received": "they wrote to you", "meeting": "you met"}
    what = how.get(contact.last_contact_kind or "", "contact")
    about = f' "{contact.last_subject}"' if contact.last_subject else ""
    source = {
        "person": "set for this person",
        "tier": f"tier {standing.tier}",
        "learned": f"learned from your rhythm, tier {standing.tier}",
        "tier-max": f"tier {standing.tier}, not enough history to learn a rhythm",
    }[standing.cadence_source]
    return _Found(
        standing.due,
        (
            f"last contact {show_day(contact.last_contact, case.zone)} ({what}{about})",
            f"cadence {show_span(standing.cadence)} ({source}, strength {standing.strength:.2f})",
            f"due since {show_day(standing.due, case.zone)}",
        ),
    )


RULES: tuple[tuple[str, _Rule], ...] = (
    (THANK_YOU, thank_you),
    (FOLLOW_UP, follow_up),
    (CONGRATULATE, congratulate),
    (CHECK_IN, check_in),
)


def _keyed(table: Mapping[str, datetime] | frozenset[str], contact: Contact) -> list[str]:
    """The keys of `table` that name this contact: its person key or any of its addresses."""
    return [k for k in (contact.person, *contact.addresses) if k in table]


def _hold(case: _Case, kind: str) -> tuple[str, str] | None:
    """The first hold that applies to a proposal of `kind`: (rule name, reason)."""
    contact, policy, now, zone = case.contact, case.policy, case.now, case.zone
    circumstances = case.circumstances
    if contact.excluded is not None:
        return "not-a-person", f"{contact.address} is not a person ({contact.excluded})"
    if policy.never_draft & {contact.person, *contact.addresses}:
        return "never-draft", "set to never draft"
    if _keyed(circumstances.open_drafts, contact):
        return "open-draft", "a draft for them is already open"
    rejected = [circumstances.rejected[k] for k in _keyed(circumstances.rejected, contact)]
    if rejected and now < max(rejected) + policy.rejection_pause:
        until = max(rejected) + policy.rejection_pause
        return (
            "rejected",
            f"you rejected a draft for them on {show_day(max(rejected), zone)}; "
            f"not asked again before {show_day(until, zone)}",
        )
    snoozed = circumstances.snoozed.get(contact.person)
    if snoozed is not None and snoozed > now:
        return "snoozed", f"snoozed until {show_day(snoozed, zone)}"
    ooo = contact.last_auto_reply
    if kind in NUDGES and ooo is not None and now < ooo + policy.out_of_office_pause:
        return "out-of-office", f"out-of-office reply on {show_day(ooo, zone)}"
    if kind == CHECK_IN and contact.next_meeting_end is not None:
        return "meeting-scheduled", "a meeting with them is already scheduled"
    return None


def evaluate(
    contact: Contact, policy: Policy, now: datetime, circumstances: Circumstances
) -> Decision | Held | None:
    """One person: the first matching rule's decision, a hold, or None (nothing due)."""
    zone = policy.zone
    standing = assess(contact, policy, now)
    case = _Case(contact, standing, policy, now, zone, circumstances)
    for kind, rule in RULES:
        found = rule(case)
        if found is None:
            continue
        held = _hold(case, kind)
        if held is not None:
            return Held(contact.person, kind, held[0], held[1])
        topic = None
        if contact.last_subject and contact.last_contact is not None:
            text = usable_topic(contact.last_subject)
            topic = Topic(text, contact.last_contact) if text else None
        return Decision(
            person=contact.person,
            address=contact.address,
            name=contact.name,
            kind=kind,
            due=found.due,
            reasons=found.reasons,
            strength=standing.strength,
            reply_to=found.reply_to,
            topic=topic,
            tier=standing.tier,
            last_contact=contact.last_contact,
            meeting=found.meeting,
            occasion=found.occasion,
            suggest_call=False,
        )
    return None


def safety_valve(circumstances: Circumstances) -> str | None:
    """Why the plan must stop: an account that had history and now returns nothing."""
    for account, (before, after) in sorted(circumstances.account_history.items()):
        if before > 0 and after == 0:
            return (
                f"account {account!r} had {before} interactions and now has none; "
                "no drafts until it is checked (a wiped or wrong mailbox would look like "
                "everyone is overdue)"
            )
    return None


def decide(
    contacts: Iterable[Contact],
    policy: Policy,
    now: datetime,
    circumstances: Circumstances | None = None,
) -> Plan:
    """The plan at `now`: deterministic for the same arguments, whatever the input order."""
    circumstances = circumstances or Circumstances()
    stopped = safety_valve(circumstances)
    if stopped is not None:
        return Plan((), (), stopped)
    proposals: list[Decision] = []
    held: list[Held] = []
    for contact in contacts:
        outcome = evaluate(contact, policy, now, circumstances)
        if isinstance(outcome, Decision):
            proposals.append(outcome)
        elif isinstance(outcome, Held):
            held.append(outcome)
    order = {kind: i for i, (kind, _rule) in enumerate(RULES)}
    # Rule order first (a thank-you cannot wait, a check-in can), then the stronger
    # relationship, then the longest overdue.
    proposals.sort(key=lambda d: (order[d.kind], -d.strength, d.due, d.person))
    room_today = max(policy.max_drafts_per_day - circumstances.drafts_today, 0)
    room = min(policy.max_drafts_per_run, room_today)
    for late in proposals[room:]:
        rule = (
            "max-drafts-per-day" if room_today < policy.max_drafts_per_run else "max-drafts-per-run"
        )
        held.append(Held(late.person, late.kind, rule, f"{rule} reached; waits for a later run"))
    held.sort(key=lambda h: (h.person, h.kind))
    return Plan(tuple(proposals[:room]), tuple(held), None)


def is_due(standing: Standing, now: datetime) -> bool:
    """For `people --due`: a check-in is owed now."""
    return standing.due is not None and standing.due <= now
