"""The adapter from the rules' decisions (rules/decide.py `Decision`) to DraftRequests.

Kept apart so that drafting depends on the small DraftRequest, not on the rules' internals. The
thread's References and the provider's message id are read from the store by the interaction id.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest, LastConversation
from touchbase.agent.pipeline.models import Account, InteractionRow, PersonAddress
from touchbase.rules.decide import Decision


def request_from_decision(session: Session, decision: Decision) -> DraftRequest:
    """One DraftRequest from one rules Decision; a follow-up's thread (References, the
    provider's message id) is read from the store by the interaction id."""
    kind = DraftKind(decision.kind)
    address = decision.address.lower()
    person_id = session.scalar(
        select(PersonAddress.person_id).where(PersonAddress.address == address)
    )
    last = LastConversation()
    reply = decision.reply_to
    if reply is not None:
        row = session.get(InteractionRow, reply.interaction_id)
        account: str | None = reply.account
        if row is not None and not account:
            account = session.scalar(select(Account.name).where(Account.id == row.account_id))
        last = LastConversation(
            subject=reply.subject or (row.subject if row else None),
            at=reply.at or (row.occurred_at if row else None),
            message_id=reply.message_id or (row.message_id if row else None),
            references=tuple((row.references or "").split()) if row else (),
            thread_id=reply.thread_id or (row.thread_id if row else None),
            source_id=row.source_id if row else None,
            account=account,
        )
    topic, meeting, occasion = decision.topic, decision.meeting, decision.occasion
    return DraftRequest(
        kind=kind,
        addresses=(address,),
        name=decision.name,
        name_guessed=decision.name_guessed,
        person_id=person_id,
        reasons=decision.reasons,
        due=decision.due,
        last=last,
        topic=topic.text if topic else None,
        topic_at=topic.at if topic else None,
        last_contact=decision.last_contact,
        tier=decision.tier,
        suggest_call=decision.suggest_call,
        meeting_title=meeting.subject if meeting else None,
        meeting_at=meeting.ended_at if meeting else None,
        occasion=occasion.kind.replace("-", " ") if occasion else None,
        occasion_years=occasion.years if occasion else None,
        occasion_where=occasion.where if occasion else "",
        register=decision.register,
        topic_kind=topic.kind if topic else "thread",
        moved_from=former_organisation(session, decision)
        if topic and topic.kind == "moved"
        else "",
    )


def former_organisation(session: Session, decision: Decision) -> str:
    """The organisation a person who moved has left, as a person names it ("Enron"), from the
    domain of an address of theirs at another organisation than the one written to; "" when
    none says it (a personal mailbox provider is no organisation one leaves)."""
    from touchbase.rules.life_events import organisation, organisation_label

    new = decision.address.rpartition("@")[2].lower()
    if decision.person.startswith("p") and decision.person[1:].isdigit():
        addresses = session.scalars(
            select(PersonAddress.address).where(PersonAddress.person_id == int(decision.person[1:]))
        ).all()
    else:
        addresses = [decision.person]  # a person the database does not hold: keyed by address
    personal = shipped_personal_domains()
    for address in sorted(addresses):
        old = address.rpartition("@")[2].lower()
        if "@" not in address or old in personal or organisation(old) in personal:
            continue
        if organisation(old) != organisation(new) and organisation_label(old):
            return organisation_label(old)
    return ""


@cache
def shipped_personal_domains() -> frozenset[str]:
    """The shipped policy's personal mailbox providers (hotmail.com, ...)."""
    from touchbase.rules.policy import load_policy

    return load_policy().personal_domains


def requests_from_decisions(session: Session, decisions: Iterable[Decision]) -> list[DraftRequest]:
    """One request per decision, in the decisions' order."""
    return [request_from_decision(session, d) for d in decisions]
