"""Decisions: ordered named rules, first match wins, each with reasons a person can read.

For each contact the drafting rules (rules/kinds.py) are tried in order (thank-you, follow-up,
congratulate, reply, check-in); the first that matches proposes a draft. Holds then keep a proposal
back (not a person, never-draft, an open draft, a recent rejection, snoozed, a reply the owner
owes them, an out-of-office reply, a meeting already scheduled, another address of theirs in
recent touch), and pacing caps what is left (per run, and per day counted from the owner's
local midnight). Before anything, the safety valve: an account that had history and now has
none stops the whole plan.

The plan is final (DESIGN.md "plan, then act"): the step that acts renders exactly
`Plan.decisions`, in their order, and decides nothing again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

from touchbase.rules.addresses import domain_of, is_writable
from touchbase.rules.contacts import Contact
from touchbase.rules.dates import show_day
from touchbase.rules.decision import (
    LEFT,
    Circumstances,
    Decision,
    Held,
    Occasion,
    Plan,
    ReplyTo,
    Topic,
)
from touchbase.rules.kinds import (
    CHECK_IN,
    CONGRATULATE,
    FOLLOW_UP,
    INTRODUCE,
    INTRODUCE_ASK,
    NUDGES,
    REPLY,
    RULES,
    THANK_YOU,
    Case,
    Found,
    ReplyMatch,
    Rule,
    check_in,
    check_in_due,
    judge_reply,
    match_reply,
    reply_found,
    rules_to_try,
)
from touchbase.rules.life_events import (
    MOVED,
    left_employer,
    left_employer_words,
    names_organisation,
    organisation_label,
)
from touchbase.rules.merges import Sighting, name_key, namesakes, sighted_twins, twins_of
from touchbase.rules.owner import surname_of
from touchbase.rules.policy import Policy
from touchbase.rules.standing import (
    NEAR_DAILY,
    PINNED,
    WARM,
    WORK_TIE,
    Standing,
    assess,
    is_due,
)
from touchbase.rules.topics import usable_topic
from touchbase.rules.workplace import Workplace, owner_organisations, workplace_hold

_PIECES = re.compile(r"[._-]+")
# Whether an address can be written to, asked of each person a plan proposes for at every
# plan (two regular expressions per address): the same few thousand addresses each time in a
# long-lived process (issue 16).
_writable = lru_cache(maxsize=1 << 15)(is_writable)


def _keyed(table: Mapping[str, datetime] | frozenset[str], contact: Contact) -> list[str]:
    """The keys of `table` that name this contact: its person key or any of its addresses."""
    if not table:  # the usual case: no open or rejected draft at all
        return []
    return [k for k in (contact.person, *contact.addresses) if k in table]


def _hold(
    case: Case,
    kind: str,
    twins: Sequence[Contact],
    family: str | None = None,
    reply_why: str | None = None,
) -> tuple[str, str] | None:
    """The first hold that applies to a proposal of `kind`: (rule name, reason). `family`: the
    owner's surname (surname_of, once per plan); `reply_why`: the reply rule's sentence when it
    was tried for this case already (judge_reply), else it is judged here."""
    contact, policy, now, zone = case.contact, case.policy, case.now, case.zone
    circumstances = case.circumstances
    if contact.excluded is not None:
        return "not-a-person", f"{contact.address} is not a person ({contact.excluded})"
    if not _writable(contact.address):
        return (
            "no-valid-address",
            f"{contact.address} is not an address a draft can go to; merge it with one that is: "
            f"touchbase people merge {contact.address} ADDRESS",
        )
    dead = dict(contact.dead).get(contact.address) if contact.dead else None
    if dead is not None:  # every address of theirs bounced (else the fold chose a live one)
        newer = sorted(
            (t for t in twins if not t.dead and t.last_contact is not None),
            key=lambda t: (t.last_contact, t.person),
            reverse=True,
        )
        hint = (
            f"; their newest other address looks like {newer[0].address}: "
            f"touchbase people merge {contact.address} {newer[0].address}"
            if newer
            else "; no other address of theirs is known"
        )
        return (
            "undeliverable",
            f"mail to {contact.address} bounced on {show_day(dead, zone)}; no draft goes to "
            f"it{hint}",
        )
    if policy.never_draft and policy.never_draft & {contact.person, *contact.addresses}:
        return "never-draft", "set to never draft"
    events = circumstances.events.get(contact.person)  # imported moves: for a few at most
    left = left_employer(events) if events else None
    if left is not None and left[1] is None:
        return (
            "left-employer",
            f"{left_employer_words(left[0])}: touchbase people merge {contact.address} NEW-ADDRESS",
        )
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
    owed = case.standing.reply_owed
    if kind == CHECK_IN and owed is not None:
        why = reply_why if reply_why is not None else judge_reply(case)
        unsent = f"; {why}" if isinstance(why, str) else ""
        return (
            "reply-owed",
            f"they wrote to you on {show_day(owed, zone)}; your reply is owed{unsent}",
        )
    ooo = contact.last_auto_reply
    if kind in NUDGES and ooo is not None and now < ooo + policy.out_of_office_pause:
        return "out-of-office", f"out-of-office reply on {show_day(ooo, zone)}"
    if kind == CHECK_IN and contact.next_meeting_end is not None:
        return "meeting-scheduled", "a meeting with them is already scheduled"
    if family is None:
        family = surname_of(circumstances.owner_name) or ""
    if (
        kind in NUDGES
        and family
        and case.standing.relationship != PINNED
        and _shares(contact, family)
    ):
        return (
            "family-name",
            f"they share your surname ({family.capitalize()}): family, or an address of yours; "
            f"`touchbase person {contact.address} --set cadence=DAYS` if check-ins are wanted",
        )
    if kind in NUDGES and contact.last_contact is not None:
        for twin in twins:
            last = twin.last_contact
            if dict(twin.dead).get(twin.address) is not None:
                continue  # mail to it bounced since they last wrote: not in touch there (H7)
            # Their exchange there is itself a cadence old: the tie lapsed at that address
            # too, and the check-in goes there (evaluate's sightings, _due_elsewhere).
            lapsed = last is not None and now - last >= case.standing.cadence
            if last is not None and last > contact.last_contact and not lapsed:
                return (
                    "other-address",
                    f"{twin.address} looks like them and was in touch on {show_day(last, zone)}"
                    f"; merge them with `touchbase people merge {contact.address} "
                    f"{twin.address}` if so",
                )
    return None


def _shares(contact: Contact, surname: str) -> bool:
    """The surname in their name or in one of their mailbox names (separators aside)."""
    words = contact.name.lower().replace("-", " ").split()
    if surname in words:
        return True
    return any(surname in "".join(_PIECES.split(a.rpartition("@")[0])) for a in contact.addresses)


def _topic(
    contact: Contact,
    kind: str,
    policy: Policy,
    now: datetime,
    found_subject: str | None,
    standing: Standing | None = None,
    moved: tuple[Sighting, str] | None = None,
    elsewhere: tuple[Sighting, datetime] | None = None,
) -> Topic | None:
    """A conversation the draft may name: the thread it follows up, the meeting it thanks for,
    else their last conversation just with the owner, when its subject reads as a topic. A
    check-in names no work subject (blind judges scored every one quoted stale, raw or
    sensitive): only where they moved to, or for a warm tie the latest shared occasion."""
    if kind == CHECK_IN:
        if moved is not None:
            seen = moved[0]
            return Topic(organisation_label(domain_of(seen.address)), seen.first_seen, MOVED)
        if elsewhere is not None:  # written to at their newer address: life after the old place
            left = organisation_label(domain_of(contact.address))
            if left:
                return Topic(left, elsewhere[1], LEFT)
        if (
            standing is not None
            and standing.register == WARM
            and contact.social_subject
            and contact.social_at is not None
            and now - contact.social_at <= policy.social_topic_within
        ):
            return Topic(contact.social_subject, contact.social_at, "social")
        return None
    if kind in (FOLLOW_UP, THANK_YOU, REPLY):
        at = contact.awaiting.last_at if kind == FOLLOW_UP and contact.awaiting else None
        if kind == REPLY:
            at = contact.last_direct_in
        if kind == THANK_YOU and contact.last_meeting is not None:
            at = contact.last_meeting.ended_at
        text = usable_topic(found_subject, policy.sensitive_topics)
        return Topic(text, at) if text and at else None
    if contact.topic_subject and contact.topic_at is not None:
        text = usable_topic(contact.topic_subject, policy.sensitive_topics)
        return Topic(text, contact.topic_at) if text else None
    return None


def _address(case: Case) -> str:
    """The address they use now, unless it is at a company an imported move says they left and
    another address of theirs is stored (rules/life_events.py left_employer): then that one."""
    contact = case.contact
    events = case.circumstances.events.get(contact.person)
    left = left_employer(events) if events else None
    if left is not None and left[1] and names_organisation(domain_of(contact.address), left[0]):
        return left[1]
    return contact.address


def _suggest_call(contact: Contact, standing: Standing, policy: Policy) -> bool:
    """A call fits a tie where you have talked before (policy `offer_call`)."""
    if policy.offer_call == "always":
        return True
    return policy.offer_call == "met" and contact.small_meetings > 0


class _Proposal(NamedTuple):
    """A rule's match that no hold keeps back, with what ordering and pacing read; `build`
    words it as the Decision (reasons, topic: done only for the drafts pacing lets through)."""

    person: str
    kind: str
    due: datetime
    strength: float
    last_contact: datetime | None
    address: str
    case: Case
    matched: Found | ReplyMatch | None  # None: a check-in, worded when built
    seen: list[tuple[Sighting, str]]
    moved: tuple[Sighting, str] | None
    elsewhere: tuple[Sighting, datetime] | None
    newer: Sighting | None

    def build(self) -> Decision:
        """The Decision, worded."""
        case, kind, matched, seen = self.case, self.kind, self.matched, self.seen
        moved, elsewhere, newer = self.moved, self.elsewhere, self.newer
        contact, policy, now, standing = case.contact, case.policy, case.now, case.standing
        if isinstance(matched, ReplyMatch):
            found = reply_found(case, matched)
        elif matched is not None:
            found = matched
        else:
            checked = check_in(case)
            assert checked is not None  # check_in_due matched at the same case
            found = checked
        reasons = found.reasons
        if kind == CHECK_IN:
            reasons = (
                *reasons,
                *_elsewhere_words(case, elsewhere),
                *_tie_words(standing, newer if _personal(newer, policy) else None),
                *_lifted_words(standing, moved, newer, policy),
                *_moved_words(case, moved),
                *_unverified_words(case, seen),
            )
        subject = (
            found.reply_to.subject
            if found.reply_to
            else found.meeting.subject
            if found.meeting
            else None
        )
        return Decision(
            person=contact.person,
            address=self.address,
            name=contact.name,
            kind=kind,
            due=found.due,
            reasons=reasons,
            strength=standing.strength,
            reply_to=found.reply_to,
            topic=_topic(contact, kind, policy, now, subject, standing, moved, elsewhere),
            name_guessed=contact.name_guessed,
            tier=standing.tier,
            last_contact=self.last_contact,
            meeting=found.meeting,
            occasion=found.occasion,
            suggest_call=_suggest_call(contact, standing, policy),
            register=WARM if kind == CHECK_IN and _personal(newer, policy) else standing.register,
        )


def evaluate(
    contact: Contact,
    policy: Policy,
    now: datetime,
    circumstances: Circumstances,
    twins: Sequence[Contact] = (),
    named: Sequence[Sighting] = (),
    standing: Standing | None = None,
    workplace: Workplace | None = None,
) -> Decision | Held | None:
    """One person: the first matching rule's decision, a hold, or None (nothing due).
    `twins`: other people who look like this one (another address of theirs, perhaps);
    `named`: people with their name, as sightings (rules/merges.py namesakes);
    `standing`: `assess(contact, policy, now)` when the caller has it already;
    `workplace`: who at the owner's organisation wrote when (rules/workplace.py)."""
    if standing is None:
        standing = assess(contact, policy, now)
    orgs = owner_organisations(circumstances.owner_domains, policy.personal_domains)
    family = surname_of(circumstances.owner_name) or ""
    outcome = _judge(
        contact, policy, now, circumstances, twins, named, standing, workplace, orgs, family
    )
    return outcome.build() if isinstance(outcome, _Proposal) else outcome


def _judge(
    contact: Contact,
    policy: Policy,
    now: datetime,
    circumstances: Circumstances,
    twins: Sequence[Contact],
    named: Sequence[Sighting],
    standing: Standing,
    workplace: Workplace | None,
    workplace_orgs: frozenset[str],
    family: str,
    rules: Sequence[tuple[str, Rule]] = RULES,
) -> _Proposal | Held | None:
    """evaluate's work, the Decision left to build: the rules in order, the holds, and for a
    check-in the addresses that look like theirs (which hold it or say where it goes).
    `rules`: those of RULES that may match (kinds.rules_to_try); the others would not."""
    case = Case(contact, standing, policy, now, policy.zone, circumstances, tuple(twins))
    reply_why: str | None = None
    for kind, rule in rules:
        found: Found | ReplyMatch | None
        if kind == REPLY:  # its match, worded (reply_found) only when built
            judged = match_reply(case)
            if not isinstance(judged, ReplyMatch):
                reply_why = judged
                continue
            found, due = judged, judged.due
        elif kind == CHECK_IN:  # worded (check_in) only when built
            checked = check_in_due(case)
            if checked is None:
                continue
            found, due = None, checked
        else:
            found = rule(case)
            if found is None:
                continue
            due = found.due
        held = _hold(case, kind, twins, family, reply_why)
        if held is not None:
            return Held(contact.person, kind, held[0], held[1], due)
        moved = None
        elsewhere: tuple[Sighting, datetime] | None = None
        newer: Sighting | None = None  # the address a check-in goes to, when not this one
        seen: list[tuple[Sighting, str]] = []
        if kind == CHECK_IN:
            found_seen = (*circumstances.sightings.get(contact.person, ()), *named)
            seen = sighted_twins(contact, found_seen)
            held, moved = _seen_elsewhere(case, seen)
            elsewhere = _due_elsewhere(case, held, seen)
            if elsewhere is not None:  # in touch at a newer address, but a cadence ago
                held = None
            newer = moved[0] if moved is not None else elsewhere[0] if elsewhere else None
            if (
                held is None
                and standing.quiet is not None
                and not _moved_on(standing.quiet[0], moved, newer, policy)
            ):
                held = standing.quiet
            if held is None and moved is None and elsewhere is None and workplace is not None:
                held = workplace_hold(
                    contact,
                    workplace,
                    workplace_orgs,
                    quiet=policy.left_organisation_quiet,
                    colleagues=policy.left_organisation_colleagues,
                    now=now,
                    zone=case.zone,
                )
            if held is not None:
                return Held(contact.person, kind, held[0], held[1], due)
        address = (
            moved[0].address
            if moved is not None
            else elsewhere[0].address
            if elsewhere is not None
            else _address(case)
        )
        last_contact = elsewhere[1] if elsewhere is not None else contact.last_contact
        strength = standing.strength
        return _Proposal(
            contact.person, kind, due, strength, last_contact, address,
            case, found, seen, moved, elsewhere, newer,
        )  # fmt: skip
    return None


def _personal(newer: Sighting | None, policy: Policy) -> bool:
    """Their newer address is a personal mailbox (policy personal_domains): the tie went on
    outside work, which makes it a warm one."""
    return newer is not None and domain_of(newer.address) in policy.personal_domains


def _moved_on(
    quiet: str, moved: tuple[Sighting, str] | None, newer: Sighting | None, policy: Policy
) -> bool:
    """A quiet rule that their move explains away (rules/standing.py quiet): a work tie who
    moved is still owed one (where they went is the news), and so is one whose newer address
    is a personal mailbox (the tie went on outside work) or who wrote to you from the new place
    and was written back (the tie outlived the job: germany-c's Victor Lamadrid, 107 days of
    work mail, then news from UBS answered); a near-daily tie that stopped because they left (a
    newer address after the stop) did not stop because you talk another way now (germany-c: a
    colleague mailed daily until his last day, then written to at his hotmail)."""
    if newer is None:
        return False
    if quiet == WORK_TIE:
        both_ways = newer.wrote is not None and newer.written is not None
        return moved is not None or _personal(newer, policy) or both_ways
    return quiet == NEAR_DAILY


def _seen_elsewhere(
    case: Case, seen: list[tuple[Sighting, str]]
) -> tuple[tuple[str, str] | None, tuple[Sighting, str] | None]:
    """An address in the headers that looks like theirs (rules/merges.py sighted_as): mail
    between the owner and it since their last contact holds the check-in (no false "it has
    been a while"); one first seen after their old address went quiet is the address they
    use now (they moved). Returns (a hold, the move)."""
    contact, zone = case.contact, case.zone
    last = contact.last_contact
    if last is None or not seen:
        return None, None
    for sighting, why in seen:
        touch = sighting.in_touch
        if touch is not None and touch > last:
            return (
                "other-address",
                f"{sighting.address} looks like them ({why}) and was in touch on "
                f"{show_day(touch, zone)}; merge them with `touchbase people merge "
                f"{contact.address} {sighting.address}` if so",
            ), None
    quiet = max(t for t in (last, contact.last_received) if t is not None)
    for sighting, why in seen:
        if sighting.first_seen > quiet and _verified(sighting):
            return None, (sighting, why)
    return None, None


def _due_elsewhere(
    case: Case, held: tuple[str, str] | None, seen: list[tuple[Sighting, str]]
) -> tuple[Sighting, datetime] | None:
    """(their newer address, its last exchange with the owner) when the only hold is mail
    between the owner and that address since their last contact, and that mail is itself a
    cadence old: they moved, the owner wrote there, and the tie has lapsed again, so the
    check-in goes to that address and counts time from that exchange (germany-c: a colleague
    who left in November, written to at his new firm in March, due again by July)."""
    last = case.contact.last_contact
    if held is None or held[0] != "other-address" or last is None:
        return None
    for sighting, _why in seen:
        touch = sighting.in_touch
        if touch is not None and touch > last:
            if case.now - touch < case.standing.cadence or not _verified(sighting):
                return None  # in touch there lately (the hold stands), or a dead address
            return sighting, touch
    return None


def _elsewhere_words(case: Case, elsewhere: tuple[Sighting, datetime] | None) -> tuple[str, ...]:
    if elsewhere is None:
        return ()
    sighting, touch = elsewhere
    contact = case.contact
    return (
        f"{sighting.address} looks like their newer address and was last in touch on "
        f"{show_day(touch, case.zone)}, a cadence ago: the draft goes there",
        f"to merge them: touchbase people merge {contact.address} {sighting.address}",
    )


def _verified(sighting: Sighting) -> bool:
    """An address is someone's newer one only when they wrote from it, or the owner wrote to
    it and it did not bounce (agent/pipeline/sightings.py leaves `written` unset then). One
    seen only in a third party's headers is at most a merge suggestion (QA, task H7)."""
    return sighting.wrote is not None or sighting.written is not None


def _unverified_words(case: Case, seen: list[tuple[Sighting, str]]) -> tuple[str, ...]:
    """The newest address that looks like theirs but only others' mail shows: a suggestion."""
    contact = case.contact
    for sighting, why in seen:
        if not _verified(sighting):
            return (
                f"{sighting.address} looks like them ({why}) but only others' mail shows it "
                f"(they never wrote from it, you never wrote to it): the draft stays at "
                f"{contact.address}; merge them with `touchbase people merge "
                f"{contact.address} {sighting.address}` if it is theirs",
            )
    return ()


def _tie_words(standing: Standing, personal: Sighting | None = None) -> tuple[str, ...]:
    if personal is not None and standing.register != WARM:
        return (f"a warm tie: it went on at their personal address {personal.address}",)
    if not standing.warmth:
        return (f"a {standing.register} tie: only working mail",) if standing.register else ()
    return (f"a {standing.register} tie: " + "; ".join(standing.warmth),)


def _lifted_words(
    standing: Standing, moved: tuple[Sighting, str] | None, newer: Sighting | None, policy: Policy
) -> tuple[str, ...]:
    quiet = standing.quiet
    if quiet is None or not _moved_on(quiet[0], moved, newer, policy):
        return ()
    if quiet[0] == NEAR_DAILY:
        return (f"not held as near-daily ({quiet[1]}): they moved on to a newer address since",)
    if moved is None and newer is not None and not _personal(newer, policy):
        return (
            f"not held as a work tie: they wrote to you from {newer.address} and you wrote "
            "back, so the tie outlived the job",
        )
    return ()


def _moved_words(case: Case, moved: tuple[Sighting, str] | None) -> tuple[str, ...]:
    if moved is None:
        return ()
    sighting, why = moved
    zone, contact = case.zone, case.contact
    quiet = show_day(contact.last_contact, zone) if contact.last_contact else "ever"
    return (
        f"{contact.address} has been quiet since {quiet}; "
        f"{sighting.address} ({why}) is in the headers since "
        f"{show_day(sighting.first_seen, zone)}: the draft goes there",
        f"to merge them: touchbase people merge {contact.address} {sighting.address}",
    )


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
    standings: Mapping[str, Standing] | None = None,
) -> Plan:
    """The plan at `now`: deterministic for the same arguments, whatever the input order.

    `standings`: person key -> `assess(contact, policy, now)` for these same contacts, policy
    and now, when the caller computed them already (an evaluation does, for every view):
    assessing everyone again was 24 of 28 s of a cProfiled decide at 10,000 people. A person
    missing from it is assessed here."""
    circumstances = circumstances or Circumstances()
    stopped = safety_valve(circumstances)
    if stopped is not None:
        return Plan((), (), stopped)
    people = sorted(contacts, key=attrgetter("person"))
    twins = twins_of((c for c in people if c.excluded is None), circumstances.kept_apart)
    names = namesakes(c for c in people if c.excluded is None)
    orgs = owner_organisations(circumstances.owner_domains, policy.personal_domains)
    workplace = Workplace.of(people, orgs) if orgs else None
    family = surname_of(circumstances.owner_name) or ""
    proposals: list[_Proposal] = []
    held: list[Held] = []
    for contact in people:
        standing = standings.get(contact.person) if standings is not None else None
        if standing is None:
            standing = assess(contact, policy, now)
        rules = rules_to_try(contact, standing, now, policy, circumstances)
        if not rules:
            continue  # no rule can match: neither a decision nor a hold
        key = name_key(contact.name) if contact.name else None
        same = names.get(key, ()) if key else ()
        outcome = _judge(
            contact,
            policy,
            now,
            circumstances,
            twins.get(contact.person, ()),
            same,
            standing,
            workplace,
            orgs,
            family,
            rules,
        )
        if isinstance(outcome, _Proposal):
            proposals.append(outcome)
        elif isinstance(outcome, Held):
            held.append(outcome)
    order = {kind: i for i, (kind, _rule) in enumerate(RULES)}
    # Rule order first (a thank-you cannot wait, a check-in can), then the stronger and
    # fresher relationship, then the longest overdue.
    proposals.sort(
        key=lambda p: (order[p.kind], -_priority(p.strength, p.last_contact, now), p.due, p.person)
    )
    proposals = _one_per_address(proposals, held)
    room_today = max(policy.max_drafts_per_day - circumstances.drafts_today, 0)
    room = min(policy.max_drafts_per_run, room_today)
    for late in proposals[room:]:
        rule = (
            "max-drafts-per-day" if room_today < policy.max_drafts_per_run else "max-drafts-per-run"
        )
        held.append(
            Held(late.person, late.kind, rule, f"{rule} reached; waits for a later run", late.due)
        )
    held.sort(key=attrgetter("person", "kind"))
    return Plan(tuple(p.build() for p in proposals[:room]), tuple(held), None)


def _one_per_address(proposals: list[_Proposal], held: list[Held]) -> list[_Proposal]:
    """The first proposal per address (a check-in sent to someone's newer address may meet a
    proposal for the person that address is on its own); the others are held."""
    kept: list[_Proposal] = []
    taken: set[str] = set()
    for decision in proposals:
        address = decision.address.lower()
        if address in taken:
            held.append(
                Held(
                    decision.person,
                    decision.kind,
                    "same-address",
                    f"another draft in this plan goes to {decision.address} already",
                    decision.due,
                )
            )
            continue
        taken.add(address)
        kept.append(decision)
    return kept


FRESHNESS_HALF_LIFE_DAYS = 365.0


def priority(decision: Decision, now: datetime) -> float:
    """How much a draft is worth now: the relationship's strength, halved for each year since
    you were last in touch (a tie alive last season before one that ended two years ago)."""
    return _priority(decision.strength, decision.last_contact, now)


def _priority(strength: float, last: datetime | None, now: datetime) -> float:
    if last is None:
        return strength
    years = max((now - last).days, 0) / FRESHNESS_HALF_LIFE_DAYS
    return strength * 0.5**years


__all__ = [
    "CHECK_IN",
    "CONGRATULATE",
    "FOLLOW_UP",
    "INTRODUCE",
    "INTRODUCE_ASK",
    "REPLY",
    "THANK_YOU",
    "Circumstances",
    "Decision",
    "Held",
    "Occasion",
    "Plan",
    "ReplyTo",
    "Topic",
    "decide",
    "evaluate",
    "is_due",
    "safety_valve",
]
