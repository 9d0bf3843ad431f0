"""Issue 11: who is owed a check-in (the right person, at the right moment), and what the rules
hand the drafts: a warm tie or a work one, and a topic that is only a shared occasion or where
they moved. Each case is named after the policy sentence it checks."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.factory import ME, OWNER, at, mail, policy, received, sent
from touchbase.rules.contacts import fold
from touchbase.rules.decide import Circumstances, Decision, Held, decide, is_due
from touchbase.rules.merges import Sighting
from touchbase.rules.standing import assess
from touchbase.rules.types import Interaction

BOB = "bob.stone@oldco.example"


def work_tie(days: tuple[int, ...] = (-200, -150)) -> list[Interaction]:
    """A relationship by the numbers (two exchanges each way), all about work."""
    items = []
    for day in days:
        items.append(sent(at(day), BOB, subject="CGLF contract k#42789"))
        items.append(received(at(day + 1), BOB, subject="Re: CGLF contract k#42789"))
    return items


def outcome(
    items: list[Interaction],
    now: datetime,
    circumstances: Circumstances | None = None,
    person: str = BOB,
    **overrides: object,
) -> Decision | Held | None:
    pol = policy(**overrides)
    contacts = fold(items, OWNER, pol, now)
    plan = decide(contacts.values(), pol, now, circumstances)
    found: Decision | Held | None = next((d for d in plan.decisions if d.person == person), None)
    return found or next((h for h in plan.held if h.person == person), None)


# -- 11.4: a relationship worth a check-in is warm, not just busy ------------------------------


def test_a_work_only_tie_is_tracked_not_nagged_by_default() -> None:
    held = outcome(work_tie(), at(0), checkin_ties="warm")
    assert isinstance(held, Held) and held.rule == "work-tie"
    assert "checkin_ties" in held.reason
    pol = policy(checkin_ties="warm")
    contact = fold(work_tie(), OWNER, pol, at(0))[BOB]
    assert not is_due(assess(contact, pol, at(0)), at(0))  # not in people --due either


def test_checkin_ties_any_owes_the_work_tie_a_plain_check_in() -> None:
    decision = outcome(work_tie(), at(0), checkin_ties="any")
    assert isinstance(decision, Decision) and decision.kind == "check-in"
    assert decision.register == "work"
    assert decision.topic is None  # never the contract number


def test_a_shared_social_thread_makes_the_tie_warm_and_names_the_occasion() -> None:
    items = [
        *work_tie(),
        sent(at(-120), BOB, "ann@oldco.example", subject="Steve's Happy Hour"),
        received(at(-119), BOB, subject="RE: Steve's Happy Hour"),
    ]
    decision = outcome(items, at(0), checkin_ties="warm")
    assert isinstance(decision, Decision) and decision.kind == "check-in"
    assert decision.register == "warm"
    assert decision.topic is not None
    assert (decision.topic.text, decision.topic.kind) == ("Steve's Happy Hour", "social")
    assert any("warm tie" in r and "Steve's Happy Hour" in r for r in decision.reasons)


def test_an_occasion_older_than_social_topic_within_is_not_named() -> None:
    items = [
        *work_tie(),
        sent(at(-300), BOB, subject="Golf on Saturday"),
        received(at(-299), BOB, subject="Re: Golf on Saturday"),
    ]
    decision = outcome(items, at(100), social_topic_within="180d", checkin_ties="warm")
    assert isinstance(decision, Decision) and decision.register == "warm"
    assert decision.topic is None


def test_an_invitation_they_never_answered_is_not_a_shared_thread() -> None:
    """The owner's lunch invitation to a few people says nothing of the tie until they write
    in it too (a blind judge threw out check-ins to billing contacts of two years before whose
    only "social" sign was one unanswered lunch invitation); one to them alone, or naming
    them, is theirs."""
    items = [*work_tie(), sent(at(-120), BOB, "ann@oldco.example", subject="Lunch")]
    held = outcome(items, at(0), checkin_ties="warm")
    assert isinstance(held, Held) and held.rule == "work-tie"
    answered = [*items, received(at(-119), BOB, subject="RE: Lunch")]  # no In-Reply-To
    decision = outcome(answered, at(0), checkin_ties="warm")
    assert isinstance(decision, Decision) and decision.register == "warm"
    for theirs in (
        sent(at(-120), BOB, subject="Lunch"),  # to them alone
        sent(at(-120), BOB, "ann@oldco.example", subject="Lunch w/ Bob"),  # naming them
    ):
        decision = outcome([*work_tie(), theirs], at(0), checkin_ties="warm")
        assert isinstance(decision, Decision) and decision.register == "warm"


def test_their_social_mail_to_a_group_is_not_shared_but_to_the_owner_alone_is() -> None:
    """Mailboxes often keep only the owner's side (the Enron exports are mostly Sent mail), so
    their social mail to the owner alone counts without an answer in the mailbox; the same
    mail to the owner among a group does not."""
    crowd = [ME, "a@oldco.example", "b@oldco.example", "c@oldco.example"]
    items = [*work_tie(), mail(at(-120), BOB, crowd, subject="Happy hour tonight")]
    held = outcome(items, at(0), checkin_ties="warm")
    assert isinstance(held, Held) and held.rule == "work-tie"
    items = [*work_tie(), received(at(-120), BOB, subject="Happy hour tonight")]
    decision = outcome(items, at(0), checkin_ties="warm")
    assert isinstance(decision, Decision) and decision.register == "warm"


def test_a_personal_mailbox_is_a_warm_sign_without_a_topic() -> None:
    pat = "patquinn@gmail.com"
    items = [
        *[sent(at(d), pat, subject="CGLF contract") for d in (-200, -150)],
        *[received(at(d + 1), pat, subject="Re: CGLF contract") for d in (-200, -150)],
    ]
    decision = outcome(items, at(0), person=pat, checkin_ties="warm")
    assert isinstance(decision, Decision) and decision.kind == "check-in"
    assert decision.register == "warm" and decision.topic is None
    assert any(f"a personal address ({pat})" in r for r in decision.reasons)


def test_a_small_meeting_still_owes_a_check_in_to_a_work_tie() -> None:
    from tests.rules.factory import meeting

    decision = outcome(
        [*work_tie(), meeting(at(-140), BOB, subject="Sync")], at(0), checkin_ties="warm"
    )
    assert isinstance(decision, Decision) and decision.kind == "check-in"


def test_a_check_in_never_names_a_work_subject_a_follow_up_keeps_its_thread() -> None:
    items = [*work_tie(), sent(at(-100), BOB, subject="Bishops Corner draw")]
    decision = outcome(items, at(0), checkin_ties="any")
    assert isinstance(decision, Decision) and decision.kind == "check-in"
    assert decision.topic is None  # the old code named "Bishops Corner draw"
    ask = [*work_tie(), sent(at(-8), BOB, subject="Question on the Bishops Corner draw")]
    follow = outcome(ask, at(0), checkin_ties="any")
    assert isinstance(follow, Decision) and follow.kind == "follow-up"
    assert follow.topic is not None and follow.topic.kind == "thread"


# -- 11.2: a near-daily tie that stops abruptly is not a lapse ---------------------------------


def near_daily(last: int) -> list[Interaction]:
    """Mail both ways on 40 of the 60 days up to `last`, then nothing."""
    items = []
    for day in range(last - 59, last + 1):
        if day % 3 != 0:
            items.append(sent(at(day), BOB, subject="dinner?"))
    items.append(received(at(last - 1), BOB, subject="Re: dinner?"))
    items.append(received(at(last), BOB, subject="Re: dinner?"))
    return items


def test_a_near_daily_tie_that_stops_is_held_with_why() -> None:
    held = outcome(near_daily(-100), at(0), checkin_ties="warm")
    assert isinstance(held, Held) and held.rule == "near-daily"
    assert "of the 60 days before" in held.reason and "talk another way" in held.reason


def test_past_near_daily_horizon_the_silence_is_a_lapse() -> None:
    decision = outcome(near_daily(-100), at(0), near_daily_horizon="90d", checkin_ties="warm")
    assert isinstance(decision, Decision) and decision.kind == "check-in"


def test_a_pinned_person_still_gets_a_check_in_after_a_near_daily_run() -> None:
    decision = outcome(near_daily(-100), at(0), pinned=[BOB], checkin_ties="warm")
    assert isinstance(decision, Decision) and decision.kind == "check-in"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-400, -1), min_size=1, max_size=80, unique=True))
def test_near_daily_days_counts_distinct_days_before_the_last(days: list[int]) -> None:
    """Whatever the order and copies, the count is the distinct exchange days within the window
    before the last one (a property: the fold's sliding window equals a plain count)."""
    items = [sent(at(d, hours=h), BOB) for d in days for h in (0, 1)]
    pol = policy()
    contact = fold(list(reversed(items)), OWNER, pol, at(0))[BOB]
    last = max(days)
    expected = len({d for d in days if last - pol.near_daily_window.days <= d < last})
    assert contact.near_daily_days == expected
    assert contact.near_daily_last == at(last, hours=1)


# -- 11.3: the same circle lately --------------------------------------------------------------


def test_small_group_mail_from_a_third_party_holds_a_check_in() -> None:
    circle = mail(at(-5), "carol@oldco.example", [ME, BOB], subject="Breakfast on Friday")
    held = outcome([*work_tie(), circle], at(0), checkin_ties="any")
    assert isinstance(held, Held) and held.rule == "same-circle"
    assert "the same circle lately" in held.reason


def test_a_broadcast_or_an_old_circle_holds_nothing() -> None:
    crowd = [f"p{i}@oldco.example" for i in range(12)]
    broadcast = mail(at(-5), "carol@oldco.example", [ME, BOB, *crowd], subject="All hands")
    decision = outcome([*work_tie(), broadcast], at(0), checkin_ties="any")
    assert isinstance(decision, Decision) and decision.kind == "check-in"
    old = mail(at(-60), "carol@oldco.example", [ME, BOB], subject="Breakfast on Friday")
    decision = outcome([*work_tie(), old], at(0), checkin_ties="any")
    assert isinstance(decision, Decision) and decision.kind == "check-in"


# -- 11.1: the address they use now ------------------------------------------------------------

NEW = "bob.stone@newco.example"


def seen(address: str, first: int, **kw: object) -> Circumstances:
    sighting = Sighting(address, "", at(first), at(first + 10), **kw)  # type: ignore[arg-type]
    return Circumstances(sightings={BOB: (sighting,)})


def test_an_address_only_others_mail_shows_is_a_merge_suggestion_not_a_move() -> None:
    """QA (task H7): an address seen only in a third party's headers (they never wrote from
    it, the owner never wrote to it) is not where the draft goes; it is offered as a merge."""
    decision = outcome(work_tie(), at(0), seen(NEW, -60), checkin_ties="any")
    assert isinstance(decision, Decision) and decision.kind == "check-in"
    assert decision.address == BOB and decision.topic is None
    assert any(NEW in r and "the same mailbox name" in r for r in decision.reasons)
    assert any(f"touchbase people merge {BOB} {NEW}" in r for r in decision.reasons)
    # Verified (they wrote from it): they are in touch there, so the check-in is held.
    held = outcome(work_tie(), at(0), seen(NEW, -60, wrote=at(-60)), checkin_ties="warm")
    assert isinstance(held, Held) and held.rule == "other-address"


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(-400, -1),
    wrote=st.none() | st.integers(0, 30),
    written=st.none() | st.integers(0, 30),
)
def test_a_draft_goes_to_a_sighted_address_only_when_it_is_verified(
    first: int, wrote: int | None, written: int | None
) -> None:
    """Whatever the sighting, a check-in goes to an address they wrote from or the owner wrote
    to; an unverified one never holds the check-in as "in touch" either."""
    kw = {
        "wrote": None if wrote is None else at(min(first + wrote, -1)),
        "written": None if written is None else at(min(first + written, -1)),
    }
    found = outcome(work_tie(), at(0), seen(NEW, first, **kw), checkin_ties="any")
    verified = wrote is not None or written is not None
    if isinstance(found, Decision):
        assert found.address == BOB or (found.address == NEW and verified)
    elif isinstance(found, Held) and found.rule == "other-address":
        assert verified


def test_contact_through_the_newer_address_counts() -> None:
    held = outcome(work_tie(), at(0), seen(NEW, -60, written=at(-20)), checkin_ties="warm")
    assert isinstance(held, Held) and held.rule == "other-address"
    assert NEW in held.reason


def test_an_initial_and_a_surname_prefix_the_owner_wrote_to_is_theirs() -> None:
    short = "bsto@newco.example"  # b + "sto": too short a part of the surname to say anything
    decision = outcome(work_tie(), at(0), seen(short, -60, written=at(-20)), checkin_ties="warm")
    assert isinstance(decision, Held) and decision.rule == "work-tie"
    gill, new = "steve.gillespie@oldco.example", "sgillesp@newco.example"
    items = [
        *[sent(at(d), gill, subject="VNG deal") for d in (-200, -150)],
        *[received(at(d + 1), gill, subject="Re: VNG deal") for d in (-200, -150)],
    ]
    sighting = Sighting(new, "", at(-40), at(-20), None, at(-20))
    held = outcome(
        items, at(0), Circumstances(sightings={gill: (sighting,)}), gill, checkin_ties="warm"
    )
    assert isinstance(held, Held) and held.rule == "other-address"
    assert "the first 7 letters of gillespie" in held.reason
    # Written to before the old address went quiet: not evidence of a move.
    early = sighting._replace(written=at(-210), first_seen=at(-210))
    held = outcome(
        items, at(0), Circumstances(sightings={gill: (early,)}), gill, checkin_ties="warm"
    )
    assert isinstance(held, Held) and held.rule == "work-tie"


def test_an_address_seen_before_they_went_quiet_is_not_a_move() -> None:
    held = outcome(work_tie(), at(0), seen(NEW, -300), checkin_ties="warm")
    assert isinstance(held, Held) and held.rule == "work-tie"


def test_the_same_organisation_is_no_move() -> None:
    held = outcome(
        work_tie(), at(0), seen("bob.stone@mail.oldco.example", -60), checkin_ties="warm"
    )
    assert isinstance(held, Held) and held.rule == "work-tie"


def test_a_sighting_changes_nothing_for_whom_no_check_in_is_due() -> None:
    assert outcome(work_tie((-20, -10)), at(0), seen(NEW, -5), checkin_ties="warm") is None


def test_the_new_address_as_a_contact_needs_no_sighting_to_hold() -> None:
    """Unchanged from before: a twin among contacts in touch later holds the check-in."""
    items = [*work_tie(), received(at(-30), NEW, subject="hello from the new place")]
    held = outcome(items, at(0), checkin_ties="any")
    assert isinstance(held, Held) and held.rule == "other-address"


def test_holds_never_hide_the_owner_set_cadence() -> None:
    circle = mail(at(-5), "carol@oldco.example", [ME, BOB], subject="Breakfast")
    pol = policy(cadence={BOB: "30d"}, checkin_ties="warm")
    contacts = fold([*work_tie(), circle], OWNER, pol, at(0))
    plan = decide(contacts.values(), pol, at(0))
    assert [d.person for d in plan.decisions] == [BOB]
    assert plan.decisions[0].due <= at(0) - timedelta(days=1)


def test_a_later_address_under_their_own_name_counts_even_when_ours_is_guessed() -> None:
    """bob.stone@ never showed a display name (guessed "Bob Stone"); "Bob Stone" at a personal
    mailbox wrote since: the check-in to the old address is held, with the evidence."""
    later = mail(
        at(-20), "bs_1970@gmail.com", [ME], subject="news", names={"bs_1970@gmail.com": "Bob Stone"}
    )
    held = outcome([*work_tie(), later], at(0), checkin_ties="any")
    assert isinstance(held, Held) and held.rule == "other-address"
    assert 'the same name ("Bob Stone")' in held.reason
    # Someone else's name is no evidence.
    other = later._replace(
        participants=tuple(p._replace(name="Rob Stein") for p in later.participants)
    )
    decision = outcome([*work_tie(), other], at(0), checkin_ties="any")
    assert isinstance(decision, Decision) and decision.kind == "check-in"
