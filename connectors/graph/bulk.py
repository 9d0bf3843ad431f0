"""Bulk and automated mail in an Outlook mailbox, told without reading bodies.

Message delta cannot return `internetMessageHeaders` (it is not among the properties a delta
`$select` returns), so the list headers that mark a newsletter (List-Id, List-Unsubscribe:
RFC 2919, 2369; Precedence: bulk) or a machine (Auto-Submitted, RFC 3834) are not on the delta
page. What is: `inferenceClassification`, Outlook's own Focused / Other sorting
(https://learn.microsoft.com/graph/api/resources/message). Mail Outlook filed as Other has its
headers looked up, one GET each (`$select=internetMessageHeaders`), at most `budget` a sync and
once per sender: one newsletter's flags answer for its sender's other mail in the same sync.
Focused mail is left alone, and so is mail past the budget: never hide a person on a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from touchbase.connectors.base import Flag, InteractionRecord, Role
from touchbase.connectors.graph.http import GraphClient, NotFound

log = logging.getLogger(__name__)


def header_flags(headers: object) -> frozenset[Flag]:
    """BULK and AUTOMATED from Graph's internetMessageHeaders ([{"name", "value"}...])."""
    found: dict[str, str] = {}
    for entry in headers if isinstance(headers, list) else ():
        if isinstance(entry, dict):
            found[str(entry.get("name", "")).lower()] = str(entry.get("value", ""))
    flags: set[Flag] = set()
    precedence = found.get("precedence", "").strip().lower()
    if "list-id" in found or "list-unsubscribe" in found or precedence in ("bulk", "list", "junk"):
        flags.add(Flag.BULK)
    auto = found.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):  # RFC 3834: anything but "no" is a machine
        flags.add(Flag.AUTOMATED)
    return frozenset(flags)


@dataclass
class BulkLookup:
    """Looks up the list headers of mail Outlook filed as Other, within a per-sync budget."""

    client: GraphClient
    budget: int
    headers: Mapping[str, str] = field(default_factory=dict)
    looked_up: int = 0
    _by_sender: dict[str, frozenset[Flag]] = field(default_factory=dict)

    def refine(self, message: Mapping[str, Any], record: InteractionRecord) -> InteractionRecord:
        if message.get("inferenceClassification") != "other":
            return record
        sender = next(iter(record.addresses(Role.FROM)), "")
        flags = self._by_sender.get(sender)
        if flags is None:
            if self.looked_up >= self.budget:
                return record
            flags = self._look_up(record.source_id)
            if sender:
                self._by_sender[sender] = flags
        return replace(record, flags=record.flags | flags) if flags else record

    def _look_up(self, message_id: str) -> frozenset[Flag]:
        self.looked_up += 1
        try:
            found = self.client.get(
                f"me/messages/{message_id}",
                params={"$select": "internetMessageHeaders"},
                headers=self.headers,
            )
        except NotFound:  # deleted since the delta page listed it
            return frozenset()
        return header_flags(found.get("internetMessageHeaders"))
