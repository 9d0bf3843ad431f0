"""Drafts in the owner's Outlook Drafts folder. There is no send path here, by design.

- A new draft: `POST /me/messages` (https://learn.microsoft.com/graph/api/user-post-messages),
  which creates the message in Drafts.
- A follow-up in a thread: `POST /me/messages/{id}/createReply`
  (https://learn.microsoft.com/graph/api/message-createreply), which also lands in Drafts.
- Each draft carries a single-value extended property holding the outbox idempotency key, and
  its own Message-ID as `internetMessageId`; `find_draft` looks for either with `$filter`
  (https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from touchbase.connectors.base import DraftMessage
from touchbase.connectors.errors import ConnectorError
from touchbase.connectors.graph.http import GraphClient, NotFound

log = logging.getLogger(__name__)

# A named MAPI property in touchbase's own property set (a fixed GUID, never reused elsewhere).
KEY_PROPERTY = "String {6f1c3c9e-2b4e-4d7a-9a35-2f0f6f9b1e57} Name touchbaseIdempotencyKey"


def _odata_string(value: str) -> str:
    """An OData string literal: single quotes doubled (OData ABNF, SQUOTE-in-string)."""
    return "'" + value.replace("'", "''") + "'"


def _recipients(addresses: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {"emailAddress": {"address": a, "name": n} if n else {"address": a}} for n, a in addresses
    ]


def message_resource(draft: DraftMessage) -> dict[str, Any]:
    """The Graph message for a draft: recipients, subject, plain-text body, key and Message-ID."""
    parsed = email.message_from_bytes(draft.raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    part = parsed.get_body(preferencelist=("plain", "html"))
    content = part.get_content() if part is not None else ""
    content_type = "html" if part is not None and part.get_content_subtype() == "html" else "text"
    to = email.utils.getaddresses(parsed.get_all("To", [])) or [("", a) for a in draft.to]
    cc = email.utils.getaddresses(parsed.get_all("Cc", []))
    return {
        "subject": draft.subject,
        "body": {"contentType": content_type, "content": content},
        "toRecipients": _recipients([(n, a) for n, a in to if a]),
        "ccRecipients": _recipients([(n, a) for n, a in cc if a]),
        "internetMessageId": draft.message_id,
        "singleValueExtendedProperties": [{"id": KEY_PROPERTY, "value": draft.idempotency_key}],
    }


@dataclass
class GraphDrafts:
    """The DraftSink half of a Graph account."""

    client: GraphClient

    def push_draft(self, draft: DraftMessage) -> str:
        """Create the draft once (never retried here: the caller finds it first, contract 4)."""
        message = message_resource(draft)
        created: dict[str, Any] | None = None
        if draft.reply_to_source_id:
            reply = {k: v for k, v in message.items() if k != "internetMessageId"}
            try:
                created = self.client.post(
                    f"me/messages/{quote(draft.reply_to_source_id, safe='')}/createReply",
                    {"message": reply},
                )
            except NotFound:
                # The message being answered is gone (deleted, moved by a rule): a fresh draft
                # still says what needs saying.
                log.info(
                    "draft %s: the message to answer is gone; a new draft instead",
                    draft.idempotency_key,
                )
        if created is None:
            created = self.client.post("me/messages", message)
        draft_id = created.get("id")
        if not isinstance(draft_id, str) or not draft_id:
            raise ConnectorError("Graph created a draft but returned no id")
        return draft_id

    def find_draft(self, draft: DraftMessage) -> str | None:
        """The id of a message carrying this draft's key or Message-ID, in any folder."""
        by_key = (
            f"singleValueExtendedProperties/Any(ep: ep/id eq {_odata_string(KEY_PROPERTY)} "
            f"and ep/value eq {_odata_string(draft.idempotency_key)})"
        )
        by_message_id = f"internetMessageId eq {_odata_string(draft.message_id)}"
        for query in (by_key, by_message_id):
            body = self.client.get("me/messages", params={"$filter": query, "$select": "id"})
            for item in body.get("value") or ():
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    return str(item["id"])
        return None
