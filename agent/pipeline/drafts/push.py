"""Pushing an approved draft into the owner's Drafts folder exactly once (DESIGN.md contract 4).

`push_draft` on a provider is not idempotent: a connection that drops after the provider stored
the draft looks like a failure, and a blind retry makes a duplicate. So:

1. the outbox row and its idempotency key are committed before the provider is asked anything;
2. the attempt counter is committed before each push, so after a crash or an ambiguous failure
   the next attempt knows a push may have landed;
3. any attempt after the first starts with `find_draft` (by Message-ID and key), and pushes only
   when the provider has no such draft.

The raw message is rebuilt identically for every attempt: its Date is the outbox row's creation.
Nothing here can send: a DraftSink has no send method, and no other path exists.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.pipeline.compose.message import (
    Envelope,
    Recipient,
    build_message,
    sequence_of_ids,
)
from touchbase.agent.pipeline.config import Me
from touchbase.agent.pipeline.drafts.lifecycle import (
    APPROVED,
    PUSHED,
    SENT,
    DraftStateError,
    get_draft,
    mark_pushed,
    recipients,
    split_recipient,
)
from touchbase.agent.pipeline.models import Draft, Outbox
from touchbase.connectors.base import DraftMessage, DraftSink
from touchbase.connectors.errors import ConnectorError, TransientError

log = logging.getLogger(__name__)
ATTEMPTS = 3  # per call; the daemon's next cycle tries again, after a find_draft
BACKOFF = 1.0  # seconds before the second attempt, doubled after each


@dataclass(frozen=True)
class PushResult:
    draft_id: int
    ok: bool
    provider_id: str | None = None
    error: str | None = None
    advice: str = ""


def idempotency_key(message_id: str) -> str:
    """Derived from the draft's own Message-ID: the same draft always gets the same key."""
    return "touchbase-" + hashlib.sha256(message_id.encode()).hexdigest()[:40]


def draft_message(draft: Draft, me: Me, date: datetime, key: str) -> DraftMessage:
    """The DraftMessage a sink receives; identical for every attempt on the same outbox row."""
    to = tuple(Recipient(address=a, name=n) for n, a in map(split_recipient, recipients(draft)))
    envelope = Envelope(
        sender=Recipient(address=me.addresses[0] if me.addresses else "", name=me.name),
        to=to,
        subject=draft.subject,
        message_id=draft.message_id,
        date=date,
        in_reply_to=draft.in_reply_to,
        references=sequence_of_ids(draft.references),
    )
    return DraftMessage(
        idempotency_key=key,
        message_id=draft.message_id,
        raw=build_message(envelope, draft.body),
        to=tuple(r.address for r in to),
        subject=draft.subject,
        thread_id=draft.thread_id,
        in_reply_to=draft.in_reply_to,
        reply_to_source_id=draft.reply_to_source_id,
    )


def _prepare(session: Session, draft_id: int, now: datetime) -> tuple[Draft, Outbox] | None:
    draft = get_draft(session, draft_id, lock=True)
    if draft.status in (PUSHED, SENT):
        return None
    if draft.status != APPROVED:
        raise DraftStateError(f"draft {draft_id} is {draft.status}; approve it first")
    outbox = session.scalar(select(Outbox).where(Outbox.draft_id == draft.id))
    if outbox is None:
        outbox = Outbox(
            draft_id=draft.id,
            account_id=draft.account_id,
            idempotency_key=idempotency_key(draft.message_id),
            state="pending",
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        session.add(outbox)
        session.flush()
    return draft, outbox


def push(
    sessions: sessionmaker[Session],
    draft_id: int,
    sink: DraftSink,
    me: Me,
    now: datetime,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> PushResult:
    """Put approved draft `draft_id` into the sink once. Never raises ConnectorError."""
    with sessions.begin() as session:  # 1. the outbox row and key, committed first
        prepared = _prepare(session, draft_id, now)
        if prepared is None:
            done = get_draft(session, draft_id)
            return PushResult(draft_id, True, done.provider_draft_id)
        draft, outbox = prepared
        outbox_id, tried = outbox.id, outbox.attempts
        try:
            message = draft_message(draft, me, outbox.created_at, outbox.idempotency_key)
        except ValueError as exc:  # an owner address missing or invalid: nothing to push
            return PushResult(draft_id, False, error=str(exc), advice="check [me] addresses")
    error: ConnectorError | None = None
    for attempt in range(attempts):
        try:
            if tried:  # 3. a push may have landed already: look before pushing again
                found = sink.find_draft(message)
                if found is not None:
                    log.info("draft %s was already in the Drafts folder", draft_id)
                    return _record_pushed(sessions, draft_id, outbox_id, found, now)
            with sessions.begin() as session:  # 2. count the attempt before making it
                row = session.get_one(Outbox, outbox_id)
                row.attempts += 1
                row.updated_at = now
            tried += 1
            provider_id = sink.push_draft(message)
        except TransientError as exc:
            error = exc
            log.warning("pushing draft %s: %s (attempt %d)", draft_id, exc, attempt + 1)
            if attempt + 1 < attempts:
                sleep(BACKOFF * 2**attempt)
            continue
        except ConnectorError as exc:
            error = exc
            break
        return _record_pushed(sessions, draft_id, outbox_id, provider_id, now)
    assert error is not None
    with sessions.begin() as session:
        row = session.get_one(Outbox, outbox_id)
        row.state, row.last_error, row.updated_at = "failed", str(error), now
    return PushResult(draft_id, False, error=str(error), advice=error.advice)


def _record_pushed(
    sessions: sessionmaker[Session], draft_id: int, outbox_id: int, provider_id: str, now: datetime
) -> PushResult:
    with sessions.begin() as session:
        row = session.get_one(Outbox, outbox_id)
        row.state, row.provider_id, row.last_error = "pushed", provider_id, None
        row.updated_at = now
        mark_pushed(get_draft(session, draft_id), now, provider_id)
    return PushResult(draft_id, True, provider_id)


def push_approved(
    sessions: sessionmaker[Session],
    sink_for: Callable[[Draft], DraftSink | None],
    me: Me,
    now: datetime,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> list[PushResult]:
    """Push every approved draft (the daemon runs this each cycle; a failed push waits here)."""
    with sessions() as session:
        approved = list(session.scalars(select(Draft).where(Draft.status == APPROVED)))
    results = []
    for draft in approved:
        sink = sink_for(draft)
        if sink is None:
            results.append(PushResult(draft.id, False, error="no Drafts folder for its account"))
            continue
        results.append(
            push_and_close(sessions, draft.id, sink, me, now, attempts=attempts, sleep=sleep)
        )
    return results


def push_and_close(
    sessions: sessionmaker[Session],
    draft_id: int,
    sink: DraftSink,
    me: Me,
    now: datetime,
    **options: Any,
) -> PushResult:
    """push(), then release the sink's connection (an IMAP sink holds a logged-in socket)."""
    try:
        return push(sessions, draft_id, sink, me, now, **options)
    finally:
        close = getattr(sink, "close", None)
        if callable(close):
            close()
