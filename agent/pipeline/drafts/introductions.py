"""Introductions as drafts (issue 20): the ask to A, then, once A answers, the introduction.

The rules (rules/introductions.py) decide: whether a pair may be introduced, which pairs to
suggest, whether a message answers the ask. This module gathers what they read from the store
and writes what they decide: the Introduction row and its drafts, each in one transaction
with the row's new state, so a kill leaves either both or neither (the second draft is made
once: the row moves to `accepted` in the transaction that makes it).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.contact_state import current
from touchbase.agent.pipeline.drafts.introduction_ties import ties
from touchbase.agent.pipeline.drafts.lifecycle import (
    PENDING,
    REJECTED,
    SENT,
    format_recipient,
)
from touchbase.agent.pipeline.evaluation import (
    _collector_paused,
    contacts_at,
    identities,
    policy_for,
)
from touchbase.agent.pipeline.history import iter_interactions
from touchbase.agent.pipeline.identity import ensure_person
from touchbase.agent.pipeline.models import (
    Account,
    Draft,
    InteractionRow,
    Introduction,
    Person,
    PersonAddress,
)
from touchbase.rules import introductions as rules
from touchbase.rules.addresses import domain_of, normalise
from touchbase.rules.contacts import Contact
from touchbase.rules.life_events import organisation
from touchbase.rules.policy import Policy
from touchbase.rules.standing import assess
from touchbase.rules.types import Interaction

# The compose package (the email package, the words and the renderer behind it) is imported by
# the two functions that write a draft: `person` lists a person's introductions with none of it
# (issue 16).
if TYPE_CHECKING:
    from touchbase.agent.pipeline.compose.render import Drafter


@dataclass(frozen=True)
class Known:
    """Everyone as introductions see them, at one moment."""

    policy: Policy
    contacts: dict[str, rules.Side]  # by person key
    by_address: dict[str, str]  # address -> person key
    raw: dict[str, Contact]  # the excluded ones too only when `touching` was given


def _companies(session: Session) -> dict[str, str]:
    """address -> the company a contacts export gave its person."""
    rows = session.execute(
        select(PersonAddress.address, Person.company)
        .join(Person, Person.id == PersonAddress.person_id)
        .where(Person.company.is_not(None), Person.company != "")
    )
    return {a: c for a, c in rows if c}


def known(
    session: Session,
    config: Config,
    me: Collection[str],
    at: datetime,
    touching: Collection[str] | None = None,
) -> Known:
    if touching is None:
        # Everyone: from the persisted contact state brought up to date (contact_state.py),
        # the contacts a from-scratch fold gives less the excluded ones, which no caller of
        # this reads. Folding the whole mailbox again took about half of a suggestion's
        # 85 s at bench/rules.py's 1,000,000 interactions.
        policy = policy_for(config, session)
        contacts, _how = current(session, policy, identities(session, me), at)
    else:
        policy, contacts = contacts_at(session, config, me, at, touching=touching)
    companies = _companies(session)
    sides: dict[str, rules.Side] = {}
    by_address: dict[str, str] = {}
    for key, contact in contacts.items():
        if contact.excluded is not None:
            continue
        standing = assess(contact, policy, at)
        company = next((companies[a] for a in contact.addresses if a in companies), "")
        org = organisation(domain_of(contact.address))
        if not company and org in policy.personal_domains:
            org = ""
        if not company and org:
            company = _label(org)
        sides[key] = rules.Side(
            person=key,
            address=contact.address,
            name=contact.name,
            organisation=company,
            relationship=standing.relationship,
            first_contact=contact.first_contact,
            strength=standing.strength,
        )
        for address in contact.addresses:
            by_address[address] = key
    return Known(policy, sides, by_address, contacts)


def _label(org: str) -> str:
    """An organisation's domain as a person names it: enron.com -> Enron, ibm.com -> IBM."""
    name = org.split(".")[0]
    if not name.isalpha():
        return org
    return name.upper() if len(name) <= 3 else name.capitalize()


def _state(session: Session, a: str, b: str) -> Introduction | None:
    return session.scalar(select(Introduction).where(Introduction.pair == rules.pair_key(a, b)))


def _subjects(
    session: Session, addresses: Collection[str], at: datetime
) -> list[tuple[datetime, str | None]]:
    """The subjects of the owner's threads with these addresses, up to `at`."""
    return [
        (item.occurred_at, item.subject)
        for item in iter_interactions(session, touching=addresses)
        if item.occurred_at <= at
    ]


def _topics(
    session: Session,
    a_address: str,
    b_addresses: Collection[str],
    at: datetime,
    sensitive: frozenset[str],
) -> tuple[str, ...]:
    """B's recent topics for the drafts, those that relate to the owner's threads with A
    first (rules.introductions.topics)."""
    related = frozenset().union(
        *(rules.keywords(s, sensitive) for _at, s in _subjects(session, [a_address], at))
    )
    return rules.topics(_subjects(session, b_addresses, at), sensitive, at, related)


def start(
    session: Session,
    config: Config,
    me: Collection[str],
    drafter: Drafter,
    a_address: str,
    b_address: str,
    at: datetime,
    note: str = "",
) -> Introduction:
    """The ask to A as a pending draft, and the pair's row moved to `asked`; refused with the
    rules' reason (a UserError) when the pair cannot be introduced. The caller commits."""
    from touchbase.agent.pipeline.compose.message import new_message_id, valid_address
    from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest, Introducing

    try:
        a_raw, b_raw = valid_address(normalise(a_address)), valid_address(normalise(b_address))
    except Exception as exc:
        raise UserError(f"not an email address: {exc}") from None
    seen = known(session, config, me, at, touching=[a_raw, b_raw])
    a_key, b_key = seen.by_address.get(a_raw), seen.by_address.get(b_raw)
    a = seen.contacts.get(a_key) if a_key else None
    b = seen.contacts.get(b_key) if b_key else None
    row = _state(session, a_raw, b_raw)
    why = rules.refusal(a_raw, b_raw, a, b, me, row.state if row else None)
    if why is not None:
        raise UserError(f"no introduction: {why}")
    assert a is not None and b is not None and b_key is not None
    sender = next(iter(drafter.me.addresses), "") or next(iter(me), "")
    if not sender:
        raise UserError("no address of yours to write from", advice="set [me] addresses")
    b_contact = seen.raw[b_key]
    topics = _topics(session, a.address, b_contact.addresses, at, seen.policy.sensitive_topics)
    reasons = rules.ask_reasons(
        a, b, b_contact.first_contact, topics, note.strip(), seen.policy.zone
    )
    if row is not None and row.reasons:
        reasons = (*reasons, *json.loads(row.reasons))  # a suggestion's own reasons
    request = DraftRequest(
        kind=DraftKind.INTRODUCE_ASK,
        addresses=(a.address,),
        name=a.name,
        reasons=reasons,
        due=at,
        introducing=Introducing(
            name=b.name,
            addresses=b_contact.addresses,
            organisation=b.organisation,
            known_since=b_contact.first_contact,
            topics=topics,
            note=note.strip(),
        ),
    )
    person = ensure_person(session, a.address, at, source="draft")
    rendered = drafter.render(request, at)
    draft = Draft(
        person_id=person.id,
        kind=DraftKind.INTRODUCE_ASK.value,
        status=PENDING,
        to_addresses=json.dumps([format_recipient(a.name, a.address)]),
        subject=rendered.subject,
        body=rendered.body,
        reasons=json.dumps(list(reasons)),
        message_id=new_message_id(sender),
        edited=False,
        due_at=at,
        created_at=at,
        updated_at=at,
    )
    session.add(draft)
    session.flush()
    if row is None:
        row = Introduction(
            pair=rules.pair_key(a.address, b.address),
            reasons="[]",
            created_at=at,
        )
        session.add(row)
    row.address_a, row.address_b = a.address, b.address
    row.state, row.note, row.ask_draft_id, row.updated_at = rules.ASKED, note.strip(), draft.id, at
    row.reasons = json.dumps(list(reasons))
    session.flush()
    return row


def advance(
    session: Session, config: Config, me: Collection[str], drafter: Drafter, at: datetime
) -> list[int]:
    """Asked introductions whose ask A answered get their second draft (To A and B, in the
    thread); a rejected ask is declined; a sent introduction is introduced. Returns the ids
    of the drafts made. The caller commits (one transaction: row and draft together)."""
    made: list[int] = []
    rows = session.scalars(
        select(Introduction).where(Introduction.state.in_((rules.ASKED, rules.ACCEPTED)))
    ).all()
    for row in rows:
        if row.state == rules.ACCEPTED:
            intro = session.get(Draft, row.intro_draft_id) if row.intro_draft_id else None
            if intro is not None and intro.status == SENT:
                row.state, row.updated_at = rules.INTRODUCED, at
            continue
        ask = session.get(Draft, row.ask_draft_id) if row.ask_draft_id else None
        if ask is None or ask.status == REJECTED:
            row.state, row.updated_at = rules.DECLINED, at  # the owner decided against it
            continue
        answer = _answer(session, row, ask, at)
        if answer is not None:
            made.append(_introduce(session, config, me, drafter, row, ask, answer, at))
    return made


def _answer(session: Session, row: Introduction, ask: Draft, at: datetime) -> Interaction | None:
    a_addresses = {row.address_a} | set(
        session.scalars(
            select(PersonAddress.address).where(
                PersonAddress.person_id
                == select(PersonAddress.person_id)
                .where(PersonAddress.address == row.address_a)
                .scalar_subquery()
            )
        )
    )
    copies = session.execute(
        select(InteractionRow.thread_id, InteractionRow.message_id).where(
            InteractionRow.message_id.in_(
                [ask.message_id, ask.message_id.strip("<>"), f"<{ask.message_id.strip('<>')}>"]
            )
        )
    ).all()
    ids = {ask.message_id, ask.message_id.strip("<>"), f"<{ask.message_id.strip('<>')}>"}
    threads = {t for t, _m in copies if t}
    messages = [
        m
        for m in iter_interactions(session, touching=a_addresses)
        if ask.created_at < m.occurred_at <= at
    ]
    return rules.answer_in_thread(a_addresses, ask.created_at, ids, threads, ask.subject, messages)


def _introduce(
    session: Session,
    config: Config,
    me: Collection[str],
    drafter: Drafter,
    row: Introduction,
    ask: Draft,
    answer: Interaction,
    at: datetime,
) -> int:
    from touchbase.agent.pipeline.compose.message import new_message_id
    from touchbase.agent.pipeline.compose.request import (
        DraftKind,
        DraftRequest,
        Introducing,
        LastConversation,
    )

    seen = known(session, config, me, at, touching=[row.address_a, row.address_b])
    a = seen.contacts.get(seen.by_address.get(row.address_a, ""))
    b = seen.contacts.get(seen.by_address.get(row.address_b, ""))
    a_name, b_name = (a.name if a else ""), (b.name if b else "")
    b_contact = seen.raw.get(b.person) if b else None
    topics = _topics(session, row.address_a, [row.address_b], at, seen.policy.sensitive_topics)
    stored = session.get(InteractionRow, answer.id)
    account = session.scalar(select(Account.id).where(Account.name == answer.account))
    references = tuple((stored.references or "").split()) if stored else answer.references
    request = DraftRequest(
        kind=DraftKind.INTRODUCE,
        addresses=(row.address_a, row.address_b),
        name=a_name,
        reasons=(),
        due=at,
        last=LastConversation(subject=ask.subject, at=answer.occurred_at),
        introducing=Introducing(
            name=b_name,
            addresses=(row.address_b,),
            organisation=b.organisation if b else "",
            known_since=b_contact.first_contact if b_contact else None,
            topics=topics,
            note=row.note or "",
        ),
    )
    rendered = drafter.render(request, at)
    sender = next(iter(drafter.me.addresses), "") or next(iter(me), "")
    who_a = a_name or row.address_a
    reasons = (
        f"{who_a} answered your introduction ask on {answer.occurred_at.date().isoformat()}",
        f"this introduces {b_name or row.address_b} to {who_a}, To both, in that thread",
        *json.loads(row.reasons or "[]"),
    )
    subject = ask.subject if ask.subject.lower().startswith("re:") else f"Re: {ask.subject}"
    message_id = answer.message_id
    person = ensure_person(session, row.address_a, at, source="draft")
    draft = Draft(
        person_id=person.id,
        account_id=account,
        kind=DraftKind.INTRODUCE.value,
        status=PENDING,
        to_addresses=json.dumps(
            [format_recipient(a_name, row.address_a), format_recipient(b_name, row.address_b)]
        ),
        subject=subject if ask.subject else rendered.subject,
        body=rendered.body,
        reasons=json.dumps(list(reasons)),
        message_id=new_message_id(sender),
        in_reply_to=message_id,
        references=" ".join([*references, message_id or ""]).strip() or None,
        thread_id=answer.thread_id,
        reply_to_source_id=stored.source_id if stored else None,
        edited=False,
        due_at=at,
        created_at=at,
        updated_at=at,
    )
    session.add(draft)
    session.flush()
    row.state, row.intro_draft_id, row.updated_at = rules.ACCEPTED, draft.id, at
    row.reply_message_id = message_id
    return draft.id


# --- suggestions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestions:
    open: list[Introduction]  # suggested rows, newest first (at most rules.SHOWN)
    waiting: list[rules.Candidate]  # candidates the pacing holds back
    pacing: str


def suggest(session: Session, config: Config, me: Collection[str], at: datetime) -> Suggestions:
    """The candidates at `at`; at most one becomes a new `suggested` row per the policy's
    `introduce_every`. The caller commits."""
    # The cycle collector off while every interaction passes: the sets gathered per thread
    # and person (about 600,000 threads at 1M) make no cycles, but their allocations set off
    # full collections that walk all of them, 23-25 -> 15 s CPU of a suggestion at 1M.
    with _collector_paused():
        return _suggest(session, config, me, at)


def _suggest(session: Session, config: Config, me: Collection[str], at: datetime) -> Suggestions:
    seen = known(session, config, me, at)
    found_ties = ties(session, seen, me, at)
    closed = frozenset(
        session.scalars(select(Introduction.pair).where(Introduction.state != rules.SUGGESTED))
    )
    open_rows = list(
        session.scalars(
            select(Introduction)
            .where(Introduction.state == rules.SUGGESTED)
            .order_by(Introduction.created_at.desc(), Introduction.id.desc())
        )
    )
    shown = {r.pair for r in open_rows}
    found = [
        c
        for c in rules.candidates(
            list(seen.contacts.values()),
            found_ties.words,
            found_ties.mentions,
            found_ties.together,
            closed,
        )
        if rules.pair_key(c.a.address, c.b.address) not in shown
    ]
    last = session.scalar(
        select(Introduction.created_at).order_by(Introduction.created_at.desc()).limit(1)
    )
    pacing = rules.pace(last, at, seen.policy)
    if pacing.room and found and len(open_rows) < rules.SHOWN:
        best = found.pop(0)
        row = Introduction(
            pair=rules.pair_key(best.a.address, best.b.address),
            address_a=best.a.address,
            address_b=best.b.address,
            state=rules.SUGGESTED,
            reasons=json.dumps(list(best.reasons)),
            created_at=at,
            updated_at=at,
        )
        session.add(row)
        session.flush()
        open_rows.insert(0, row)
        pacing = rules.pace(at, at, seen.policy)  # as it stands now that one was made
    return Suggestions(open_rows[: rules.SHOWN], found[: rules.SHOWN], pacing.reason)


def open_suggestions(session: Session) -> list[Introduction]:
    """The suggestions waiting for the owner's word, newest first (a few): no evaluation."""
    return list(
        session.scalars(
            select(Introduction)
            .where(Introduction.state == rules.SUGGESTED)
            .order_by(Introduction.created_at.desc(), Introduction.id.desc())
            .limit(rules.SHOWN)
        )
    )


def suggestion_due(session: Session, config: Config, at: datetime) -> bool:
    """Whether the pacing has room for a new suggestion at `at` (cheap: one query)."""
    last = session.scalar(
        select(Introduction.created_at).order_by(Introduction.created_at.desc()).limit(1)
    )
    return rules.pace(last, at, policy_for(config)).room > 0


def dismiss(session: Session, introduction_id: int, at: datetime) -> Introduction:
    row = session.get(Introduction, introduction_id)
    if row is None or row.state != rules.SUGGESTED:
        raise UserError(f"no open introduction suggestion {introduction_id}")
    row.state, row.updated_at = rules.DISMISSED, at
    return row


def suggestion(session: Session, introduction_id: int) -> Introduction:
    row = session.get(Introduction, introduction_id)
    if row is None or row.state != rules.SUGGESTED:
        raise UserError(f"no open introduction suggestion {introduction_id}")
    return row


def pairs_for(session: Session, addresses: Iterable[str]) -> list[Introduction]:
    """Introductions with one of these addresses on either side."""
    wanted = list(addresses)
    return list(
        session.scalars(
            select(Introduction).where(
                Introduction.address_a.in_(wanted) | Introduction.address_b.in_(wanted)
            )
        )
    )
