"""Turning decisions into pending drafts, with the pacing that keeps touchbase from nagging.

The rules decide who is due; this module is the one place that writes drafts for them. Safety
valves that hold whatever the rules say (DESIGN.md contract 7): at most one open draft per
person, at most `max_per_run` new drafts per run and `max_per_day` in any 24 hours, and a person
the owner rejected a draft for is not asked about again for `after_reject`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.compose.message import (
    InvalidAddress,
    new_message_id,
    valid_address,
    valid_message_id,
)
from touchbase.agent.pipeline.compose.render import Drafter
from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest
from touchbase.agent.pipeline.drafts.lifecycle import (
    OPEN,
    PENDING,
    REJECTED,
    addresses,
    format_recipient,
)
from touchbase.agent.pipeline.models import Account, Draft, PersonAddress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pacing:
    """How many drafts may appear, and how soon after a "no"."""

    max_per_run: int = 5
    max_per_day: int | None = 10
    after_reject: timedelta = timedelta(days=14)


@dataclass
class CreateResult:
    created: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (person key, why)


def _key(person_id: int | None, address: str) -> str:
    return f"person:{person_id}" if person_id is not None else f"address:{address.lower()}"


def _draft_keys(draft: Draft) -> set[str]:
    keys = {f"address:{a}" for a in addresses(draft)}
    if draft.person_id is not None:
        keys.add(f"person:{draft.person_id}")
    return keys


def create_drafts(
    session: Session,
    requests: Iterable[DraftRequest],
    drafter: Drafter,
    now: datetime,
    pacing: Pacing = Pacing(),
    *,
    default_account_id: int | None = None,
) -> CreateResult:
    """Pending drafts for `requests` (most urgent first), within the pacing. Caller commits."""
    result = CreateResult()
    sender = next(iter(drafter.me.addresses), "")
    if not sender:
        log.warning("no owner address configured ([me] addresses); drafts cannot be written")
    blocked: set[str] = set()
    for draft in session.scalars(select(Draft).where(Draft.status.in_(OPEN))):
        blocked |= _draft_keys(draft)
    for draft in session.scalars(
        select(Draft).where(Draft.status == REJECTED, Draft.updated_at >= now - pacing.after_reject)
    ):
        blocked |= _draft_keys(draft)
    budget = pacing.max_per_run
    if pacing.max_per_day is not None:
        since = now - timedelta(days=1)
        today = session.scalar(
            select(func.count()).select_from(Draft).where(Draft.created_at > since)
        )
        budget = min(budget, pacing.max_per_day - (today or 0))
    ordered = sorted(requests, key=lambda r: (r.due is None, r.due or now, r.person_key))
    for request in ordered:
        key = request.person_key
        if budget <= 0:
            result.skipped.append((key, "pacing: enough drafts for now"))
            continue
        try:
            to = [valid_address(a) for a in request.addresses[:1]]
        except InvalidAddress:
            result.skipped.append((key, "no valid address"))
            continue
        if not to or not sender:
            result.skipped.append((key, "no address to write to or from"))
            continue
        person_id = request.person_id
        if person_id is None:
            person_id = session.scalar(
                select(PersonAddress.person_id).where(PersonAddress.address == to[0])
            )
        keys = {_key(person_id, to[0]), f"address:{to[0]}"}
        if keys & blocked:
            result.skipped.append((key, "already has an open or recently rejected draft"))
            continue
        draft = _new_draft(session, request, drafter, now, sender, to[0], person_id)
        draft.account_id = _account_id(session, request) or default_account_id
        session.add(draft)
        session.flush()
        result.created.append(draft.id)
        blocked |= keys
        budget -= 1
    return result


def _new_draft(
    session: Session,
    request: DraftRequest,
    drafter: Drafter,
    now: datetime,
    sender: str,
    to: str,
    person_id: int | None,
) -> Draft:
    sequence = (
        session.scalar(
            select(func.count())
            .select_from(Draft)
            .where(Draft.kind == request.kind.value, Draft.person_id == person_id)
        )
        if person_id is not None
        else 0
    )
    rendered = drafter.render(request, now, sequence or 0)
    threaded = request.kind is DraftKind.FOLLOW_UP and valid_message_id(request.last.message_id)
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
