"""What the drafting needs to know about one decision: who, which kind, why, and the last contact.

The rules engine (rules/decide.py) produces decisions; `agent.pipeline.drafts.from_rules` turns
each into a DraftRequest, so drafting depends on this small value and not on the rules' internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DraftKind(StrEnum):
    """The kinds of draft a decision can ask for (DESIGN.md glossary: decision)."""

    CHECK_IN = "check-in"
    THANK_YOU = "thank-you"
    FOLLOW_UP = "follow-up"
    CONGRATULATE = "congratulate"


@dataclass(frozen=True)
class LastConversation:
    """The message a draft refers to or, for a follow-up, answers in its thread."""

    subject: str | None = None
    at: datetime | None = None
    message_id: str | None = None
    references: tuple[str, ...] = ()
    thread_id: str | None = None  # the provider's thread (Gmail threadId, Graph conversationId)
    source_id: str | None = None  # the provider's id of that message, for createReply-style sinks
    account: str | None = None  # the account it was seen in, which should hold the draft


@dataclass(frozen=True)
class DraftRequest:
    """One decision, as drafting sees it. `reasons` are sentences a person can read."""

    kind: DraftKind
    addresses: tuple[str, ...]  # the first is written to
    name: str = ""
    person_id: int | None = None
    reasons: tuple[str, ...] = ()
    due: datetime | None = None
    last: LastConversation = LastConversation()
    meeting_title: str | None = None
    occasion: str | None = None  # congratulate: "birthday", "work anniversary"...

    @property
    def person_key(self) -> str:
        """Stable per person: the phrasing choice and "one open draft per person" use it."""
        if self.person_id is not None:
            return f"person:{self.person_id}"
        return f"address:{self.addresses[0].lower()}" if self.addresses else "nobody"
