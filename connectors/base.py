"""Record types and the two seams every connector implements: Source and DraftSink.

Glossary (DESIGN.md), the same words everywhere:

- **account**: one configured source (a Gmail login, an IMAP server, a folder of files).
- **interaction**: one message sent or received, or one meeting, reduced to metadata. Unique on
  (account, source_id): storing it twice is a no-op.
- **participant**: an address on an interaction with its role (from / to / cc / bcc / organizer /
  attendee). Direction (sent, received) is not a connector's business: the rules derive it from
  the owner's addresses, so adding an owner address later needs no re-import.
- **cursor**: an opaque, per-account resume point (a JSON string the connector alone reads). It is
  valid once the page that carried it is stored, never before.
- **page**: a batch of interactions, quarantined records and tombstones, plus the cursor that is
  valid once they are stored. The store writes a page and its cursor in one transaction.
- **draft**: a proposed email. A DraftSink puts an approved draft into the provider's own Drafts
  folder. No connector can send mail: there is no send method anywhere, by design.

Connectors turn provider responses into these types and nothing more: no database, no clock
(except what the protocol hands them), no policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class Kind(StrEnum):
    """What an interaction is."""

    MAIL = "mail"
    MEETING = "meeting"


class Role(StrEnum):
    """Where an address stands on an interaction."""

    FROM = "from"
    TO = "to"
    CC = "cc"
    BCC = "bcc"
    ORGANIZER = "organizer"
    ATTENDEE = "attendee"
    FAILED = "failed"  # a delivery failure's failed recipient (connectors/bounces.py)


class Response(StrEnum):
    """A meeting participant's answer (iCalendar PARTSTAT, Google responseStatus, Graph status)."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"
    NEEDS_ACTION = "needs-action"


class Flag(StrEnum):
    """Facts about an interaction that the rules weigh. Connectors set what the headers say."""

    BULK = "bulk"  # List-Id, List-Unsubscribe, Precedence: bulk|list|junk
    AUTOMATED = "automated"  # Auto-Submitted other than "no" (RFC 3834)
    AUTO_REPLY = "auto-reply"  # out-of-office / vacation answers (X-Autoreply, subject patterns)
    CANCELLED = "cancelled"  # a cancelled meeting (STATUS:CANCELLED, isCancelled)
    ALL_DAY = "all-day"  # a meeting with a date, not a time
    ATTENDEES_OMITTED = "attendees-omitted"  # the provider did not list everyone
    DRAFT = "draft"  # found in a Drafts folder: not yet an interaction that happened
    SUPERSEDED = "superseded"  # set by the store: a newer version of this meeting stands


@dataclass(frozen=True, slots=True)
class Participant:
    """One address on an interaction. `address` is lower-cased; `name` is the display name."""

    address: str
    role: Role
    name: str = ""
    response: Response | None = None  # meetings only
    resource: bool = False  # a room or a piece of equipment, never a person
    optional: bool = False
    is_self: bool = False  # the provider says this is the account owner (Google "self")

    def __reduce__(self) -> tuple[Any, ...]:
        # Pages cross a pipe between the import's two processes (agent/pullahead.py); the
        # default for slotted dataclasses looks up the fields again for every object, 3x slower.
        values = (self.address, self.role, self.name, self.response, self.resource, self.optional)
        return (Participant, (*values, self.is_self))


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    """One message or meeting, metadata only. Never carries a body.

    `occurred_at` is timezone-aware UTC: the Date header (or the server's arrival time when the
    Date is unusable) for mail, the start for a meeting. `ended_at` is a meeting's end.
    `folder` is the provider's own hint ("sent", "inbox", "drafts", a label or a folder name).
    """

    source_id: str
    kind: Kind
    occurred_at: datetime
    participants: tuple[Participant, ...]
    subject: str | None = None
    ended_at: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    thread_id: str | None = None
    folder: str | None = None
    flags: frozenset[Flag] = frozenset()
    # A meeting's version as sortable text (RFC 5546 2.1.5: SEQUENCE, then LAST-MODIFIED or
    # DTSTAMP), where the source says; of one event's copies in several accounts the newest
    # stands (issue 14.4). None: no version known (mail, provider calendars).
    version: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # See Participant.__reduce__. Field order as declared above.
        head = (self.source_id, self.kind, self.occurred_at, self.participants, self.subject)
        tail = (self.message_id, self.in_reply_to, self.references, self.thread_id, self.folder)
        return (InteractionRecord, (*head, self.ended_at, *tail, self.flags, self.version))

    def addresses(self, *roles: Role) -> list[str]:
        """The addresses with any of `roles` (all roles when none is given), in order."""
        return [p.address for p in self.participants if not roles or p.role in roles]


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that could not be used: where it was and why. Counted, never silently dropped.

    `location` names the file (or folder) it came from, where the source has such a thing: the
    same broken id in four files is four entries, one per file.
    """

    source_id: str
    reason: str
    location: str = ""


@dataclass(frozen=True, slots=True)
class Sweep:
    """A full resync of one stream that reconciles: every page of it carries one.

    After an expired cursor (Calendar 410, a Graph fresh round, UIDVALIDITY) the provider lists
    everything again and reports no deletions made while the cursor was dead. The store keeps
    the ids each page of the sweep listed; the page marked `done` tombstones the stored meetings
    of `folder` that start in [since, until) and were not listed, in that page's transaction.
    `started` (the first page) forgets what an unfinished earlier sweep of `stream` saw. A crash
    mid-sweep loses nothing and deletes nothing: the next run resumes the sweep at its cursor.
    Mail is never tombstoned (a message moved or archived still happened), so only connectors
    with meetings need sweeps.
    """

    stream: str  # the connector's name for the collection ("calendar:primary")
    folder: str  # the `folder` its records are stored with
    since: datetime | None = None  # the resync's window: the provider listed only this span
    until: datetime | None = None
    started: bool = False
    done: bool = False


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One address book entry (a CardDAV vCard): what the owner says about a person.

    Stored where `touchbase contacts import` writes (the person with these addresses, their name
    and dates). `anniversary` is the vCard ANNIVERSARY; `organization` and `title` are ORG and
    TITLE, so that a change of job can be noticed. Dates without a year carry year 1.
    """

    source_id: str
    addresses: tuple[str, ...]
    name: str = ""
    birthday: date | None = None
    anniversary: date | None = None
    organization: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class Page:
    """What one step of a pull yields. Stored in one transaction with its cursor.

    `removed` lists source ids the provider tombstoned (Graph `@removed`, an expunged UID).
    `resync` is set on the first page of a full resync after an expired cursor, so the store can
    record that it happened (DESIGN.md contract 2). `contacts` are address book entries, stored
    in the same transaction as the rest of the page. `sweep` marks the pages of a resync that
    reconciles (Sweep).
    """

    interactions: list[InteractionRecord] = field(default_factory=list)
    cursor: str | None = None
    quarantined: list[Quarantined] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    resync: bool = False
    contacts: list[ContactRecord] = field(default_factory=list)  # address books (CardDAV)
    sweep: Sweep | None = None


@runtime_checkable
class Source(Protocol):
    """Pulls an account's interactions from a cursor onward.

    `pull(None)` is a full sync. `pull(cursor)` resumes after the last stored page. Each yielded
    page carries the cursor that is valid once it and every page before it are stored. Pulling
    again from the last cursor when nothing changed yields no interaction (it may yield an empty
    page with a fresher cursor). An expired cursor is handled inside `pull` (a full resync, the
    first page marked `resync`); it raises only the errors in `touchbase.connectors.errors`.
    """

    def pull(self, cursor: str | None) -> Iterator[Page]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DraftMessage:
    """An approved draft, ready for a provider's Drafts folder.

    `raw` is the complete RFC 5322 message (headers sanitised by the agent). `message_id` is the
    Message-ID touchbase generated for it; `idempotency_key` is the outbox key. A sink finds a
    draft it already pushed by either.
    """

    idempotency_key: str
    message_id: str
    raw: bytes
    to: tuple[str, ...]
    subject: str
    thread_id: str | None = None  # the provider's thread (Gmail threadId, Graph conversation)
    in_reply_to: str | None = None
    reply_to_source_id: str | None = None  # the provider id of the message being answered


@runtime_checkable
class DraftSink(Protocol):
    """Puts drafts into the owner's own Drafts folder. There is no way to send, on purpose.

    `push_draft` is not idempotent on the wire, so callers look a draft up with `find_draft`
    before retrying after an ambiguous failure (DESIGN.md contract 4).
    """

    def push_draft(self, draft: DraftMessage) -> str:
        """Store the draft; return the provider's id for it."""
        ...

    def find_draft(self, draft: DraftMessage) -> str | None:
        """The provider's id of a draft pushed earlier with this Message-ID or key, or None."""
        ...


class Secrets(Protocol):
    """An account's secrets (passwords, refresh tokens, token caches), by name.

    The agent decides where they live (OS keyring, an owner-only file, a command, an environment
    variable) from the account's configuration; connectors only ask for and store values by name
    ("password", "refresh_token", "token_cache"...). Values are never logged.
    """

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


@dataclass(frozen=True, slots=True)
class AccountContext:
    """What the agent hands a connector factory besides the account's own settings.

    Each connector module exposes `open_account(settings, context) -> object` where `settings` is
    the account's TOML table (a mapping, already type-checked by the connector itself with clear
    messages raised as `ConnectorError(..., advice=...)`) and the returned object implements
    Source, and DraftSink where the provider has a Drafts folder. The agent's registry maps the
    account `type` to that factory.
    """

    name: str
    secrets: Secrets
    me: tuple[str, ...] = ()  # the owner's addresses, lower-cased
    data_dir: str = ""  # a folder the connector may keep files in (created by the agent)
