"""A draft as the CLI's JSON shows it (a stable contract for scripts)."""

from __future__ import annotations

from typing import Any

from touchbase.agent.cli.output import iso
from touchbase.agent.pipeline.drafts.lifecycle import addresses, reasons, recipients
from touchbase.agent.pipeline.models import Draft


def draft_json(draft: Draft) -> dict[str, Any]:
    """At least id, kind, to (list of addresses), subject, body, status, reasons."""
    return {
        "id": draft.id,
        "kind": draft.kind,
        "to": addresses(draft),
        "recipients": recipients(draft),
        "subject": draft.subject,
        "body": draft.body,
        "status": draft.status,
        "status_reason": draft.status_reason,
        "reasons": reasons(draft),
        "person_id": draft.person_id,
        "edited": draft.edited,
        "due": iso(draft.due_at),
        "snoozed_until": iso(draft.snoozed_until),
        "created_at": iso(draft.created_at),
        "updated_at": iso(draft.updated_at),
        "pushed_at": iso(draft.pushed_at),
        "sent_at": iso(draft.sent_at),
        "message_id": draft.message_id,
        "in_reply_to": draft.in_reply_to,
    }
