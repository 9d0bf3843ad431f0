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
    REPLY = "reply"  # answers a person's direct mail that awaits the owner, in its thread
    INTRODUCE_ASK = "introduce-ask"  # asks A whether they would like to meet B (issue 20)
    INTRODUCE = "introduce"  # introduces A and B to each other, once A said yes


@dataclass(frozen=True)
class Introducing:
    """The other person of an introduction, as the words may name them: B for the ask to A
    (with the owner's note, B's organisation, how long the owner has known B and topics of
    recent threads with B that pass subject hygiene); for the introduction itself, B again."""

    name: str = ""
    addresses: tuple[str, ...] = ()
    organisation: str = ""
    known_since: datetime | None = None
    topics: tuple[str, ...] = ()
    note: str = ""


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
    """One decision, as drafting sees it. `reasons` are sentences a person can read.

    `topic` is a conversation worth naming (already judged usable by rules.topics), or None:
    then the draft must read well without one. `last` is the thread a follow-up answers.
    `last_contact` is when they were last in touch (for "it has been ..."), `tier` how deep the
    relationship is, `suggest_call` whether offering a call fits the tie.
    """

    kind: DraftKind
    addresses: tuple[str, ...]  # the first is written to
    name: str = ""
    name_guessed: bool = False  # the name only comes from an address like first.last@
    person_id: int | None = None
    reasons: tuple[str, ...] = ()
    due: datetime | None = None
    last: LastConversation = LastConversation()
    topic: str | None = None
    topic_at: datetime | None = None
    last_contact: datetime | None = None
    tier: str = ""
    suggest_call: bool = False
    meeting_title: str | None = None
    meeting_at: datetime | None = None
    occasion: str | None = None  # congratulate: "birthday", "work anniversary"...
    occasion_years: int | None = None
    occasion_where: str = ""  # a new role's organisation ("Raviga Capital"), never a domain
    introducing: Introducing | None = None  # introduce-ask, introduce: the other person
    # How the tie reads (rules Decision.register): "warm", "work" or "" (not known).
    register: str = ""
    # What `topic` is (rules Topic.kind): "thread", "social" (a shared occasion's subject),
    # "moved" (the organisation they moved to, "" when not known; `moved_from` the one left) or
    # "left" (the organisation they left, the owner in touch at their newer address since).
    topic_kind: str = "thread"
    moved_from: str = ""

    @property
    def person_key(self) -> str:
        """Stable per person: the phrasing choice and "one open draft per person" use it."""
        if self.person_id is not None:
            return f"person:{self.person_id}"
        return f"address:{self.addresses[0].lower()}" if self.addresses else "nobody"
