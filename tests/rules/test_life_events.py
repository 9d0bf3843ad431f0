"""Life events from the owner's own mail (issue 18): dead addresses and job changes, pure."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.rules.factory import ME, OWNER, T0, at, mail, policy, received, sent
from touchbase.rules.contacts import Contact, fold
from touchbase.rules.decide import Circumstances, Decision, Held, Plan, decide
from touchbase.rules.life_events import (
    FAILED,
    MOVED,
    NEW_ROLE,
    UNDELIVERABLE,
    LifeEvent,
    dead_addresses,
    is_failure_notice,
)
from touchbase.rules.people import Identities
from touchbase.rules.types import AUTOMATED, Interaction, Party

OLD, NEW = "jane.doe@acme.example", "jane.doe@globex.example"
JANE = Identities.of(OWNER.me, {OLD: "p1", NEW: "p1"})


def bounce(when: datetime, failed: str, sender: str = "mailer-daemon@mx.example") -> Interaction:
    """A delivery failure as the connectors store it: the failed recipient as a `failed` party."""
    item = mail(
        when, sender, [ME], subject="Undelivered Mail Returned to Sender", flags=[AUTOMATED]
    )
    return item._replace(participants=(*item.participants, Party(failed, FAILED)))


def friendship(address: str, start: datetime, days: int = 400, step: int = 30) -> list[Interaction]:
    """Two-way mail with `address` every `step` days from `start` for `days`."""
    items: list[Interaction] = []
    for day in range(0, days, step):
        items.append(sent(start + timedelta(days=day), address, subject=f"plans {day}"))
        items.append(received(start + timedelta(days=day, hours=2), address, subject="re"))
    return items


def plan(
    items: list[Interaction], now: datetime, who: Identities = OWNER
) -> tuple[dict[str, Contact], Plan]:
    pol = policy()
    contacts = fold(items, who, pol, now)
    return contacts, decide(contacts.values(), pol, now)


def outcome(result: tuple[dict[str, Contact], Plan], person: str) -> Decision | Held | None:
    _contacts, found = result
    for d in found.decisions:
        if d.person == person:
            return d
    for h in found.held:
        if h.person == person:
            return h
    return None


# -- dead addresses --------------------------------------------------------------------------


def test_a_bounce_marks_the_address_undeliverable_and_no_draft_goes_to_it() -> None:
    items = [*friendship(OLD, at(-500)), bounce(at(-10), OLD)]
    contacts, found = plan(items, at(0))
    jane = contacts[OLD]
    assert dict(jane.dead) == {OLD: at(-10)}
    assert any(e.kind == UNDELIVERABLE and e.at == at(-10) for e in jane.events)
    held = outcome((contacts, found), OLD)
    assert isinstance(held, Held) and held.rule == "undeliverable"
    assert "bounced on" in held.reason and "no draft goes to it" in held.reason


def test_the_held_dead_address_names_the_newest_look_alike() -> None:
    items = [*friendship(OLD, at(-500)), bounce(at(-40), OLD)]
    items.append(received(at(-20), NEW, subject="news", names={NEW: "Jane Doe"}))
    contacts, found = plan(items, at(0))
    held = outcome((contacts, found), OLD)
    assert isinstance(held, Held) and held.rule == "undeliverable"
    assert f"touchbase people merge {OLD} {NEW}" in held.reason


def test_mail_from_the_address_after_the_bounce_brings_it_back() -> None:
    items = [*friendship(OLD, at(-500)), bounce(at(-60), OLD), received(at(-50), OLD)]
    contacts, _found = plan(items, at(0))
    assert contacts[OLD].dead == ()


def test_a_merged_person_is_written_at_the_address_that_works() -> None:
    items = [*friendship(OLD, at(-500)), bounce(at(-100), OLD)]
    items.append(sent(at(-400), NEW, subject="hello at home"))
    contacts, found = plan(items, at(0), JANE)
    jane = contacts["p1"]
    assert jane.address == NEW  # they never wrote from it, but the other one is dead
    decision = outcome((contacts, found), "p1")
    assert isinstance(decision, Decision) and decision.address == NEW


def test_an_exchange_notice_written_to_the_failed_address_is_a_bounce() -> None:
    notice = mail(
        at(-5), "exchange.administrator@enron.example", [OLD], subject="Undeliverable: Hi"
    )
    contacts, _found = plan([*friendship(OLD, at(-500)), notice], at(0))
    assert dict(contacts[OLD].dead) == {OLD: at(-5)}
    assert "exchange.administrator@enron.example" not in contacts  # a machine, not a person


def test_failure_notices_by_their_headers() -> None:
    assert is_failure_notice("MAILER-DAEMON@mx.example", "Returned mail: see transcript")
    assert is_failure_notice("postmaster@x.example", "Undeliverable: Lunch")
    assert is_failure_notice(
        "mailer-daemon@googlemail.com", "Delivery Status Notification (Failure)"
    )
    assert not is_failure_notice("postmaster@x.example", "FREE BURGERS")  # spam from postmaster@
    assert not is_failure_notice("jane@x.example", "Undeliverable: Lunch")
    assert not is_failure_notice("mailer-daemon@x.example", "FW: Returned mail: see transcript")


@given(
    st.lists(st.integers(0, 1000), max_size=5),
    st.lists(st.integers(0, 1000), min_size=1, max_size=5),
)
def test_an_address_is_dead_exactly_when_it_bounced_after_its_last_mail(
    wrote: list[int], bounced: list[int]
) -> None:
    wrote_at = {OLD: T0 + timedelta(days=max(wrote))} if wrote else {}
    dead = dead_addresses({OLD: T0 + timedelta(days=max(bounced))}, wrote_at)
    assert (OLD in dead) == (not wrote or max(bounced) > max(wrote))


@given(st.permutations(range(6)))
def test_input_order_never_changes_dead_addresses_or_events(order: list[int]) -> None:
    items = [
        *friendship(OLD, at(-500), days=180, step=60),
        bounce(at(-100), OLD),
        received(at(-90), NEW),
    ]
    shuffled = [items[i] for i in order] + items[6:]
    one = fold(items, JANE, policy(), at(0))["p1"]
    two = fold(shuffled, JANE, policy(), at(0))["p1"]
    assert (one.dead, one.events, one.address) == (two.dead, two.events, two.address)


# -- job changes ------------------------------------------------------------------------------


def moved(now_days: float = 3) -> tuple[list[Interaction], datetime]:
    """Jane writes from acme for a year and a half, then from globex from at(0)."""
    items = friendship(OLD, at(-560), days=540)
    items.append(received(at(0), NEW, subject="my new address"))
    return items, at(now_days)


def test_a_move_to_a_new_domain_is_a_dated_event_and_a_congratulation() -> None:
    items, now = moved()
    contacts, found = plan(items, now, JANE)
    jane = contacts["p1"]
    [event] = [e for e in jane.events if e.kind == MOVED]
    assert event.text == "moved from acme.example to globex.example" and event.at == at(0)
    assert any("from acme.example" in line for line in event.evidence)
    decision = outcome((contacts, found), "p1")
    assert isinstance(decision, Decision) and decision.kind == "congratulate"
    assert decision.address == NEW
    assert decision.occasion is not None and decision.occasion.kind == "new role"
    assert decision.reasons[0].startswith("moved from acme.example to globex.example")
    assert any("first mail from globex.example" in r for r in decision.reasons)
    assert "their mail of 2024-01-08 awaits your reply: congratulate in it" in decision.reasons


def test_after_the_congrats_window_check_ins_go_to_the_new_address() -> None:
    items, _now = moved()
    contacts, found = plan(items, at(200), JANE)
    decision = outcome((contacts, found), "p1")
    assert isinstance(decision, Decision) and decision.kind == "check-in"
    assert decision.address == NEW


def test_no_congratulation_once_the_owner_wrote_since_the_move() -> None:
    items, now = moved()
    items.append(sent(at(1), NEW, subject="welcome to globex"))
    contacts, found = plan(items, now, JANE)
    decision = outcome((contacts, found), "p1")
    assert not (isinstance(decision, Decision) and decision.kind == "congratulate")


def test_a_short_run_or_a_personal_mailbox_is_no_move() -> None:
    short = [*friendship(OLD, at(-60), days=60, step=20), received(at(0), NEW)]
    assert not fold(short, JANE, policy(), at(1))["p1"].events
    home = "jane.doe@gmail.com"
    who = Identities.of(OWNER.me, {OLD: "p1", home: "p1"})
    items = [*friendship(OLD, at(-560), days=540), received(at(0), home)]
    assert not [e for e in fold(items, who, policy(), at(1))["p1"].events if e.kind == MOVED]


def test_a_bounce_makes_even_a_short_run_a_move() -> None:
    items = [*friendship(OLD, at(-60), days=60, step=20), bounce(at(-1), OLD)]
    items.append(received(at(0), NEW))
    events = fold(items, JANE, policy(), at(1))["p1"].events
    [event] = [e for e in events if e.kind == MOVED]
    assert any("bounced" in line for line in event.evidence)


def test_a_one_off_contact_who_moved_is_not_congratulated() -> None:
    items = [received(at(-400), OLD), received(at(-100), OLD), received(at(0), NEW)]
    contacts, found = plan(items, at(2), JANE)
    assert [e.kind for e in contacts["p1"].events] == [MOVED]
    assert outcome((contacts, found), "p1") is None


def test_an_imported_new_role_is_congratulated_within_the_window() -> None:
    role = LifeEvent(NEW_ROLE, at(-2), "moved from Acme to Globex (CTO)", ("LinkedIn export",))
    circumstances = Circumstances(events={OLD: (role,)})
    pol = policy()
    contacts = fold([received(at(-400), OLD)], OWNER, pol, at(0))
    found = decide(contacts.values(), pol, at(0), circumstances)
    [decision] = found.decisions
    assert decision.kind == "congratulate" and "LinkedIn export" in decision.reasons
    late = decide(contacts.values(), pol, at(30), circumstances)
    assert not [d for d in late.decisions if d.kind == "congratulate"]


def test_a_subdomain_of_the_same_organisation_is_no_move() -> None:
    sub = "jane.doe@ect.acme.example"
    who = Identities.of(OWNER.me, {sub: "p1", OLD: "p1"})
    items = [*friendship(sub, at(-560), days=540), received(at(0), OLD)]
    assert not [e for e in fold(items, who, policy(), at(1))["p1"].events if e.kind == MOVED]


def test_a_merge_suggestion_carries_the_evidence_of_a_move() -> None:
    from touchbase.rules.merges import suggest_merges

    items, now = moved()
    named = {OLD: "Jane Doe", NEW: "Jane Doe"}
    items = [
        i._replace(
            participants=tuple(
                p._replace(name=named.get(p.address, p.name)) for p in i.participants
            )
        )
        for i in items
    ]
    pol = policy()
    [offer] = suggest_merges(fold(items, OWNER, pol, now).values(), pol.personal_domains)
    assert offer.reason.endswith(
        f"{OLD} wrote until 2023-11-19, {NEW} since 2024-01-08: moved from acme.example to "
        "globex.example?"
    )
    home = [
        i._replace(
            participants=tuple(
                p._replace(address=p.address.replace("globex.example", "gmail.com"))
                for p in i.participants
            )
        )
        for i in items
    ]
    [offer] = suggest_merges(fold(home, OWNER, pol, now).values(), pol.personal_domains)
    assert "moved" not in offer.reason


def test_an_out_of_office_reply_from_another_organisation_is_a_move() -> None:
    from touchbase.rules.life_events import out_of_office_move

    personal = policy().personal_domains
    found = out_of_office_move([OLD], "jdoe@globex.example", at(-1), at(0), personal)
    assert found is not None and found[0] == OLD and "moved from acme.example" in found[1]
    assert out_of_office_move([OLD], OLD, at(-1), at(0), personal) is None
    assert out_of_office_move([OLD], "jd@mx.acme.example", at(-1), at(0), personal) is None
    assert out_of_office_move([OLD], "jane@gmail.com", at(-1), at(0), personal) is None


def test_an_address_at_the_company_they_left_is_named_from_the_domain_label() -> None:
    from touchbase.rules.life_events import at_left_employer, left_employer

    move = LifeEvent(
        NEW_ROLE,
        at(0),
        "moved from Hooli Inc. to Raviga Capital",
        ("company: Hooli Inc. -> Raviga Capital",),
    )
    only_old = at_left_employer(["frank@mail.hooli.example"], [move])
    assert only_old == "their address is at Hooli Inc., which they left; add their new address"
    assert left_employer([move._replace(evidence=(*move.evidence, only_old))]) == (
        "Hooli Inc.",
        None,
    )
    both = at_left_employer(["frank@hooli.example", "f@gmail.com", "frank@raviga.example"], [move])
    assert both is not None
    assert left_employer([move._replace(evidence=(*move.evidence, both))]) == (
        "Hooli Inc.",
        "frank@raviga.example",
    )
    assert at_left_employer(["frank@gmail.com"], [move]) is None  # a personal address stays
    assert at_left_employer(["frank@hooligans.example"], [move]) is None
