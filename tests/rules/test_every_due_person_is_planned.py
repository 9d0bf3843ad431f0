"""Nobody due is dropped silently (issue 11, QA round 5): every person `people --due` calls due
(rules/decide.py is_due) is in the plan, as a decision or as a hold naming its rule with a
sentence saying why. QA saw a person whose newer address is an initial+surname form the owner
wrote to (jane.doe@oldco2.test -> jdoe@newco2.test) listed "due now" with nothing in `plan`.

Generated mailboxes mix ties, other addresses of theirs (same name, initial+surname, same
mailbox name at another company), third parties' mail naming them, sightings, meetings,
social threads, open drafts, snoozes, rejections and tight pacing."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.rules.factory import ME, OWNER, at, mail, meeting, policy
from touchbase.rules.contacts import fold
from touchbase.rules.decide import Circumstances, decide, is_due
from touchbase.rules.merges import Sighting
from touchbase.rules.standing import assess
from touchbase.rules.types import Interaction

# (address, display name): old and new addresses of the same people, and strangers.
PEOPLE = (
    ("jane.doe@oldco2.test", "Jane Doe"),
    ("jdoe@newco2.test", "Jane Doe"),
    ("jdoe@newco2.test", ""),
    ("j.doe@oldco2.test", ""),
    ("mark.breese@enron.test", "Mark Breese"),
    ("mark.breese@mirant.test", "Mark Breese"),
    ("mbreese@mirant.test", ""),
    ("mike@smallco.test", "Mike"),
    ("mike@bigcorp.test", "Michael Zhang"),
    ("sales@acme.test", "Sales Desk"),
    ("tom.third@t.test", "Tom Third"),
    ("olivia.owner@home.test", "Olivia Owner"),  # shares the owner's surname
)
SUBJECTS = (
    "Plan",
    "Re: Plan",
    "Lunch next week?",
    "Steve's Happy Hour",
    "Welcome aboard",
    "Invoice 2231",
    "Congrats on the new role",
    None,
)
THIRD = "tom.third@t.test"


@st.composite
def mailboxes(draw: st.DrawFn) -> tuple[list[Interaction], Circumstances, int, int]:
    items: list[Interaction] = []
    for _ in range(draw(st.integers(1, 40))):
        address, name = draw(st.sampled_from(PEOPLE))
        day = draw(st.integers(-400, 0))
        subject = draw(st.sampled_from(SUBJECTS))
        shape = draw(st.sampled_from(("sent", "received", "cc", "third", "group", "meeting")))
        names = {address: name, ME: "Olivia Owner", THIRD: "Tom Third"}
        if shape == "sent":
            items.append(mail(at(day), ME, [address], subject=subject, names=names))
        elif shape == "received":
            items.append(mail(at(day), address, [ME], subject=subject, names=names))
        elif shape == "cc":  # a third party's mail to the owner naming them
            items.append(mail(at(day), THIRD, [ME], [address], subject=subject, names=names))
        elif shape == "third":  # the owner not on it at all
            items.append(mail(at(day), THIRD, [address], subject=subject, names=names))
        elif shape == "group":
            other, _ = draw(st.sampled_from(PEOPLE))
            items.append(mail(at(day), ME, [address, other], subject=subject, names=names))
        else:
            items.append(meeting(at(day), address, subject=subject))
    addresses = sorted({a for a, _ in PEOPLE})
    when = st.integers(-400, 0).map(lambda d: at(d))
    sightings: dict[str, tuple[Sighting, ...]] = {}
    for key in draw(st.lists(st.sampled_from(addresses), max_size=4, unique=True)):
        seen = []
        for address, name in draw(st.lists(st.sampled_from(PEOPLE), max_size=3)):
            first = draw(when)
            seen.append(
                Sighting(
                    address,
                    name,
                    first,
                    first + timedelta(days=draw(st.integers(0, 60))),
                    draw(st.none() | when),
                    draw(st.none() | when),
                )
            )
        sightings[key] = tuple(seen)
    marked = st.lists(st.sampled_from(addresses), max_size=3)
    circumstances = Circumstances(
        open_drafts=frozenset(draw(marked)),
        snoozed={a: at(draw(st.integers(-30, 30))) for a in draw(marked)},
        rejected={a: at(draw(st.integers(-60, 0))) for a in draw(marked)},
        drafts_today=draw(st.integers(0, 3)),
        owner_name="Olivia Owner",
        sightings=sightings,
    )
    return items, circumstances, draw(st.integers(1, 10)), draw(st.integers(0, 120))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mailbox=mailboxes(), ties=st.sampled_from(("any", "warm")), given_standings=st.booleans())
def test_every_due_person_is_a_decision_or_a_hold_with_a_rule_and_a_sentence(
    mailbox: tuple[list[Interaction], Circumstances, int, int],
    ties: str,
    given_standings: bool,
) -> None:
    items, circumstances, per_run, later = mailbox
    pol = policy(checkin_ties=ties, max_drafts_per_run=per_run, max_drafts_per_day=per_run + 1)
    now = at(later)
    contacts = fold(items, OWNER, pol, now)
    standings = {k: assess(c, pol, now) for k, c in contacts.items() if c.excluded is None}
    given = standings if given_standings else None
    plan = decide(contacts.values(), pol, now, circumstances, given)
    assert plan.stopped is None
    decided = {d.person for d in plan.decisions}
    held = {h.person: h for h in plan.held}
    for key, standing in standings.items():
        if is_due(standing, now):
            event("a person due")
            assert key in decided or key in held, (key, standing)
    for h in plan.held:
        assert h.rule and h.reason.strip(), h
    assert not decided & set(held), "a person both decided and held"
