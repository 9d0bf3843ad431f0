"""Where a contact stands at `now`: is it a relationship, how deep (strength, tier), its cadence
(and where that came from), when a check-in is due, and whether the owner owes them a reply.

Depth and recency are kept apart: the strength and the tier come from depth alone (two-way
exchanges, meetings, how long and how regularly they have been in touch), so one exchange last
week does not make someone a close tie; recency only decides when a check-in is due.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, repeat
from statistics import median

from touchbase.rules.addresses import domain_of
from touchbase.rules.contacts import Contact
from touchbase.rules.contacts_acc import LAPSE_FLOOR
from touchbase.rules.dates import show_day
from touchbase.rules.life_events import MOVED, NEW_ROLE, organisation
from touchbase.rules.policy import Policy, Tier

# Depth weights: exchanges going both ways matter most, then how regularly you are in touch
# (calendar months with contact), then meetings, then how long you have known each other.
EXCHANGES, REGULARITY, MEETINGS, SPAN = 0.45, 0.2, 0.2, 0.15
EXCHANGES_FULL = 24.0  # two-way exchanges (the lesser direction, on distinct days) for full credit
MEETINGS_FULL = 12.0  # small meetings (1:1s count twice) for full credit
REGULAR_MONTHS = 12.0  # months with contact for full credit
SPAN_MONTHS = 24.0  # two years of knowing each other for full credit
LEARNED, PERSON, TIER, TIER_MAX = "learned", "person", "tier", "tier-max"
# Why someone is a relationship (rule names, as `people --json` and the trace show them).
PINNED, EXCHANGED, MET = "pinned", "exchanges", "meetings"
# How a tie reads from the headers (Decision.register): personal or social signals, or only work.
WARM, WORK = "warm", "work"
# Why a check-in the cadence would owe is not (rule names, as the plan's holds show them).
NEAR_DAILY, SAME_CIRCLE, WORK_TIE = "near-daily", "same-circle", "work-tie"


@dataclass(frozen=True, slots=True)
class Standing:
    """A contact assessed at one moment.

    `relationship` says why check-ins are owed to them (pinned, exchanges, meetings), or None:
    then they are tracked and shown, never nagged about, and `due` is None. `due` is also None
    when nothing is owed (never counted, or dormant: the last contact is older than
    `dormant_after`). `reply_owed` is the time of their direct mail the owner has not answered.
    """

    strength: float
    tier: str
    cadence: timedelta
    cadence_source: str  # "person", "tier", "learned" or "tier-max" (too little history)
    due: datetime | None
    dormant: bool
    relationship: str | None = None
    reply_owed: datetime | None = None
    # Issue 11: "warm" or "work" (how the tie reads), the signs that say so, and why a
    # check-in the cadence owes is held anyway (a rule name and a sentence), or None. `due`
    # stays the cadence's: a person who moved is owed one even from a work tie.
    register: str = ""
    warmth: tuple[str, ...] = ()
    quiet: tuple[str, str] | None = None


def strength(contact: Contact) -> float:
    """0..1 from depth alone: two-way exchanges, small meetings (1:1s weigh double), the
    number of months in touch and how long they have known each other. Never recency."""
    both = min(contact.exchanges_out, contact.exchanges_in)
    exchanges = min(1.0, math.log1p(both) / math.log1p(EXCHANGES_FULL))
    met = contact.small_meetings + contact.one_on_one
    meetings = min(1.0, math.log1p(met) / math.log1p(MEETINGS_FULL))
    regularity = min(1.0, contact.months_in_touch / REGULAR_MONTHS)
    span = 0.0
    first, last = contact.first_counted, contact.last_contact
    if first is not None and last is not None:  # the first to the last contact that counted
        months = (last - first).days / 30.44
        span = min(1.0, max(months, 0.0) / SPAN_MONTHS)
    score = EXCHANGES * exchanges + REGULARITY * regularity + MEETINGS * meetings
    return round(score + SPAN * span, 3)


def relationship(contact: Contact, policy: Policy) -> str | None:
    """Why check-ins are owed to this person, or None. A relationship is a person the owner
    pinned (or gave a cadence of their own), or one with enough two-way exchanges (distinct
    days each way, none of them to a crowd), or with enough small meetings."""
    keys = {contact.person, *contact.addresses}
    if policy.pinned & keys or any(k in policy.cadence for k in keys):
        return PINNED
    if contact.delegate:
        return None  # an assistant or delegate: works beside the owner, never nagged about
    if (
        contact.exchanges_out >= policy.relationship_min_sent
        and contact.exchanges_in >= policy.relationship_min_received
    ):
        return EXCHANGED
    if policy.relationship_min_meetings and contact.small_meetings >= max(
        policy.relationship_min_meetings, 1
    ):
        return MET
    return None


def reply_owed(contact: Contact, policy: Policy, now: datetime) -> datetime | None:
    """Their latest direct mail, when it came after anything the owner sent them or met them
    about, and within `reply_owed_within`: the owner owes them an answer, not a check-in."""
    last_in = contact.last_direct_in
    if last_in is None or last_in > now or now - last_in > policy.reply_owed_within:
        return None
    for later in (contact.last_sent, contact.last_met):
        if later is not None and later >= last_in:
            return None
    return last_in


def is_dormant(
    contact: Contact, last: datetime, policy: Policy, now: datetime, pinned: bool = False
) -> bool:
    """Past `dormant_after` no check-ins are owed; nor, unless the owner pinned them, once a
    silence of over a year outlasts the time the two were last in touch without a year's gap
    (a tie that lived a few weeks, two years ago, is over; one that lived for years and went
    quiet is not)."""
    silence = now - last
    if silence > policy.dormant_after:
        return True
    if pinned:
        return False
    if silence <= LAPSE_FLOOR:
        return False
    # The tie's life is its last run of contact without a gap of over LAPSE_FLOOR (the fold
    # keeps where it began): one mis-dated message (exports hold mail stamped 1980) or a
    # contact from another era must not make a tie of a few months decades old, and never over.
    start = contact.tie_start
    if start is None or start > last:
        start = last
    return silence > last - start


def tier_for(score: float, policy: Policy) -> Tier:
    """The strongest tier whose threshold the score reaches (policy guarantees one at 0)."""
    return next(t for t in policy.tiers if score >= t.min_strength)


def learned_cadence(contact: Contact, policy: Policy) -> timedelta | None:
    """`learned_factor` x the median gap between contact days, or None with too few gaps."""
    # The fold keeps the gaps between distinct contact days (date ordinals) as (gap, count).
    gaps = list(chain.from_iterable(repeat(gap, n) for gap, n in contact.day_gaps))
    if len(gaps) < max(policy.learned_min_gaps, 1):
        return None
    return timedelta(days=policy.learned_factor * median(gaps))


def person_cadence(contact: Contact, policy: Policy) -> timedelta | None:
    for key in (contact.person, *contact.addresses):
        found = policy.cadence.get(key)
        if found is not None:
            return found
    return None


def warmth(contact: Contact, policy: Policy) -> tuple[str, ...]:
    """The signs in the headers that a tie is personal, not only work: shared threads with
    social or personal subjects (rules/social.py), an address at a personal mailbox provider
    (policy personal_domains), a small meeting."""
    signs = []
    if contact.social_threads >= policy.warm_min_social:
        latest = f', latest "{contact.social_subject}"' if contact.social_subject else ""
        signs.append(f"{contact.social_threads} shared social or personal threads{latest}")
    personal = policy.personal_domains
    mailbox = [
        a
        for a in contact.addresses
        if domain_of(a) in personal or organisation(domain_of(a)) in personal
    ]
    if mailbox:
        signs.append(f"a personal address ({mailbox[0]})")
    return tuple(signs)


def quiet(
    contact: Contact, policy: Policy, now: datetime, why: str | None, signs: tuple[str, ...]
) -> tuple[str, str] | None:
    """Why no check-in is owed although the cadence ran out, or None: pinned people and
    owner-set cadences always get theirs."""
    if why == PINNED:
        return None
    zone = policy.zone
    last = contact.near_daily_last
    if (
        last is not None
        and contact.near_daily_days >= policy.near_daily_min_days
        and now - last < policy.near_daily_horizon
    ):
        return (
            NEAR_DAILY,
            f"you wrote on {contact.near_daily_days} of the {policy.near_daily_window.days} "
            f"days before {show_day(last, zone)}; a stop like that usually means you talk "
            "another way",
        )
    circle = contact.last_circle
    if circle is not None and now - circle < policy.circle_window:
        return (
            SAME_CIRCLE,
            f"you were both on small group mail from someone else on {show_day(circle, zone)}:"
            " the same circle lately",
        )
    moved = any(e.kind in (MOVED, NEW_ROLE) for e in contact.events)
    if policy.checkin_ties == "warm" and not (signs or contact.small_meetings or moved):
        return (
            WORK_TIE,
            "a work tie (no social or personal threads, personal address, small meeting or "
            "move): "
            "tracked, not nagged (policy checkin_ties)",
        )
    return None


def is_due(standing: Standing, now: datetime) -> bool:
    """For `people --due`: a check-in is owed now (the cadence ran out and nothing says it is
    not: a near-daily tie, the same circle lately, a work tie; `quiet` above). Here, not in
    rules/decide.py (which re-exports it), so that listing people loads no deciding code."""
    return standing.due is not None and standing.due <= now and standing.quiet is None


def assess(contact: Contact, policy: Policy, now: datetime) -> Standing:
    """Relationship, strength, tier and cadence: the person's own setting, else the tier's,
    else learned from their rhythm and clamped to the tier's bounds (the tier's maximum until
    learnable); a check-in is due only to a relationship."""
    score = strength(contact)
    tier = tier_for(score, policy)
    cadence = person_cadence(contact, policy)
    source = PERSON
    if cadence is None and tier.cadence is not None:
        cadence, source = tier.cadence, TIER
    if cadence is None:
        learned = learned_cadence(contact, policy)
        if learned is None:
            cadence, source = tier.max_cadence, TIER_MAX
        else:
            cadence, source = min(max(learned, tier.min_cadence), tier.max_cadence), LEARNED
    why = relationship(contact, policy)
    last = contact.last_contact
    dormant = last is not None and is_dormant(contact, last, policy, now, why == PINNED)
    # Mail with them on a group keeps the clock from running: they still work together.
    seen = max(last, contact.last_seen) if last and contact.last_seen else last
    due = None if seen is None or dormant or why is None else seen + cadence
    owed = reply_owed(contact, policy, now)
    signs = warmth(contact, policy)
    held = quiet(contact, policy, now, why, signs) if due is not None and due <= now else None
    register = WARM if signs else WORK
    return Standing(
        score, tier.name, cadence, source, due, dormant, why, owed, register, signs, held
    )


# Bumped whenever `assess` reads something new or reads it differently: persisted standings
# (agent/pipeline/contact_state.py) assessed by older rules are then assessed again.
STANDING_RULES = 1
_TICK = timedelta(microseconds=1)  # datetimes' resolution: "after" a moment is a tick later


def changes_at(
    contact: Contact, policy: Policy, now: datetime, standing: Standing
) -> datetime | None:
    """The first moment after `now` at which `assess(contact, policy, t)` may differ from
    `standing` (which is `assess(contact, policy, now)`), or None if it never changes with time
    alone: dormancy setting in, the due date passing (then a hold may apply), a reply becoming
    owed or no longer owed, a near-daily tie's horizon or the same circle's window closing.
    Never later than the real change; it may be earlier (the standing is then assessed again
    and found the same)."""
    moments: list[datetime] = []
    last = contact.last_contact
    if last is not None and not standing.dormant:
        moments.extend(_dormant_from(contact, last, policy, now, standing.relationship == PINNED))
    if standing.due is not None:
        moments.append(standing.due)
    last_in = contact.last_direct_in
    if last_in is not None:
        moments += (last_in, last_in + policy.reply_owed_within + _TICK)
    if contact.near_daily_last is not None:
        moments.append(contact.near_daily_last + policy.near_daily_horizon)
    if contact.last_circle is not None:
        moments.append(contact.last_circle + policy.circle_window)
    return min((m for m in moments if m > now), default=None)


def _dormant_from(
    contact: Contact, last: datetime, policy: Policy, now: datetime, pinned: bool
) -> list[datetime]:
    """The first moment after `now` the contact is dormant (is_dormant only turns true as
    time passes: the silence grows, the tie's life does not), by bisection: is_dormant is the
    one rule, not restated here."""
    high = last + policy.dormant_after + _TICK  # silence over dormant_after: dormant
    if high <= now or is_dormant(contact, last, policy, now, pinned):
        return []
    low = now  # not dormant
    while high - low > _TICK:
        middle = low + (high - low) / 2
        if is_dormant(contact, last, policy, middle, pinned):
            high = middle
        else:
            low = middle
    return [high]
