"""What counted is kept as summaries (issue 16: every counted time was a million datetimes to
fold, store and read back at 1M interactions): the rules that read counted times give what
they gave on every time, whatever order the fold meets them in (a meeting counts at its end,
so a later-starting message's time can come before it, and a bad export's end before start)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from statistics import median

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.factory import OWNER, at, mail, meeting, policy, sent
from touchbase.rules.contacts import Contact, fold
from touchbase.rules.contacts_acc import LAPSE_FLOOR, Acc
from touchbase.rules.policy import Policy
from touchbase.rules.standing import is_dormant, learned_cadence, strength

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-11)), timezone(timedelta(hours=13))])
ANN = "ann@example.com"
BASE = fold([sent(at(days=1), ANN, ident=1)], OWNER, policy(), at(days=2))[ANN]
ITEM = mail(at(), "me@example.com", [ANN], ident=1)


def counted(times: list[datetime], weights: list[float] | None = None) -> Contact:
    """BASE with these counted times, met in this order, as the fold keeps them."""
    acc = Acc(ANN, False)
    for n, when in enumerate(times):
        weight = 1.0 if weights is None else weights[n]
        acc.count(ITEM, "sent", when, weight, when.toordinal())  # (the fold finds the day once)
    frozen = acc.freeze(Contact, {})
    return replace(
        BASE,
        last_contact=frozen.last_contact,
        counted=frozen.counted,
        weight=frozen.weight,
        first_counted=frozen.first_counted,
        tie_start=frozen.tie_start,
        day_gaps=frozen.day_gaps,
    )


# The rules as they read every counted time (oldest first) before the summaries.


def learned_as_it_was(times: list[datetime], pol: Policy) -> timedelta | None:
    days = sorted({x.toordinal() for x in times})
    gaps = [b - a for a, b in pairwise(days)]
    if len(gaps) < max(pol.learned_min_gaps, 1):
        return None
    return timedelta(days=pol.learned_factor * median(gaps))


def dormant_as_it_was(
    times: list[datetime], last: datetime, pol: Policy, now: datetime, pinned: bool
) -> bool:
    silence = now - last
    if silence > pol.dormant_after:
        return True
    if pinned:
        return False
    if silence <= LAPSE_FLOOR:
        return False
    start = last
    for when in reversed(sorted(times)):
        if when > start:
            continue
        if start - when > LAPSE_FLOOR:
            break
        start = when
        if last - start >= silence:
            return False
    return silence > last - start


def span_as_it_was(times: list[datetime]) -> float:
    ordered = sorted(times)
    return (ordered[-1] - ordered[0]).days / 30.44 if ordered else 0.0


# Times in clusters a year or so apart, so runs split and join around LAPSE_FLOOR.
OFFSETS = st.integers(0, 6 * 365 * 24).map(lambda h: timedelta(hours=h))
NEAR_FLOOR = st.sampled_from([LAPSE_FLOOR, LAPSE_FLOOR + timedelta(microseconds=1)])


@st.composite
def time_lists(draw: st.DrawFn) -> list[datetime]:
    start = draw(st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2030, 1, 1)))
    start = start.replace(tzinfo=draw(ZONES))
    times = [start + draw(OFFSETS) for _ in range(draw(st.integers(0, 25)))]
    # Exactly LAPSE_FLOOR apart (a run goes on) and a microsecond more (it breaks).
    for _ in range(draw(st.integers(0, 3))):
        if times:
            times.append(draw(st.sampled_from(times)) + draw(NEAR_FLOOR))
    return times


@settings(max_examples=400, deadline=None)
@given(time_lists(), st.randoms(use_true_random=False), st.integers(0, 6), st.floats(0.25, 4))
def test_the_summaries_read_as_every_time_did(
    times: list[datetime], rnd: object, min_gaps: int, factor: float
) -> None:
    shuffled = list(times)
    if rnd.random() < 0.5:  # type: ignore[attr-defined]
        shuffled.sort()  # the fold's usual order, with a few meeting ends late
        for _ in range(len(shuffled) // 5):
            i = rnd.randrange(len(shuffled))  # type: ignore[attr-defined]
            shuffled.append(shuffled.pop(i))
    else:
        rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    contact = counted(shuffled)
    pol = replace(policy(), learned_min_gaps=min_gaps, learned_factor=factor)
    assert contact.counted == len(times)
    assert contact.first_counted == (min(times) if times else None)
    assert contact.last_contact == (max(times) if times else None)
    assert learned_cadence(contact, pol) == learned_as_it_was(times, pol)
    if not times:
        return
    assert contact.last_contact is not None and contact.first_counted is not None
    assert (contact.last_contact - contact.first_counted).days / 30.44 == span_as_it_was(times)
    last = max(times)
    for silence_days in (0, 200, 366, 400, 700, 1500, 4000):
        now = last + timedelta(days=silence_days, hours=rnd.randrange(24))  # type: ignore[attr-defined]
        for pinned in (False, True):
            assert is_dormant(contact, last, pol, now, pinned) == dormant_as_it_was(
                times, last, pol, now, pinned
            ), (sorted(times), now, pinned)


@given(st.lists(st.sampled_from([1.0, 0.5, 0.25]), max_size=20))
def test_weights_are_summed(weights: list[float]) -> None:
    times = [at(days=n) for n in range(len(weights))]
    contact = counted(times, weights)
    assert contact.weight == sum(weights)


def test_a_meeting_ending_after_later_mail_is_counted_in_its_place() -> None:
    """A three-day offsite ends after mail sent during it: the fold meets its end late."""
    items = [
        meeting(at(0), ANN, hours=72),
        sent(at(1), ANN),
        sent(at(300), ANN),
    ]
    contact = fold(items, OWNER, policy(), at(400))[ANN]
    times = [at(0, hours=72), at(1), at(300)]
    assert contact.counted == 3
    assert contact.first_counted == at(1)
    assert contact.tie_start == at(1)  # 297 days from the offsite's end: one run
    assert contact.day_gaps == ((2, 1), (297, 1))
    assert learned_cadence(contact, policy()) == learned_as_it_was(times, policy())


def test_strength_spans_the_first_to_the_last_counted_time() -> None:
    contact = fold([sent(at(0), ANN), sent(at(365), ANN)], OWNER, policy(), at(400))[ANN]
    older = fold([sent(at(300), ANN), sent(at(365), ANN)], OWNER, policy(), at(400))[ANN]
    assert contact.first_counted == at(0)
    assert strength(contact) > strength(older)
