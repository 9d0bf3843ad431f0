"""Noticing what happened to drafts after a sync: sent by the owner, or overtaken by events.

A pushed draft becomes sent when the sync sees it in a Sent folder: by the Message-ID touchbase
generated, or, where the provider rewrites Message-IDs (Gmail and Outlook may), by recipient +
subject + time. The interaction itself is what restarts the person's cadence (the rules read it),
so the clock starts from the real send, not from the approval.

An open draft expires when its reason went away: the owner wrote to the person some other way
after the draft was made, or the rules no longer propose anything for that person.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.compose.words import clean_subject
from touchbase.agent.pipeline.drafts.lifecycle import (
    APPROVED,
    PENDING,
    PUSHED,
    SNOOZED,
    addresses,
    expire,
    mark_sent,
)
from touchbase.agent.pipeline.evaluation import person_key
from touchbase.agent.pipeline.models import Draft, InteractionRow, ParticipantRow

# A rewritten copy must turn up within this long after the push to count as the same message.
MATCH_WINDOW = timedelta(days=60)
# Clocks differ between the machine and the provider; a Sent copy may carry a Date a little
# before touchbase recorded the push.
CLOCK_SLACK = timedelta(minutes=10)


def _not_a_draft() -> ColumnElement[bool]:
    # Our own draft comes back from the Drafts folder with our Message-ID; it is not a send.
    return and_(
        ~InteractionRow.flags.contains("draft"),
        or_(InteractionRow.folder.is_(None), InteractionRow.folder.notin_(("drafts", "Drafts"))),
        InteractionRow.removed_at.is_(None),
    )


def _sent_to(
    session: Session, me: Collection[str], to: Iterable[str], after: datetime
) -> list[InteractionRow]:
    """Mail from the owner with one of `to` as a recipient, after `after`, oldest first."""
    sender = select(ParticipantRow.interaction_id).where(
        ParticipantRow.role == "from",
        or_(ParticipantRow.address.in_(list(me)), ParticipantRow.is_self.is_(True)),
    )
    recipient = select(ParticipantRow.interaction_id).where(
        ParticipantRow.role.in_(("to", "cc")), ParticipantRow.address.in_(list(to))
    )
    query = (
        select(InteractionRow)
        .where(
            InteractionRow.kind == "mail",
            InteractionRow.occurred_at > after,
            InteractionRow.id.in_(sender),
            InteractionRow.id.in_(recipient),
            _not_a_draft(),
        )
        .order_by(InteractionRow.occurred_at, InteractionRow.id)
    )
    return list(session.scalars(query))


def notice_sent(session: Session, me: Collection[str], now: datetime) -> list[int]:
    """Mark pushed (and approved) drafts sent when their message shows up. Caller commits."""
    found = []
    for draft in session.scalars(select(Draft).where(Draft.status.in_((PUSHED, APPROVED)))):
        bare = draft.message_id.strip("<>")
        match = session.scalar(
            select(InteractionRow)
            .where(
                InteractionRow.message_id.in_((draft.message_id, bare)),
                _not_a_draft(),
            )
            .order_by(InteractionRow.occurred_at)
            .limit(1)
        )
        how = "seen in Sent by its Message-ID"
        if match is None:
            since = (draft.pushed_at or draft.updated_at) - CLOCK_SLACK
            topic = clean_subject(draft.subject).casefold()
            match = next(
                (
                    i
                    for i in _sent_to(session, me, addresses(draft), since)
                    if i.occurred_at <= since + MATCH_WINDOW
                    and clean_subject(i.subject).casefold() == topic
                ),
                None,
            )
            how = "seen in Sent by recipient, subject and time"
        if match is not None:
            mark_sent(draft, now, match.occurred_at, how)
            found.append(draft.id)
    return found


def expire_overtaken(session: Session, me: Collection[str], now: datetime) -> list[int]:
    """Expire open drafts when the owner wrote to the person after the draft was made."""
    expired = []
    for draft in session.scalars(
        select(Draft).where(Draft.status.in_((PENDING, SNOOZED, APPROVED)))
    ):
        later = [
            i
            for i in _sent_to(session, me, addresses(draft), draft.created_at)
            if (i.message_id or "").strip("<>") != draft.message_id.strip("<>")
        ]
        if later:
            when = later[0].occurred_at.date().isoformat()
            expire(draft, now, f"you wrote to them on {when}, after this draft was made")
            expired.append(draft.id)
    return expired


def expire_not_due(session: Session, still: Collection[str], now: datetime) -> list[int]:
    """Expire pending and snoozed drafts whose person the rules no longer propose anything for.

    `still` holds the person keys (`p12`) and addresses the current plan stands behind: its
    decisions and its holds (a hold means a rule still matched, e.g. "a draft is already
    open"). Call it only with a plan that was not stopped: an empty `still` from a failed run
    would expire everything. Drafts the owner approved or edited are theirs and stay.
    """
    expired = []
    for draft in session.scalars(
        select(Draft).where(
            Draft.status.in_((PENDING, SNOOZED)),
            Draft.kind.not_in(("digest", "introduce-ask", "introduce")),  # not the rules' to judge
            ~Draft.edited,
        )
    ):
        keys = set(addresses(draft))
        if draft.person_id is not None:
            keys.add(person_key(draft.person_id))
        if not keys & set(still):
            expire(draft, now, "no longer due: the reason for it went away")
            expired.append(draft.id)
    return expired
