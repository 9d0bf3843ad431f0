"""The database schema as typed SQLAlchemy models. Alembic migrations (agent/migrations) follow it.

Timestamps are stored as UTC and always come back timezone-aware (UTCDateTime), on SQLite too.

No `from __future__ import annotations` here (issue 16): with it every `Mapped[...]` is a string
that SQLAlchemy evaluates again at import (~15% of this module's import time, on every command);
without it Python builds them once. A relationship to a class defined further down names it in
quotes.
"""

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out. SQLite keeps no zone, so it is stored naive-UTC and restored."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; every timestamp must be aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The one MetaData of every table (migrations, create_all); the classes are mapped by the
    group bases below, over it."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, str: String(255)}


# The classes are mapped in seven registries over Base's MetaData, by what is read together
# (issue 16). SQLAlchemy configures a whole registry on its first query, ~0.2 ms a column: 0.02-
# 0.04 s for the whole schema, on every command. Grouped, `status` configures the accounts and
# interactions, `drafts` the drafts, `people` the people and the contact state. A relationship
# names a class of its own group; a foreign key may name any table (one MetaData).


class _Accounts(DeclarativeBase):
    metadata = Base.metadata
    type_annotation_map = Base.type_annotation_map


class _Interactions(DeclarativeBase):
    metadata = Base.metadata
    type_annotation_map = Base.type_annotation_map


class _People(DeclarativeBase):
    metadata = Base.metadata
    type_annotation_map = Base.type_annotation_map


class _Suggestions(DeclarativeBase):
    metadata = Base.metadata
    type_annotation_map = Base.type_annotation_map


class _Drafts(DeclarativeBase):
    metadata = Base.metadata
    type_annotation_map = Base.type_annotation_map


class _AppState(DeclarativeBase):
    metadata = Base.metadata
    type_annotation_map = Base.type_annotation_map


class _ContactState(DeclarativeBase):
    metadata = Base.metadata
    type_annotation_map = Base.type_annotation_map


class Account(_Accounts):
    """One configured source. `type` names its connector (files, imap, gmail, gcal, graph...)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    # Daemon bookkeeping: why the account is failing, since when, and when to try again.
    failing_since: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    # Leases let several workers share a PostgreSQL store without a home-made queue.
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]


class Cursor(_Accounts):
    """An account's resume point, written in the same transaction as the page that carried it."""

    __tablename__ = "cursors"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


def _subject_key(context: Any) -> int | None:
    """The subject_key of a row inserted without one (the store gives it, at no extra cost)."""
    from touchbase.agent.pipeline.subject_keys import subject_key

    return subject_key(context.get_current_parameters().get("subject"))


class InteractionRow(_Interactions):
    """One message or meeting, metadata only. Unique on (account, source_id)."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("account_id", "source_id", name="uq_interactions_account_source"),
        Index("ix_interactions_occurred_at", "occurred_at"),
        Index("ix_interactions_message_id", "message_id"),
        # Replies and provider threads: a refold reads its people's threads whole (migration 0010).
        Index("ix_interactions_in_reply_to", "in_reply_to"),
        Index("ix_interactions_thread_id", "thread_id"),
        # Mail under given subjects in a span of time: the reply lookups (drafts/owed.py,
        # migration 0012).
        Index("ix_interactions_subject_key", "subject_key", "occurred_at"),
        # Copies of one versioned meeting in other accounts, by source id (migration 0008).
        # Partial indexes name their WHERE for SQLite only here: a postgresql_where= would load
        # the PostgreSQL dialect and its four drivers (~0.08 s of every command's start, issue
        # 16) even on SQLite. db.make_engine gives PostgreSQL the same WHERE (partial_indexes).
        Index(
            "ix_interactions_versioned",
            "source_id",
            sqlite_where=text("version IS NOT NULL"),
        ),
        # Meetings by when they end: the ones that ended since the contact state was folded
        # are refolded (agent/pipeline/contact_state.py, migration 0009).
        Index(
            "ix_interactions_meeting_end",
            "ended_at",
            sqlite_where=text("kind = 'meeting'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    subject: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(998))  # RFC 5322 line limit
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)  # space-separated <ids>
    thread_id: Mapped[str | None] = mapped_column(String(255))
    folder: Mapped[str | None]
    flags: Mapped[str] = mapped_column(String(255), default="")  # sorted, comma-separated
    removed_at: Mapped[datetime | None]  # the provider tombstoned it; the contact still happened
    stored_at: Mapped[datetime]
    # A hash of everything above that a provider can change (a meeting moved or cancelled): a
    # record seen again with another digest is updated in place, with the same digest skipped.
    digest: Mapped[str] = mapped_column(String(40), default="")
    # The participants again as one text (agent/history.py encode_parties), so loading every
    # interaction for the rules is one query with no join; NULL: read the participants table.
    parties: Mapped[str | None] = mapped_column(Text)
    # A meeting's RFC 5546 version (SEQUENCE, then LAST-MODIFIED/DTSTAMP) as sortable text, where
    # its source gives one: of copies in several accounts the newest stands (meeting_versions.py).
    version: Mapped[str | None] = mapped_column(String(64))
    # The stripped subject hashed (agent/pipeline/subject_keys.py), written with the row by the
    # store; NULL when the subject is empty once stripped. Anything inserting rows another way
    # gets it from the subject through the default.
    subject_key: Mapped[int | None] = mapped_column(Integer, default=_subject_key)

    participants: Mapped[list["ParticipantRow"]] = relationship(
        back_populates="interaction", cascade="all, delete-orphan", passive_deletes=True
    )


class ParticipantRow(_Interactions):
    """An address on an interaction with its role (from/to/cc/bcc/organizer/attendee)."""

    __tablename__ = "participants"
    __table_args__ = (
        # With the interaction id in the key, a look-up by address needs no table row
        # (migration 0013).
        Index("ix_participants_address", "address", "interaction_id"),
        Index("ix_participants_interaction", "interaction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))  # RFC 5321 maximum
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255), default="")
    response: Mapped[str | None] = mapped_column(String(16))
    resource: Mapped[bool] = mapped_column(Boolean, default=False)
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    is_self: Mapped[bool] = mapped_column(Boolean, default=False)

    interaction: Mapped["InteractionRow"] = relationship(back_populates="participants")


class Person(_People):
    """A human the owner deals with, and the owner's settings for them."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    never_draft: Mapped[bool] = mapped_column(Boolean, default=False)
    cadence_days: Mapped[int | None] = mapped_column(Integer)
    snoozed_until: Mapped[datetime | None]
    birthday: Mapped[date | None] = mapped_column(Date)
    work_anniversary: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    # What a LinkedIn connections export says (issue 18); `profile_url` finds a connection
    # without an email address again, in a newer export or a merge.
    company: Mapped[str | None] = mapped_column(String(255))
    position: Mapped[str | None] = mapped_column(String(255))
    connected_on: Mapped[date | None] = mapped_column(Date)
    profile_url: Mapped[str | None] = mapped_column(String(512), index=True)

    addresses: Mapped[list["PersonAddress"]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class PersonEvent(_People):
    """A dated change in a person's life an import noticed (a new company or position), with
    its evidence (a JSON list of sentences); mail-derived events are the rules' own."""

    __tablename__ = "person_events"
    __table_args__ = (Index("ix_person_events_person", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="[]")
    source: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class PersonAddress(_People):
    """An address belongs to at most one person (explicit merges and imported contacts)."""

    __tablename__ = "person_addresses"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40), default="seen")  # seen, contacts, merge

    person: Mapped["Person"] = relationship(back_populates="addresses")


class MergeSuggestion(_Suggestions):
    """Two addresses that look like one person; merged only when the owner approves."""

    __tablename__ = "merge_suggestions"
    __table_args__ = (UniqueConstraint("address_a", "address_b", name="uq_merge_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address_a: Mapped[str] = mapped_column(String(320))
    address_b: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/merged/declined
    created_at: Mapped[datetime]


class Introduction(_Suggestions):
    """A double opt-in introduction of `address_b` to `address_a` (issue 20): suggested,
    dismissed, asked (the introduce-ask draft to A exists), accepted (A answered; the introduce
    draft to both exists), introduced (that draft was sent) or declined. One row per pair."""

    __tablename__ = "introductions"
    __table_args__ = (
        UniqueConstraint("pair", name="uq_introduction_pair"),
        Index("ix_introductions_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair: Mapped[str] = mapped_column(String(641))  # the two addresses sorted, joined by " "
    address_a: Mapped[str] = mapped_column(String(320))
    address_b: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of sentences
    note: Mapped[str | None] = mapped_column(Text)
    ask_draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="SET NULL"))
    intro_draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="SET NULL"))
    reply_message_id: Mapped[str | None] = mapped_column(String(998))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Draft(_Drafts):
    """A proposed email: pending -> approved -> pushed -> sent, or rejected / snoozed / expired."""

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_status", "status"), Index("ix_drafts_person", "person_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str | None] = mapped_column(Text)
    to_addresses: Mapped[str] = mapped_column(Text)  # JSON list of "Name <address>"
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of sentences
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    thread_id: Mapped[str | None] = mapped_column(String(255))
    reply_to_source_id: Mapped[str | None] = mapped_column(String(512))
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    pushed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    provider_draft_id: Mapped[str | None] = mapped_column(String(255))


class Outbox(_Drafts):
    """Each push attempt of a draft, keyed so that a push is never duplicated."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending/pushed/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SyncRun(_Accounts):
    """One pull of one account: what it stored, skipped and quarantined, and how it ended."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_account", "account_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running/ok/failed/auth
    pages: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    resyncs: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class QuarantinedRecord(_Accounts):
    """A record a connector could not use, with the reason; counted and shown, never lost."""

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint(
            "account_id", "source_id", "location", name="uq_quarantine_account_source_location"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(1024))
    # The file a record came from ("" where the source has no files): one entry per file and
    # record, so the same broken id in four files is listed four times, each with its file.
    location: Mapped[str] = mapped_column(String(1024), default="", server_default="")
    reason: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class SweepSeen(_Accounts):
    """The source ids a reconciling resync (connectors/base.py Sweep) listed so far, per stream.

    Written with each page of the sweep, in its transaction; the sweep's last page tombstones
    the meetings in scope that are not here, then empties the stream's rows.
    """

    __tablename__ = "sweep_seen"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    stream: Mapped[str] = mapped_column(String(255), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(512), primary_key=True)


class AppState(_AppState):
    """Small install-wide values: the review page's secret, the schema's own notes."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ContactState(_ContactState):
    """One person's contact as the fold left it (rules/contact_codec.py JSON), kept current at
    ingest so an evaluation reads people, not interactions (issue 16)."""

    __tablename__ = "contact_state"

    person: Mapped[str] = mapped_column(String(320), primary_key=True)
    data: Mapped[str] = mapped_column(Text)


class ContactStateHeader(_ContactState):
    """The one row saying what the contact state was folded from: a fingerprint of everything a
    full fold depends on (the fold's policy fields, the owner's addresses, the codec's shape),
    the moment it was folded for, who was who (merges, names) then, and a generation that each
    writer bumps, so an evaluation that read an older state writes nothing."""

    __tablename__ = "contact_state_header"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    folded_at: Mapped[datetime]
    generation: Mapped[int] = mapped_column(Integer)
    identities: Mapped[str] = mapped_column(Text)


class ContactAddress(_ContactState):
    """Each stored participant address (as stored), its normal form and the person it was
    folded under: which raw addresses to load when refolding a person."""

    __tablename__ = "contact_addresses"
    __table_args__ = (
        Index("ix_contact_addresses_person", "person"),
        Index("ix_contact_addresses_normal", "normal"),
    )

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    normal: Mapped[str] = mapped_column(String(320))
    person: Mapped[str] = mapped_column(String(320))


class ContactDirty(_ContactState):
    """An address whose interactions changed since the contact state was folded (marked in the
    page's transaction). Never unique: a mark made while an evaluation refolds has a higher id
    and survives its clean-up."""

    __tablename__ = "contact_dirty"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320))


class ContactStanding(_ContactState):
    """One person's standing (rules/standing.py assess) as the last evaluation found it, with
    the moment it next changes on its own (`changes_at`: a due date, dormancy, a reply owed
    expiring; None: never) and what it was assessed from besides the contact (`basis`: the
    policy, imported life events, the rules' version). Replaced with the person's contact, in
    the same transaction, so it is never older than the contact it was assessed from."""

    __tablename__ = "contact_standing"

    person: Mapped[str] = mapped_column(String(320), primary_key=True)
    changes_at: Mapped[datetime | None]
    basis: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)


# Every group's registry, in the order above (tests check that they cover Base.metadata).
REGISTRIES = tuple(
    base.registry
    for base in (
        _Accounts,
        _Interactions,
        _People,
        _Suggestions,
        _Drafts,
        _AppState,
        _ContactState,
    )
)
