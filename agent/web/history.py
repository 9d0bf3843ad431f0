"""A person's contact history for the review page: recent interactions and monthly counts.

Read-only queries over the store. The direction of a message comes from the owner's addresses
(as in the rules): from the owner is "sent", from the person is "received"; meetings are "meeting".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.models import InteractionRow, ParticipantRow

SENT, RECEIVED, MEETING = "sent", "received", "meeting"
CHANNELS = (SENT, RECEIVED, MEETING)


@dataclass(frozen=True)
class Event:
    """One interaction with the person, as the page shows it."""

    at: datetime
    channel: str
    subject: str
    counterpart_role: str


def events(
    session: Session,
    addresses: Collection[str],
    me: Collection[str],
    *,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[Event]:
    """The person's interactions, newest first, drafts and tombstones left out."""
    if not addresses:
        return []
    involved = select(ParticipantRow.interaction_id).where(
        ParticipantRow.address.in_(list(addresses))
    )
    query = (
        select(InteractionRow)
        .where(
            InteractionRow.id.in_(involved),
            InteractionRow.removed_at.is_(None),
            ~InteractionRow.flags.contains("draft"),
        )
        .order_by(InteractionRow.occurred_at.desc(), InteractionRow.id.desc())
    )
    if since is not None:
        query = query.where(InteractionRow.occurred_at >= since)
    if limit is not None:
        query = query.limit(limit)
    rows = list(session.scalars(query))
    if not rows:
        return []
    senders: dict[int, set[str]] = {}
    roles: dict[int, str] = {}
    for interaction_id, address, role in session.execute(
        select(ParticipantRow.interaction_id, ParticipantRow.address, ParticipantRow.role).where(
            ParticipantRow.interaction_id.in_([r.id for r in rows])
        )
    ):
        if role in ("from", "organizer"):
            senders.setdefault(interaction_id, set()).add(address)
        if address in addresses:
            roles.setdefault(interaction_id, role)
    out = []
    for row in rows:
        if row.kind == "meeting":
            channel = MEETING
        elif senders.get(row.id, set()) & set(me):
            channel = SENT
        else:
            channel = RECEIVED
        out.append(Event(row.occurred_at, channel, row.subject or "", roles.get(row.id, "")))
    return out


def learned_cadence(history: list[Event]) -> int | None:
    """A cadence in days from the person's own rhythm: 1.5x the median gap between contacts
    (the rules' learned cadence, DESIGN/issue 3), clamped to a week .. a year."""
    days = sorted({e.at.date() for e in history})
    if len(days) < 3:
        return None
    gaps = [(b - a).days for a, b in pairwise(days)]
    return max(7, min(365, round(1.5 * median(gaps))))


def next_due(history: list[Event], cadence_days: int | None) -> datetime | None:
    if not history or not cadence_days:
        return None
    return max(e.at for e in history) + timedelta(days=cadence_days)
