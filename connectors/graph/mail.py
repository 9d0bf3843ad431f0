"""Graph message resources -> Interactions (metadata only), and the mail delta request shape.

Fields come from the message resource (https://learn.microsoft.com/graph/api/resources/message).
`internetMessageHeaders` cannot be selected in a delta query, so In-Reply-To and References are
not available here; `conversationId` stands in as the thread key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from touchbase.connectors.base import Flag, InteractionRecord, Kind, Participant, Role
from touchbase.connectors.errors import BadRecord

# Everything the rules need and nothing more: never `body`, `bodyPreview` or `uniqueBody`.
MAIL_SELECT = (
    "id,subject,from,sender,toRecipients,ccRecipients,bccRecipients,sentDateTime,"
    "receivedDateTime,internetMessageId,conversationId,isDraft,inferenceClassification"
)
# Outlook prefixes the subject of its automatic replies with this (the English UI string).
AUTO_REPLY_PREFIXES = ("automatic reply:", "auto reply:", "out of office:")


def parse_graph_time(value: object) -> datetime:
    """A Graph DateTimeOffset ("2024-01-01T09:00:00Z") as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise BadRecord(f"no usable time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRecord(f"unreadable time {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # Graph DateTimeOffsets are UTC unless they say so
    return parsed.astimezone(UTC)


def _address(recipient: object) -> tuple[str, str] | None:
    """(address, name) of a Graph recipient, or None when it has no SMTP address."""
    # `dict`, not `Mapping`: JSON gives dicts, and the ABC check was a third of the mapping time.
    if not isinstance(recipient, dict):
        return None
    email = recipient.get("emailAddress")
    if not isinstance(email, dict):
        return None
    address = str(email.get("address") or "").strip().lower()
    # Exchange-internal senders can carry an X.500 DN ("/o=exchangelabs/...") instead of SMTP.
    if "@" not in address:
        return None
    return address, str(email.get("name") or "")


def _participants(message: Mapping[str, Any]) -> list[Participant]:
    people: list[Participant] = []
    sender = _address(message.get("from")) or _address(message.get("sender"))
    if sender:
        people.append(Participant(sender[0], Role.FROM, name=sender[1]))
    for key, role in (
        ("toRecipients", Role.TO),
        ("ccRecipients", Role.CC),
        ("bccRecipients", Role.BCC),
    ):
        for recipient in message.get(key) or ():
            found = _address(recipient)
            if found:
                people.append(Participant(found[0], role, name=found[1]))
    return people


def message_to_interaction(message: Mapping[str, Any], folder: str) -> InteractionRecord:
    """One message resource as an InteractionRecord; raises BadRecord when it cannot be one."""
    source_id = message.get("id")
    if not isinstance(source_id, str) or not source_id:
        raise BadRecord("message without an id")
    # sentDateTime is the Date header; a message never sent (a draft) has only receivedDateTime.
    when = message.get("sentDateTime") or message.get("receivedDateTime")
    occurred_at = parse_graph_time(when)
    subject = message.get("subject")
    flags: set[Flag] = set()
    if message.get("isDraft") is True:
        flags.add(Flag.DRAFT)
    if isinstance(subject, str) and subject.lower().startswith(AUTO_REPLY_PREFIXES):
        flags.add(Flag.AUTO_REPLY)
    message_id = message.get("internetMessageId")
    thread = message.get("conversationId")
    return InteractionRecord(
        source_id=source_id,
        kind=Kind.MAIL,
        occurred_at=occurred_at,
        participants=tuple(_participants(message)),
        subject=subject if isinstance(subject, str) else None,
        message_id=message_id if isinstance(message_id, str) and message_id else None,
        thread_id=thread if isinstance(thread, str) and thread else None,
        folder=folder,
        flags=frozenset(flags),
    )
