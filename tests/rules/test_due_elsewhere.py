"""A newer address the owner was in touch with a cadence ago gets the check-in (issue 11): a
colleague left, the owner wrote to them at their new firm once, and months later the tie has
lapsed again. The old hold ("in touch at another address since") kept them from every plan for
ever; now the check-in goes to the newer address and counts time from that exchange, while a
recent exchange there still holds it, and one plan never sends two drafts to one address."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.factory import OWNER, at, policy, received, sent
from touchbase.rules.contacts import fold
from touchbase.rules.decide import decide
from touchbase.rules.decision import Circumstances, Decision, Held
from touchbase.rules.merges import Sighting
from touchbase.rules.types import Interaction

STEVE = "steve.gillespie@oldco.example"
NEW = "steve.gillespie@newco.example"
NOW = at(0)


def _tie(last: int = -200) -> list[Interaction]:
    items: list[Interaction] = []
    for i in range(6):
        day = last - 15 * i
        items.append(sent(at(day - 1), STEVE, subject=f"plan {i}"))
        items.append(received(at(day), STEVE, subject=f"Re: plan {i}"))
    return items


def _plan(touch: int, *, wrote: bool = True, extra: list[Interaction] | None = None):  # type: ignore[no-untyped-def]
    seen = Sighting(
        NEW,
        "Steve Gillespie",
        first_seen=at(touch - 5),
        last_seen=at(touch),
        wrote=at(touch) if wrote else None,
        written=at(touch - 1),
    )
    pol = policy()
    contacts = fold([*_tie(), *(extra or [])], OWNER, pol, NOW)
    return decide(contacts.values(), pol, NOW, Circumstances(sightings={STEVE: (seen,)}))


def _for(plan, person: str = STEVE) -> Decision | Held | None:  # type: ignore[no-untyped-def]
    found = [d for d in (*plan.decisions, *plan.held) if d.person == person]
    return found[0] if found else None


def test_a_newer_address_in_touch_a_cadence_ago_gets_the_check_in() -> None:
    outcome = _for(_plan(-120))
    assert isinstance(outcome, Decision), outcome
    assert outcome.address == NEW and outcome.kind == "check-in"
    assert outcome.last_contact == at(-120)  # the words count from that exchange
    # The move is no news (the owner wrote there): life after the old place is the hook.
    assert outcome.topic is not None and outcome.topic.kind == "left", outcome.topic
    assert outcome.topic.at == at(-120)
    assert any(f"touchbase people merge {STEVE} {NEW}" in r for r in outcome.reasons)


def test_a_recent_exchange_there_still_holds_it() -> None:
    outcome = _for(_plan(-5))
    assert isinstance(outcome, Held) and outcome.rule == "other-address", outcome


def test_one_plan_sends_one_draft_to_an_address() -> None:
    # The newer address is a person of its own with a lapsed tie too: one draft, one hold.
    own = []
    for i in range(6):
        own.append(sent(at(-130 - 15 * i), NEW, subject=f"deal {i}"))
        own.append(received(at(-129 - 15 * i), NEW, subject=f"Re: deal {i}"))
    plan = _plan(-120, extra=own)
    to_new = [d for d in plan.decisions if d.address == NEW]
    assert len(to_new) == 1, plan.decisions


@settings(max_examples=40, deadline=None)
@given(touch=st.integers(-190, -1), own=st.booleans())
def test_the_newer_address_gets_a_draft_or_a_hold_and_never_two(touch: int, own: bool) -> None:
    extra = []
    if own:  # the newer address is a person of its own, with a lapsed tie of its own
        for i in range(4):
            extra.append(sent(at(touch - 20 * i - 1), NEW, subject=f"deal {i}"))
            extra.append(received(at(touch - 20 * i), NEW, subject=f"Re: deal {i}"))
    plan = _plan(touch, extra=extra)
    outcome = _for(plan)
    assert outcome is not None
    if isinstance(outcome, Decision):
        assert outcome.address == NEW and outcome.last_contact == at(touch)
        assert touch <= -30  # a cadence (at least the shortest tier's) since that exchange
    else:
        assert outcome.rule == "other-address", outcome
    addresses = [d.address for d in plan.decisions]
    assert len(addresses) == len(set(addresses)), plan.decisions


ERIC = "eric.boyt@oldco.example"
HOTMAIL = "ericboyt@hotmail.com"


def _near_daily_then_hotmail(touch: int | None) -> list[Decision | Held]:
    """A colleague written to almost daily until his last day (-90), then, when `touch` is
    given, one exchange at his personal address (germany-c's Eric Boyt)."""
    items: list[Interaction] = []
    for day in range(-150, -89):
        items.append(sent(at(day), ERIC, subject=f"deal {day}"))
        if day % 7 == 0:
            items.append(received(at(day) + (at(1) - at(0)) / 4, ERIC, subject=f"Re: deal {day}"))
    circumstances = Circumstances()
    if touch is not None:
        items.append(sent(at(touch - 1), HOTMAIL, subject="Hero"))
        items.append(received(at(touch), HOTMAIL, subject="Re: Hero"))
        seen = Sighting(
            HOTMAIL,
            "",
            first_seen=at(touch - 1),
            last_seen=at(touch),
            wrote=at(touch),
            written=at(touch - 1),
        )
        circumstances = Circumstances(sightings={ERIC: (seen,)})
    pol = policy()
    contacts = fold(items, OWNER, pol, NOW)
    plan = decide(contacts.values(), pol, NOW, circumstances)
    return [d for d in (*plan.decisions, *plan.held) if d.person == ERIC]


def test_a_near_daily_tie_that_stopped_is_held_when_nothing_says_they_left() -> None:
    [outcome] = _near_daily_then_hotmail(None)
    assert isinstance(outcome, Held) and outcome.rule == "near-daily", outcome


def test_a_near_daily_tie_that_moved_to_a_personal_address_gets_a_warm_check_in_there() -> None:
    # They left (a personal address after the daily mail stopped) and that exchange is itself
    # a cadence old: the stop meant they moved on, not that you talk another way.
    [outcome] = _near_daily_then_hotmail(-80)
    assert isinstance(outcome, Decision), outcome
    assert outcome.address == HOTMAIL and outcome.register == "warm"
    assert any("not held as near-daily" in r for r in outcome.reasons), outcome.reasons
    assert any("personal address" in r for r in outcome.reasons), outcome.reasons


def test_a_recent_exchange_at_the_personal_address_still_holds_it() -> None:
    [outcome] = _near_daily_then_hotmail(-3)
    assert isinstance(outcome, Held) and outcome.rule == "other-address", outcome


def _work_tie_moved(*, wrote: bool) -> Decision | Held | None:
    """Steve's work tie (shipped `checkin_ties = "warm"`), then his newer address at another
    firm a cadence ago: written to by the owner, and (`wrote`) writing from it too."""
    seen = Sighting(
        NEW,
        "Steve Gillespie",
        first_seen=at(-125),
        last_seen=at(-120),
        wrote=at(-121) if wrote else None,
        written=at(-120),
    )
    pol = policy(checkin_ties="warm")
    contacts = fold(_tie(), OWNER, pol, NOW)
    plan = decide(contacts.values(), pol, NOW, Circumstances(sightings={STEVE: (seen,)}))
    return _for(plan)


def test_a_work_tie_that_outlived_the_job_gets_a_check_in_at_the_new_firm() -> None:
    outcome = _work_tie_moved(wrote=True)
    assert isinstance(outcome, Decision) and outcome.address == NEW, outcome
    assert any("outlived the job" in r for r in outcome.reasons), outcome.reasons
    assert outcome.register == "work"  # a firm's address: still brief, plain words


def test_a_work_tie_only_written_to_at_the_new_firm_stays_a_work_tie() -> None:
    outcome = _work_tie_moved(wrote=False)
    assert isinstance(outcome, Held) and outcome.rule == "work-tie", outcome
