"""decide() takes shortcuts at 10,000 people (issue 16): it skips people no rule can match
(rules/kinds.py may_match), words only the drafts pacing lets through, and judges the reply rule
once per person. None of it may change a decision or a hold: the plan must equal the one built
person by person with the public, eager `evaluate`, ordered and paced as decide documents.

Mailboxes come from test_every_due_person_is_planned (ties, other addresses of theirs, third
parties' mail, sightings, open drafts, snoozes, rejections, tight pacing), with owed mail for
everyone a reply is owed (subjects that ask, refuse, repeat), known dates, imported moves and an
owner organisation added here."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rules.factory import OWNER, at, policy
from tests.rules.test_every_due_person_is_planned import mailboxes
from touchbase.rules.contacts import Contact, fold
from touchbase.rules.dates import KnownDate
from touchbase.rules.decide import Circumstances, Decision, Held, Plan, decide, evaluate, priority
from touchbase.rules.decision import OwedMail
from touchbase.rules.kinds import RULES, Case, judge_reply, may_match, rules_to_try
from touchbase.rules.life_events import NEW_ROLE, LifeEvent
from touchbase.rules.merges import name_key, namesakes, twins_of
from touchbase.rules.policy import Policy
from touchbase.rules.standing import Standing, assess
from touchbase.rules.types import Interaction
from touchbase.rules.workplace import Workplace, owner_organisations

OWED_SUBJECTS = (
    "Lunch next week?",
    "Budget for Q3",
    "Re: Budget for Q3",
    "FYI: minutes",
    "Fw: the plan",
    "thanks!",
    "Muni Bond Proposal.xls",
    "funeral arrangements",
    "Steve's Happy Hour",
    "",
    None,
)


@st.composite
def situations(
    draw: st.DrawFn,
) -> tuple[dict[str, Contact], dict[str, Standing], Policy, Circumstances]:
    items: list[Interaction]
    items, circumstances, per_run, later = draw(mailboxes())
    pol = policy(
        checkin_ties=draw(st.sampled_from(("any", "warm"))),
        max_drafts_per_run=per_run,
        max_drafts_per_day=per_run + draw(st.integers(0, 2)),
        reply_after=draw(st.integers(0, 3)),
    )
    now = at(later)
    contacts = fold(items, OWNER, pol, now)
    standings = {k: assess(c, pol, now) for k, c in contacts.items()}
    keys = sorted(contacts)
    owed: dict[str, OwedMail] = {}
    for key in keys:
        standing = standings[key]
        if standing.reply_owed is None or not draw(st.integers(0, 4)):
            continue  # some owed mail is not found in the store
        owed[key] = OwedMail(
            interaction_id=len(owed) + 1,
            at=standing.reply_owed,
            subject=draw(st.sampled_from(OWED_SUBJECTS)),
            message_id=None,
            thread_id=None,
            account="mail",
            to_owner=draw(st.booleans()),
            others=draw(st.integers(0, 4)),
            copied_owner=draw(st.booleans()),
            answers_owner=draw(st.booleans()),
            handled=draw(st.none() | st.just(standing.reply_owed + timedelta(days=1))),
        )
    picked = st.lists(st.sampled_from(keys), max_size=3, unique=True) if keys else st.just([])
    known = {
        k: (KnownDate("birthday", now.month, min(now.day + draw(st.integers(0, 20)), 28)),)
        for k in draw(picked)
    }
    events = {
        k: (LifeEvent(NEW_ROLE, now - timedelta(days=draw(st.integers(0, 40))), "a new role"),)
        for k in draw(picked)
    }
    domains = draw(st.sampled_from((frozenset(), frozenset({"oldco2.test", "example.com"}))))
    circumstances = Circumstances(
        open_drafts=circumstances.open_drafts,
        snoozed=circumstances.snoozed,
        rejected=circumstances.rejected,
        drafts_today=circumstances.drafts_today,
        owner_name=circumstances.owner_name,
        sightings=circumstances.sightings,
        owed=owed,
        known_dates=known,
        events=events,
        owner_domains=domains,
    )
    return contacts, standings, pol, circumstances


def person_by_person(
    contacts: dict[str, Contact], pol: Policy, now: datetime, circumstances: Circumstances
) -> Plan:
    """decide's documented plan from `evaluate` for each person: rule order, priority, due,
    person; one draft per address; pacing per run and per day."""
    people = sorted(contacts.values(), key=lambda c: c.person)
    live = [c for c in people if c.excluded is None]
    twins = twins_of(live, circumstances.kept_apart)
    names = namesakes(live)
    orgs = owner_organisations(circumstances.owner_domains, pol.personal_domains)
    workplace = Workplace.of(people, orgs) if orgs else None
    decisions: list[Decision] = []
    held: list[Held] = []
    for c in people:
        key = name_key(c.name) if c.name else None
        outcome = evaluate(
            c,
            pol,
            now,
            circumstances,
            twins.get(c.person, ()),
            names.get(key, ()) if key else (),
            None,
            workplace,
        )
        if isinstance(outcome, Decision):
            decisions.append(outcome)
        elif isinstance(outcome, Held):
            held.append(outcome)
    order = {kind: i for i, (kind, _rule) in enumerate(RULES)}
    decisions.sort(key=lambda d: (order[d.kind], -priority(d, now), d.due, d.person))
    kept: list[Decision] = []
    taken: set[str] = set()
    for d in decisions:
        if d.address.lower() in taken:
            why = f"another draft in this plan goes to {d.address} already"
            held.append(Held(d.person, d.kind, "same-address", why, d.due))
        else:
            taken.add(d.address.lower())
            kept.append(d)
    room_today = max(pol.max_drafts_per_day - circumstances.drafts_today, 0)
    room = min(pol.max_drafts_per_run, room_today)
    rule = "max-drafts-per-day" if room_today < pol.max_drafts_per_run else "max-drafts-per-run"
    for d in kept[room:]:
        held.append(Held(d.person, d.kind, rule, f"{rule} reached; waits for a later run", d.due))
    held.sort(key=lambda h: (h.person, h.kind))
    return Plan(tuple(kept[:room]), tuple(held), None)


CASES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CASES
@given(situation=situations(), later=st.integers(-3, 60), given_standings=st.booleans())
def test_the_plan_equals_the_one_built_person_by_person(
    situation: tuple[dict[str, Contact], dict[str, Standing], Policy, Circumstances],
    later: int,
    given_standings: bool,
) -> None:
    contacts, standings, pol, circumstances = situation
    now = max((s.reply_owed for s in standings.values() if s.reply_owed), default=at(0))
    now = now + timedelta(days=later)
    standings = {k: assess(c, pol, now) for k, c in contacts.items()}
    expected = person_by_person(contacts, pol, now, circumstances)
    got = decide(contacts.values(), pol, now, circumstances, standings if given_standings else None)
    assert got == expected


@CASES
@given(situation=situations(), later=st.integers(-3, 60))
def test_no_rule_matches_whom_may_match_skips(
    situation: tuple[dict[str, Contact], dict[str, Standing], Policy, Circumstances],
    later: int,
) -> None:
    contacts, _standings, pol, circumstances = situation
    now = at(later)
    twins = twins_of(c for c in contacts.values() if c.excluded is None)
    for key, contact in contacts.items():
        standing = assess(contact, pol, now)
        if may_match(contact, standing, now, pol, circumstances):
            continue
        case = Case(contact, standing, pol, now, pol.zone, circumstances, tuple(twins.get(key, ())))
        assert all(rule(case) is None for _kind, rule in RULES), key


@CASES
@given(situation=situations(), later=st.integers(-3, 60))
def test_no_rule_matches_that_rules_to_try_leaves_out(
    situation: tuple[dict[str, Contact], dict[str, Standing], Policy, Circumstances],
    later: int,
) -> None:
    """kinds.rules_to_try: the rules decide calls for a person, in RULES's order; every rule
    left out finds nothing (the reply rule not even a reason to give)."""
    contacts, _standings, pol, circumstances = situation
    now = at(later)
    twins = twins_of(c for c in contacts.values() if c.excluded is None)
    for key, contact in contacts.items():
        standing = assess(contact, pol, now)
        tried = rules_to_try(contact, standing, now, pol, circumstances)
        assert list(tried) == [r for r in RULES if r in tried]
        case = Case(contact, standing, pol, now, pol.zone, circumstances, tuple(twins.get(key, ())))
        for kind, rule in RULES:
            if (kind, rule) not in tried:
                assert rule(case) is None, (key, kind)
                assert kind != "reply" or judge_reply(case) is None, key
