"""Where a contact stands at `now`: strength, tier, cadence (and where it came from), due date."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

from touchbase.rules.contacts import Contact
from touchbase.rules.policy import Policy, Tier

# Strength weights: recency matters most (a relationship is as warm as its last contact),
# then how often, then whether it goes both ways, then whether it spans mail and meetings.
RECENCY, FREQUENCY, RECIPROCITY, CHANNELS = 0.4, 0.3, 0.2, 0.1
RECENCY_HALF_LIFE_DAYS = 180.0  # half the recency credit after six months of silence
FREQUENCY_WINDOW = timedelta(days=365)
FREQUENCY_FULL = 24.0  # twice a month over the last year earns full frequency credit
LEARNED, PERSON, TIER, TIER_MAX = "learned", "person", "tier", "tier-max"


@dataclass(frozen=True, slots=True)
class Standing:
    """A contact assessed at one moment. `due` is None when nothing is owed (never counted,
    or dormant: the last contact is older than `dormant_after`)."""

    strength: float
    tier: str
    cadence: timedelta
    cadence_source: str  # "person", "tier", "learned" or "tier-max" (too little history)
    due: datetime | None
    dormant: bool


def strength(contact: Contact, now: datetime) -> float:
    """0..1 from recency, frequency (weighted counted contacts in the last year), reciprocity
    (sent against received, meetings going both ways) and channel mix (mail and meetings)."""
    if contact.last_contact is None:
        recency = 0.0
    else:
        age = max((now - contact.last_contact).total_seconds() / 86400, 0.0)
        recency = 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)
    start = bisect_right(contact.counted_at, now - FREQUENCY_WINDOW)
    end = bisect_right(contact.counted_at, now)
    weight = sum(contact.counted_weight[start:end])
    frequency = min(1.0, math.log1p(weight) / math.log1p(FREQUENCY_FULL))
    out = contact.sent_count + contact.meeting_count
    back = contact.received_count + contact.meeting_count
    reciprocity = min(out, back) / max(out, back) if out and back else 0.0
    mail = bool(contact.sent_count or contact.received_count)
    channels = (mail + bool(contact.meeting_count)) / 2
    score = RECENCY * recency + FREQUENCY * frequency + RECIPROCITY * reciprocity
    return round(score + CHANNELS * channels, 3)


def tier_for(score: float, policy: Policy) -> Tier:
    """The strongest tier whose threshold the score reaches (policy guarantees one at 0)."""
    return next(t for t in policy.tiers if score >= t.min_strength)


def learned_cadence(contact: Contact, policy: Policy) -> timedelta | None:
    """`learned_factor` x the median gap between contact days, or None with too few gaps."""
    days = sorted({at.date() for at in contact.counted_at})
    gaps = [(b - a).days for a, b in pairwise(days)]
    if len(gaps) < max(policy.learned_min_gaps, 1):
        return None
    return timedelta(days=policy.learned_factor * median(gaps))


def person_cadence(contact: Contact, policy: Policy) -> timedelta | None:
    for key in (contact.person, *contact.addresses):
        found = policy.cadence.get(key)
        if found is not None:
            return found
    return None


def assess(contact: Contact, policy: Policy, now: datetime) -> Standing:
    """Strength, tier and cadence: the person's own setting, else the tier's, else learned
    from their rhythm and clamped to the tier's bounds (the tier's maximum until learnable)."""
    score = strength(contact, now)
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
    last = contact.last_contact
    dormant = last is not None and now - last > policy.dormant_after
    due = None if last is None or dormant else last + cadence
    return Standing(score, tier.name, cadence, source, due, dormant)
