"""Colleagues at the owner's own organisation (issue 11, judgment round 3): the judges discarded
check-ins to four former colleagues whose new addresses were only in mail bodies (the draft
went to a dead work address) and called a check-in to a co-worker the wrong kind. A colleague
still in the owner's mail is a co-worker; one silent while the rest of the organisation kept
writing has probably left. Neither gets a check-in; the hold says why and what to do."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.factory import OWNER, at, policy, received, sent
from touchbase.rules.contacts import Contact, fold
from touchbase.rules.decide import decide
from touchbase.rules.decision import Circumstances, Decision, Held
from touchbase.rules.types import Interaction
from touchbase.rules.workplace import (
    COWORKER,
    LEFT_ORGANISATION,
    Workplace,
    owner_organisations,
    workplace_hold,
)

ANN = "ann.lee@acme.example"  # a colleague at the owner's organisation
OUT = "oscar@other.example"  # someone at another organisation
AT_WORK = Circumstances(owner_domains=frozenset({"acme.example"}))
NOW = at(0)


def _tie(who: str, last: int = -100) -> list[Interaction]:
    """A warm enough, steady tie with `who` that ended `last` days before NOW."""
    items: list[Interaction] = []
    for i in range(6):
        day = last - 15 * i
        items.append(sent(at(day - 1), who, subject=f"plan {i}"))
        items.append(received(at(day), who, subject=f"Re: plan {i}"))
    return items


def _others(domain: str, count: int, day: int) -> list[Interaction]:
    return [
        received(at(day + i * 0.1), f"person{i}@{domain}", subject="numbers") for i in range(count)
    ]


def _outcome(
    items: list[Interaction], who: str, circumstances: Circumstances = AT_WORK, **overrides: object
) -> Decision | Held | None:
    pol = policy(**overrides)
    contacts = fold(items, OWNER, pol, NOW)
    plan = decide(contacts.values(), pol, NOW, circumstances)
    found = [d for d in (*plan.decisions, *plan.held) if d.person == who]
    return found[0] if found else None


def test_a_colleague_silent_while_the_organisation_kept_writing_may_have_left() -> None:
    outcome = _outcome(_tie(ANN) + _others("acme.example", 4, -20), ANN)
    assert isinstance(outcome, Held) and outcome.rule == LEFT_ORGANISATION, outcome
    assert outcome.kind == "check-in"
    assert "may have left Acme" in outcome.reason
    assert f"touchbase people merge {ANN} NEW-ADDRESS" in outcome.reason
    assert "4 other people at acme.example" in outcome.reason


def test_subdomains_are_one_organisation() -> None:
    others = _others("mail.acme.example", 4, -20)
    outcome = _outcome(_tie("ann@hq.acme.example") + others, "ann@hq.acme.example")
    assert isinstance(outcome, Held) and outcome.rule == LEFT_ORGANISATION, outcome


def test_too_few_others_or_a_quiet_organisation_say_nothing() -> None:
    few = _outcome(_tie(ANN) + _others("acme.example", 2, -20), ANN)
    assert isinstance(few, Decision) and few.kind == "check-in", few
    # Everyone there went quiet with her (the owner left, an old mailbox): no sign she left.
    before = _outcome(_tie(ANN) + _others("acme.example", 6, -150), ANN)
    assert isinstance(before, Decision), before
    # Others who wrote within the quiet window after her silence do not count yet.
    soon = _outcome(_tie(ANN) + _others("acme.example", 6, -85), ANN)
    assert isinstance(soon, Decision), soon


def test_another_organisation_or_a_personal_mailbox_is_no_workplace() -> None:
    other = _outcome(_tie(OUT) + _others("other.example", 6, -20), OUT)
    assert isinstance(other, Decision), other
    gmail = Circumstances(owner_domains=frozenset({"gmail.com"}))
    friend = "pal@gmail.com"
    outcome = _outcome(_tie(friend) + _others("gmail.com", 6, -20), friend, gmail)
    assert isinstance(outcome, Decision), outcome
    assert owner_organisations({"gmail.com", "Mail.Acme.Example"}, frozenset({"gmail.com"})) == {
        "acme.example"
    }


def test_the_hold_is_a_policy_key() -> None:
    items = _tie(ANN) + _others("acme.example", 4, -20)
    assert isinstance(_outcome(items, ANN, left_organisation_colleagues=0), Decision)
    longer = _outcome(items, ANN, left_organisation_quiet="90d")
    assert isinstance(longer, Decision), longer  # nobody wrote 90 days after her silence


def test_a_colleague_still_in_the_mail_is_a_co_worker() -> None:
    # Her tie's rhythm ran out (a check-in is due) but she was in the owner's mail within the
    # window: she is still there, someone he works alongside, not a lapsed tie.
    outcome = _outcome(_tie(ANN, last=-60), ANN, left_organisation_quiet="120d")
    assert isinstance(outcome, Held) and outcome.rule == COWORKER, outcome
    assert "a colleague at Acme: still in your mail there" in outcome.reason
    # The same at another organisation: the check-in stands.
    other = _outcome(_tie(OUT, last=-60), OUT, left_organisation_quiet="120d")
    assert isinstance(other, Decision), other


_ZONE = ZoneInfo("UTC")


@settings(max_examples=120, deadline=None)
@given(
    seen=st.integers(-400, -1),
    others=st.lists(st.integers(-400, 0), max_size=12),
    quiet=st.integers(1, 120),
    needed=st.integers(0, 5),
)
def test_the_hold_follows_its_definition(
    seen: int, others: list[int], quiet: int, needed: int
) -> None:
    """Left exactly when at least `needed` others at the organisation wrote later than her
    last mail plus the quiet window, she is silent at least that long, and the rule is on; a
    co-worker exactly when she was in the mail within the window."""
    pol = policy()
    base = fold([received(at(-500), ANN)], OWNER, pol, NOW)[ANN]
    ann = replace(base, last_seen=at(seen), last_received=at(seen), last_sent=None)
    ann = replace(ann, last_contact=at(seen))
    people: list[Contact] = [ann]
    for i, day in enumerate(others):
        person = f"p{i}@acme.example"
        people.append(replace(base, person=person, address=person, last_received=at(day)))
    orgs = owner_organisations({"acme.example"}, pol.personal_domains)
    place = Workplace.of(people, orgs)
    window = timedelta(days=quiet)
    held = workplace_hold(ann, place, orgs, quiet=window, colleagues=needed, now=NOW, zone=_ZONE)
    later = sum(1 for day in others if at(day) > at(seen) + window)
    if needed == 0:
        assert held is None
    elif NOW - at(seen) < window:
        assert held is not None and held[0] == COWORKER
    elif later >= needed:
        assert held is not None and held[0] == LEFT_ORGANISATION
        assert f"{later} other people" in held[1]
    else:
        assert held is None
