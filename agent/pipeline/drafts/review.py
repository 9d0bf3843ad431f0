"""The review actions the CLI and the web page share, each in its own transaction.

Approving commits the approval first and then pushes: if the push fails the draft stays
approved and the daemon's next cycle pushes it (after a find_draft), so an approval is never
lost and never doubled.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.pipeline.config import Me
from touchbase.agent.pipeline.drafts import lifecycle
from touchbase.agent.pipeline.drafts.push import PushResult, push_and_close
from touchbase.agent.pipeline.drafts.sent import expire_overtaken, notice_sent
from touchbase.agent.pipeline.models import Draft
from touchbase.connectors.base import DraftSink

SinkFor = Callable[[Draft], DraftSink | None]


def approve(
    sessions: sessionmaker[Session],
    ids: Sequence[int],
    sink_for: SinkFor | None,
    me: Me,
    now: datetime,
    **push_options: object,
) -> list[PushResult]:
    """Approve each draft, then push it unless `sink_for` is None (the daemon will)."""
    results = []
    for draft_id in ids:
        with sessions.begin() as session:
            draft = lifecycle.get_draft(session, draft_id, lock=True)
            lifecycle.approve(draft, now)
        if sink_for is None:
            continue
        with sessions() as session:
            sink = sink_for(lifecycle.get_draft(session, draft_id))
        if sink is None:
            continue
        results.append(push_and_close(sessions, draft_id, sink, me, now, **push_options))
    return results


def reject(
    sessions: sessionmaker[Session], ids: Sequence[int], now: datetime, reason: str | None = None
) -> None:
    with sessions.begin() as session:
        for draft_id in ids:
            lifecycle.reject(lifecycle.get_draft(session, draft_id, lock=True), now, reason)


def snooze(sessions: sessionmaker[Session], draft_id: int, now: datetime, days: float) -> None:
    with sessions.begin() as session:
        lifecycle.snooze(lifecycle.get_draft(session, draft_id, lock=True), now, days)


def edit(
    sessions: sessionmaker[Session],
    draft_id: int,
    now: datetime,
    *,
    subject: str | None = None,
    body: str | None = None,
) -> bool:
    with sessions.begin() as session:
        draft = lifecycle.get_draft(session, draft_id, lock=True)
        return lifecycle.edit(draft, now, subject=subject, body=body)


@dataclass
class Housekeeping:
    sent: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    woken: list[int] = field(default_factory=list)


def after_sync(sessions: sessionmaker[Session], me: Collection[str], now: datetime) -> Housekeeping:
    """What the daemon runs after each sync: sent drafts noticed, overtaken ones expired,
    snoozed ones whose time came back to pending."""
    with sessions.begin() as session:
        sent = notice_sent(session, me, now)
        session.flush()
        expired = expire_overtaken(session, me, now)
        woken = lifecycle.wake_snoozed(session, now)
    return Housekeeping(sent, expired, woken)
