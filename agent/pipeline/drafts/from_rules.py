"""The adapter from the rules' decisions (rules/decide.py `Decision`) to DraftRequests.

Kept apart so that drafting depends on the small DraftRequest, not on the rules' internals. A
decision carries: person (key), address, name, kind, due, reasons, reply_to (interaction_id,
message_id, thread_id, account, subject) for a follow-up, and last_subject. The thread's
References and the provider's message id are read from the store by the interaction id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest, LastConversation
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.drafts.create import CreateResult, Pacing
from touchbase.agent.pipeline.models import Account, InteractionRow, PersonAddress

if TYPE_CHECKING:
    from touchbase.agent.app import App


def request_from_decision(session: Session, decision: Any) -> DraftRequest:
    """One DraftRequest from one rules Decision (duck-typed, so rules/ stays unimported here)."""
    kind = DraftKind(decision.kind)
    address = str(decision.address).lower()
    person_id = session.scalar(
        select(PersonAddress.person_id).where(PersonAddress.address == address)
    )
    last = LastConversation(subject=getattr(decision, "last_subject", None))
    reply = getattr(decision, "reply_to", None)
    if reply is not None:
        row = session.get(InteractionRow, reply.interaction_id)
        account = reply.account
        if row is not None and not account:
            account = session.scalar(select(Account.name).where(Account.id == row.account_id))
        last = LastConversation(
            subject=reply.subject or (row.subject if row else None),
            at=row.occurred_at if row else None,
            message_id=reply.message_id or (row.message_id if row else None),
            references=tuple((row.references or "").split()) if row else (),
            thread_id=reply.thread_id or (row.thread_id if row else None),
            source_id=row.source_id if row else None,
            account=account,
        )
    meeting = None
    if kind is DraftKind.THANK_YOU:
        meeting = getattr(decision, "last_subject", None)
    occasion = None
    if kind is DraftKind.CONGRATULATE:
        occasion = next(
            (o for o in ("birthday", "work anniversary") if any(o in r for r in decision.reasons)),
            None,
        )
    return DraftRequest(
        kind=kind,
        addresses=(address,),
        name=str(decision.name or ""),
        person_id=person_id,
        reasons=tuple(decision.reasons),
        due=decision.due,
        last=last,
        meeting_title=meeting,
        occasion=occasion,
    )


def requests_from_decisions(session: Session, decisions: Iterable[Any]) -> list[DraftRequest]:
    return [request_from_decision(session, d) for d in decisions]


def current_decisions(app: App, now: datetime) -> list[Any]:
    """The rules' decisions at `now` (pipeline.evaluation); UserError when the plan stopped."""
    from touchbase.agent.pipeline.evaluation import evaluate

    with app.sessions() as session:
        plan = evaluate(session, app.config, app.me(), now).plan
    if plan.stopped:
        raise UserError(f"no drafts made: {plan.stopped}")
    return list(plan.decisions)


def create_from_rules(app: App, now: datetime) -> CreateResult:
    """`drafts create`, the demo and the daemon's cycle: the plan at `now` becomes drafts."""
    from touchbase.agent.pipeline.compose.render import Drafter, templates_dir
    from touchbase.agent.pipeline.drafts.create import create_drafts

    decisions = current_decisions(app, now)
    drafter = Drafter(app.config.me, templates_dir(app.config.path))
    with app.sessions.begin() as session:
        requests = requests_from_decisions(session, decisions)
        return create_drafts(session, requests, drafter, now, pacing(app.config))


def pacing(config: Config) -> Pacing:
    """Pacing from `[policy]` max_drafts_per_run / max_drafts_per_day (the rules' keys)."""
    policy: dict[str, Any] = dict(config.policy)
    per_run = policy.get("max_drafts_per_run", Pacing.max_per_run)
    per_day = policy.get("max_drafts_per_day", Pacing.max_per_day)
    return Pacing(max_per_run=int(per_run), max_per_day=None if per_day is None else int(per_day))
