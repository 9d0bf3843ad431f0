"""Storing the plan's decisions as pending drafts: exactly those, in the plan's order.

The rules decide who gets a draft, of which kind and in which order, and pace it all: per run,
per day (from the owner's local midnight), one open draft per person, a pause after a
rejection (rules/decide.py). This module decides nothing again (DESIGN.md "plan, then act").
What it adds is not a decision: the address written to is one valid address; each draft gets
its own Message-ID once, from which the push's idempotency key derives (so a draft is pushed
once whatever happens); a follow-up carries its thread's In-Reply-To and References; the draft
belongs to the account its conversation was seen in; and the person gets a Person row, so the
draft's person_id is set.

One guard remains, and it only bites a stale plan: a person who got an open draft after the
plan was made (another process applied a plan meanwhile) is left alone, since a fresh plan
would hold them (DESIGN.md contract 7, one open draft per person).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline import owner
from touchbase.agent.pipeline.compose.message import (
    InvalidAddress,
    new_message_id,
    valid_address,
    valid_message_id,
)
from touchbase.agent.pipeline.compose.render import Drafter
from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest, LastConversation
from touchbase.agent.pipeline.drafts.lifecycle import OPEN, PENDING, addresses, format_recipient
from touchbase.agent.pipeline.identity import ensure_person
from touchbase.agent.pipeline.models import (
    Account,
    Draft,
    InteractionRow,
    ParticipantRow,
    PersonAddress,
)

log = logging.getLogger(__name__)
STALE = "a draft for them was opened after this plan was made; plan again"
# Kinds that answer in a thread when the rules name one: a follow-up in the owner's own, a
# congratulation in the person's mail that awaits the owner's reply (rules/kinds.py new_role),
# a reply in the person's mail it answers (rules/kinds.py reply).
THREADED = frozenset({DraftKind.FOLLOW_UP, DraftKind.CONGRATULATE, DraftKind.REPLY})


@dataclass
class CreateResult:
    created: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (address, why)


def create_drafts(
    session: Session,
    requests: Iterable[DraftRequest],
    drafter: Drafter,
    now: datetime,
    *,
    default_account_id: int | None = None,
) -> CreateResult:
    """A pending draft for each request, in the order given. The caller commits."""
    result = CreateResult()
    # The configured address first, else one the owner gave (`me add`, `import --me`) or the
    # mail taught: the one list every step uses (agent/pipeline/owner.py), drafts too.
    sender = next(iter(owner.addresses(session, drafter.me.addresses)), "")
    if not sender:
        log.warning("no address of yours is known; drafts cannot be written")
    open_people: set[int] = set()
    open_addresses: set[str] = set()
    used: set[str] = set()  # templates this run used: each draft reads unlike its neighbours
    for draft in session.scalars(select(Draft).where(Draft.status.in_(OPEN))):
        open_addresses.update(addresses(draft))
        if draft.person_id is not None:
            open_people.add(draft.person_id)
    for request in requests:
        raw = request.addresses[0] if request.addresses else ""
        try:
            to = valid_address(raw)
        except InvalidAddress:
            result.skipped.append((raw, "no valid address"))
            continue
        if not sender:
            result.skipped.append(
                (to, "no address of yours to write from: touchbase me add ADDRESS")
            )
            continue
        person = ensure_person(session, to, now, source="draft")
        if person.id in open_people or to in open_addresses:
            result.skipped.append((to, STALE))
            continue
        request = _awaited(session, request, person.id)
        draft = _new_draft(session, request, drafter, now, sender, to, person.id, used)
        draft.account_id = _account_id(session, request) or default_account_id
        session.add(draft)
        session.flush()
        result.created.append(draft.id)
        open_people.add(person.id)
        open_addresses.add(to)
    return result


def _new_draft(
    session: Session,
    request: DraftRequest,
    drafter: Drafter,
    now: datetime,
    sender: str,
    to: str,
    person_id: int,
    used: set[str] | None = None,
) -> Draft:
    sequence = session.scalar(
        select(func.count())
        .select_from(Draft)
        .where(Draft.kind == request.kind.value, Draft.person_id == person_id)
    )
    rendered = drafter.render(request, now, sequence or 0, used or ())
    if used is not None:
        used.add(rendered.template)
    threaded = request.kind in THREADED and valid_message_id(request.last.message_id)
    return Draft(
        person_id=person_id,
        kind=request.kind.value,
        status=PENDING,
        to_addresses=json.dumps([format_recipient(request.name, to)]),
        subject=rendered.subject,
        body=rendered.body,
        reasons=json.dumps(list(request.reasons)),
        message_id=new_message_id(sender),
        in_reply_to=request.last.message_id if threaded else None,
        references=" ".join([*request.last.references, request.last.message_id or ""]).strip()
        if threaded
        else None,
        thread_id=request.last.thread_id if threaded else None,
        reply_to_source_id=request.last.source_id if threaded else None,
        edited=False,
        due_at=request.due,
        created_at=now,
        updated_at=now,
    )


def _account_id(session: Session, request: DraftRequest) -> int | None:
    if not request.last.account:
        return None
    return session.scalar(select(Account.id).where(Account.name == request.last.account))


def _awaited(session: Session, request: DraftRequest, person_id: int) -> DraftRequest:
    """A congratulation whose rule says their mail of `last.at` awaits the owner's reply knows
    only that time (rules/kinds.py AWAITED): the message is their mail from one of their
    addresses at that moment, and the draft answers in its thread."""
    last = request.last
    if request.kind is not DraftKind.CONGRATULATE or last.at is None or last.message_id:
        return request
    theirs = select(PersonAddress.address).where(PersonAddress.person_id == person_id)
    row = session.scalars(
        select(InteractionRow)
        .join(ParticipantRow, ParticipantRow.interaction_id == InteractionRow.id)
        .where(
            InteractionRow.occurred_at == last.at,
            ParticipantRow.role == "from",
            ParticipantRow.address.in_(theirs),
            InteractionRow.message_id.is_not(None),
        )
        .order_by(InteractionRow.id)
        .limit(1)
    ).first()
    if row is None:
        return request
    account = session.scalar(select(Account.name).where(Account.id == row.account_id))
    found = LastConversation(
        subject=row.subject,
        at=row.occurred_at,
        message_id=row.message_id,
        references=tuple((row.references or "").split()),
        thread_id=row.thread_id,
        source_id=row.source_id,
        account=account,
    )
    return replace(request, last=found)
