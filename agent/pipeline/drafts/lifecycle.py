"""A draft's lifecycle: pending -> approved -> pushed -> sent, or rejected / snoozed / expired.

Every change goes through these functions, so the rules of the road live in one place: which
status may follow which, that an edit is kept (and marks the draft edited, so nothing regenerates
over it), and that a terminal status (sent, rejected, expired) never moves again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.models import Draft

# compose.message (the email package behind it) is imported by the changes that clean text:
# listing and showing drafts reads none of it (issue 16).

PENDING = "pending"
APPROVED = "approved"
PUSHED = "pushed"
SENT = "sent"
REJECTED = "rejected"
SNOOZED = "snoozed"
EXPIRED = "expired"
STATUSES = (PENDING, APPROVED, PUSHED, SENT, REJECTED, SNOOZED, EXPIRED)
# Open drafts count towards "one open draft per person" (DESIGN.md contract 7). A pushed draft
# sits in the owner's Drafts folder until they send it, so it is still open.
OPEN = (PENDING, APPROVED, SNOOZED, PUSHED)
TERMINAL = (SENT, REJECTED, EXPIRED)
# Which statuses each action may start from.
_FROM = {
    "approve": (PENDING, SNOOZED),
    "reject": (PENDING, SNOOZED, APPROVED),
    "snooze": (PENDING,),
    "edit": (PENDING, SNOOZED),
    "expire": (PENDING, SNOOZED, APPROVED),
}
MAX_BODY = 50_000  # characters; a draft is a note, and providers cap raw uploads


class DraftStateError(UserError):
    """The draft's status does not allow that action."""


def get_draft(session: Session, draft_id: int, *, lock: bool = False) -> Draft:
    query = select(Draft).where(Draft.id == draft_id)
    if lock:
        query = query.with_for_update()  # PostgreSQL: two reviewers cannot approve twice
    draft = session.scalar(query)
    if draft is None:
        raise UserError(f"no draft {draft_id}", advice="`touchbase drafts` lists them")
    return draft


def _check(draft: Draft, action: str) -> None:
    allowed = _FROM[action]
    if draft.status not in allowed:
        raise DraftStateError(
            f"draft {draft.id} is {draft.status}; only a {' or '.join(allowed)} draft can be "
            f"{'edited' if action == 'edit' else action + 'd'}"
        )


def approve(draft: Draft, now: datetime) -> None:
    """Mark a draft for pushing into the owner's Drafts folder (push.py does that, once)."""
    _check(draft, "approve")
    draft.status, draft.status_reason, draft.snoozed_until = APPROVED, None, None
    draft.updated_at = now


def reject(draft: Draft, now: datetime, reason: str | None = None) -> None:
    from touchbase.agent.pipeline.compose.message import header_text

    _check(draft, "reject")
    draft.status, draft.status_reason = REJECTED, header_text(reason) or "rejected by you"
    draft.updated_at = now


def snooze(draft: Draft, now: datetime, days: float) -> None:
    """Hide the draft until `now + days`; it then comes back as pending (wake_snoozed)."""
    if not 1 <= days <= 3650:  # a day at least: less is a typo (days=0.0000001), not a snooze
        raise UserError(f"snooze for a number of days between 1 and 3650, not {days}")
    _check(draft, "snooze")
    draft.status, draft.snoozed_until = SNOOZED, now + timedelta(days=days)
    draft.status_reason = None
    draft.updated_at = now


def edit(
    draft: Draft, now: datetime, *, subject: str | None = None, body: str | None = None
) -> bool:
    """Keep the owner's words. Returns whether anything changed."""
    from touchbase.agent.pipeline.compose.message import body_text, header_text

    _check(draft, "edit")
    changed = False
    if subject is not None:
        clean = header_text(subject)
        if not clean:
            raise UserError("a draft needs a subject")
        changed |= clean != draft.subject
        draft.subject = clean
    if body is not None:
        clean = body_text(body)
        if len(clean) > MAX_BODY:
            raise UserError(f"the body is longer than {MAX_BODY} characters")
        changed |= clean != draft.body
        draft.body = clean
    if changed:
        draft.edited, draft.updated_at = True, now
    return changed


def expire(draft: Draft, now: datetime, reason: str) -> None:
    """Its reason went away (the owner wrote meanwhile, the decision is gone)."""
    _check(draft, "expire")
    draft.status, draft.status_reason = EXPIRED, reason
    draft.updated_at = now


def mark_pushed(draft: Draft, now: datetime, provider_id: str) -> None:
    draft.status, draft.pushed_at, draft.provider_draft_id = PUSHED, now, provider_id
    draft.updated_at = now


def mark_sent(draft: Draft, now: datetime, sent_at: datetime, how: str) -> None:
    draft.status, draft.sent_at, draft.status_reason = SENT, sent_at, how
    draft.updated_at = now


def wake_snoozed(session: Session, now: datetime) -> list[int]:
    """Snoozed drafts whose time has come are pending again."""
    woken = []
    for draft in session.scalars(
        select(Draft).where(Draft.status == SNOOZED, Draft.snoozed_until <= now)
    ):
        draft.status, draft.snoozed_until, draft.updated_at = PENDING, None, now
        woken.append(draft.id)
    return woken


def recipients(draft: Draft) -> list[str]:
    """The draft's To, as stored ("Name <address>" strings)."""
    value = json.loads(draft.to_addresses or "[]")
    return [str(v) for v in value]


def addresses(draft: Draft) -> list[str]:
    """The bare addresses of the draft's To, lower-cased."""
    return [split_recipient(r)[1].lower() for r in recipients(draft)]


def reasons(draft: Draft) -> list[str]:
    return [str(r) for r in json.loads(draft.reasons or "[]")]


def format_recipient(name: str, address: str) -> str:
    """How a recipient is stored: `Name <address>`, or `<address>`; the name is one plain line
    without angle brackets, so `split_recipient` reads it back exactly."""
    from touchbase.agent.pipeline.compose.message import header_text

    clean = header_text(name.replace("<", " ").replace(">", " "), 100)
    return f"{clean} <{address}>" if clean else f"<{address}>"


def split_recipient(value: str) -> tuple[str, str]:
    name, _, rest = value.rpartition("<")
    return name.strip(), rest.rstrip(">").strip()


def ids(values: Sequence[str]) -> list[int]:
    """Draft ids from the command line: "3", "#3"."""
    out = []
    for value in values:
        try:
            out.append(int(value.lstrip("#")))
        except ValueError:
            raise UserError(f"{value!r} is not a draft id (a number)") from None
    return out
