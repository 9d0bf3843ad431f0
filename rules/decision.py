"""What the rules hand to the agent: decisions, holds and the plan, as plain values.

Everything a draft needs is on the Decision as data (the thread to answer, the meeting, the
occasion, a usable topic), so nothing downstream has to search reason sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import NamedTuple

from touchbase.rules.contacts_acc import MeetingRef
from touchbase.rules.dates import KnownDate
from touchbase.rules.life_events import LifeEvent
from touchbase.rules.merges import Sighting


def _empty() -> Mapping[str, object]:
    return MappingProxyType({})


class OwedMail(NamedTuple):
    """Their latest direct mail to the owner, which awaits an answer (rules/standing.py
    reply_owed), as its headers tell: where it is, who it went to, what it is called."""

    interaction_id: int
    at: datetime
    subject: str | None
    message_id: str | None
    thread_id: str | None
    account: str
    to_owner: bool  # the owner in To, not only in Cc
    others: int  # other people it went to (To and Cc), the sender aside
    copied_owner: bool = False  # the owner in Cc
    to: tuple[str, ...] = ()  # the other addresses in To
    # It answers the owner's own mail to them (its In-Reply-To, or the same subject stripped
    # of Re:/Fw:, sent by the owner to them before it): most often the end of that exchange.
    answers_owner: bool = False
    # The owner wrote under its subject (Re:/Fw: aside) after it came, to anyone: it was passed
    # on or dealt with elsewhere; when, or None.
    handled: datetime | None = None


@dataclass(frozen=True, slots=True)
class Circumstances:
    """What the agent knows beyond interactions, as plain data (keys are person keys).

    `account_history`: account -> (interactions it had before its latest full sync, interactions
    it has now). An account that had some and now has none trips the safety valve.
    `open_drafts` and `rejected` hold person keys and addresses (a draft to an address nobody
    merged is keyed by it); `rejected` maps each to the latest time the owner rejected a draft.
    `drafts_today` counts drafts created since the owner's local midnight. `owner_name` is
    the owner's own name (people who share its surname are family, or the owner: not nagged).
    `events`: life events the owner's own records tell (a newer contacts export naming a new
    company or position), by person key; those seen in mail are on each Contact.
    """

    open_drafts: frozenset[str] = frozenset()
    rejected: Mapping[str, datetime] = field(default_factory=_empty)  # type: ignore[arg-type]
    snoozed: Mapping[str, datetime] = field(default_factory=_empty)  # type: ignore[arg-type]
    known_dates: Mapping[str, tuple[KnownDate, ...]] = field(default_factory=_empty)  # type: ignore[arg-type]
    drafts_today: int = 0
    owner_name: str = ""
    kept_apart: frozenset[tuple[str, str]] = frozenset()  # address pairs: not one person
    account_history: Mapping[str, tuple[int, int]] = field(default_factory=_empty)  # type: ignore[arg-type]
    events: Mapping[str, tuple[LifeEvent, ...]] = field(default_factory=_empty)  # type: ignore[arg-type]
    # Addresses seen in headers that may be a due person's newer one (rules/merges.py).
    sightings: Mapping[str, tuple[Sighting, ...]] = field(default_factory=_empty)  # type: ignore[arg-type]
    # Their direct mail that awaits the owner's answer, by person key, as its headers tell
    # (read from the store for people a reply may be drafted for; rules/replies.py).
    owed: Mapping[str, OwedMail] = field(default_factory=_empty)  # type: ignore[arg-type]
    # The domains of the owner's own addresses: colleagues there are co-workers or have left
    # (rules/workplace.py).
    owner_domains: frozenset[str] = frozenset()


class ReplyTo(NamedTuple):
    """The message a follow-up answers, so the draft lands in the same thread."""

    interaction_id: int
    message_id: str | None
    thread_id: str | None
    account: str
    subject: str | None
    at: datetime | None = None  # when the owner wrote it ("my note of 21 Dec")


class Occasion(NamedTuple):
    """What a congratulation is for: a known date's kind, the day, and how many years."""

    kind: str  # "birthday", "work-anniversary", or the owner's own word
    on: date
    years: int | None = None
    where: str = ""  # a new role's organisation as a person names it ("Raviga Capital")


LEFT = "left"  # a Topic's kind: the organisation they left (see Topic)


class Topic(NamedTuple):
    """Something a draft may name, and when. `kind` says what it is, so the words fit it:
    "thread" a conversation whose subject reads as a topic (rules.topics); "social" a shared
    social occasion ("Steve's Happy Hour", "the baby shower"); "moved" the organisation they
    moved to, as a person names it ("Mirant"), with `at` when the move was first seen; "left"
    the organisation they left, when the owner has been in touch at their newer address since
    (the move is no news any more, life after it is: "How's life after Enron?")."""

    text: str
    at: datetime
    kind: str = "thread"


@dataclass(frozen=True, slots=True)
class Decision:
    """Draft this for this person: `due` is when it became due (never after `now`).

    `address` is the one to write to (the one they use now). `name` is the best name known,
    `name_guessed` when it only comes from an address like first.last@. `topic` is a
    conversation worth naming, or None: then the draft must not need one. `suggest_call` says
    whether offering a call fits the tie. `meeting` is the meeting a thank-you is for,
    `occasion` what a congratulation is for, `reply_to` the thread a follow-up answers.
    """

    person: str
    address: str
    name: str
    kind: str
    due: datetime
    reasons: tuple[str, ...]
    strength: float = 0.0  # the relationship's strength: stronger ones go first
    reply_to: ReplyTo | None = None
    topic: Topic | None = None
    name_guessed: bool = False
    tier: str = ""
    last_contact: datetime | None = None
    meeting: MeetingRef | None = None
    occasion: Occasion | None = None
    suggest_call: bool = False
    # How the tie reads from the mail: "warm" (personal or social signals: casual words fit),
    # "work" (only working mail: plain, brief words), "" unknown.
    register: str = ""


@dataclass(frozen=True, slots=True)
class Held:
    """A decision kept back, and the named rule that kept it; `due` is when the draft it holds
    became due (a thank-you's is within its window, a check-in's its cadence)."""

    person: str
    kind: str
    rule: str
    reason: str
    due: datetime | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """What to draft now, what waits and why; `stopped` says why nothing may be drafted."""

    decisions: tuple[Decision, ...]
    held: tuple[Held, ...]
    stopped: str | None = None


__all__ = [
    "Circumstances",
    "Decision",
    "Held",
    "Occasion",
    "OwedMail",
    "Plan",
    "ReplyTo",
    "Topic",
]
