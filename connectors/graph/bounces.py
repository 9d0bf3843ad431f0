"""Delivery failures in an Outlook mailbox, read from internet headers alone (issue 18).

A delivery failure (Exchange's NDR comes From `MicrosoftExchange<guid>@` or postmaster, "Microsoft
Outlook", with the subject "Undeliverable: ..."; other servers' from mailer-daemon) is told from
the delta page's `from` and `subject`; only such messages have their headers looked up, one GET
each (`$select=internetMessageHeaders`: "the collection of message headers defined by RFC5322 ...
returned only on applying a $select query option", https://learn.microsoft.com/graph/api/
resources/message; each an internetMessageHeader {name, value}), within a per-sync budget.

- `X-Failed-Recipients` names the failed address (Exim, Gmail): connectors/bounces.py reads it.
- Exchange puts its failed recipients only in the report's message/delivery-status part, which
  Graph does not offer on its own: MIME comes only for a whole message (`/$value`) or a whole
  attachment (`attachments/{id}/$value`,
  https://learn.microsoft.com/graph/outlook-get-mime-message), so reading that part would mean
  fetching the body. Nothing of a body or an attachment is asked for. Instead, the NDR's
  In-Reply-To/References name the message it returns; that message is looked up by
  `internetMessageId` (`$filter`, recipients only), and when it went to exactly one address
  outside the owner's, that address failed (bounces.sole_recipient). With several recipients
  the headers cannot say which: no one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from touchbase.connectors.base import InteractionRecord, Role
from touchbase.connectors.bounces import (
    failed_recipients,
    looks_like_bounce,
    original_ids,
    sole_recipient,
    with_failures,
)
from touchbase.connectors.graph.drafts import _odata_string
from touchbase.connectors.graph.http import GraphClient, NotFound

log = logging.getLogger(__name__)

# What the returned message is asked for: who sent it and to whom; never a body.
ORIGINAL_SELECT = "from,toRecipients,ccRecipients,bccRecipients"
# A bounce's In-Reply-To and References ids tried at most (the newest are the original's).
MAX_ORIGINALS = 2


def header_pairs(headers: object) -> list[tuple[str, str]]:
    """Graph's internetMessageHeaders ([{"name", "value"}...]) as (name, value) pairs."""
    return [
        (str(entry.get("name", "")), str(entry.get("value", "")))
        for entry in (headers if isinstance(headers, list) else ())
        if isinstance(entry, dict)
    ]


def _addresses(recipients: object) -> list[str]:
    found = []
    for recipient in recipients if isinstance(recipients, list) else ():
        email = recipient.get("emailAddress") if isinstance(recipient, dict) else None
        if isinstance(email, dict) and "@" in str(email.get("address") or ""):
            found.append(str(email["address"]).strip().lower())
    return found


@dataclass
class BounceLookup:
    """Adds a bounce's failed recipients to its record, within `budget` header lookups a sync."""

    client: GraphClient
    budget: int
    headers: Mapping[str, str]
    looked_up: int = 0

    def refine(self, message: Mapping[str, Any], record: InteractionRecord) -> InteractionRecord:
        sender = next(iter(record.addresses(Role.FROM)), None)
        if not looks_like_bounce(sender, record.subject) or self.looked_up >= self.budget:
            return record
        self.looked_up += 1
        try:
            found = self.client.get(
                f"me/messages/{record.source_id}",
                params={"$select": "internetMessageHeaders"},
                headers=self.headers,
            )
        except NotFound:  # deleted since the delta page listed it
            return record
        pairs = header_pairs(found.get("internetMessageHeaders"))
        failed = failed_recipients(pairs)
        if not failed:
            own = tuple(record.addresses(Role.TO))  # the bounce came to the owner
            one = self._sole_recipient(pairs, own)
            failed = (one,) if one else ()
        return with_failures(record, failed)

    def _sole_recipient(self, pairs: list[tuple[str, str]], own: tuple[str, ...]) -> str | None:
        for message_id in original_ids(pairs)[:MAX_ORIGINALS]:
            query = f"internetMessageId eq {_odata_string(message_id)}"
            listed = self.client.get(
                "me/messages",
                params={"$filter": query, "$select": ORIGINAL_SELECT},
                headers=self.headers,
            )
            originals = [v for v in listed.get("value") or () if isinstance(v, dict)]
            if len(originals) != 1:
                continue  # not in this mailbox (or ambiguous): another id, else no one
            original = originals[0]
            sender = next(iter(_addresses([original.get("from")])), "")
            recipients = [
                address
                for key in ("toRecipients", "ccRecipients", "bccRecipients")
                for address in _addresses(original.get(key))
            ]
            return sole_recipient(sender, recipients, own)
        return None
