"""Persisted per-person contact state (issue 16): evaluation reads people, not interactions.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:30:00

`contact_state` holds each person's folded contact as JSON (rules/contact_codec.py);
`contact_state_header` what it was folded from and for when; `contact_addresses` which stored
addresses belong to which person; `contact_dirty` the addresses whose interactions a page
changed since. The partial index finds the meetings that ended since the state's moment. An
existing database starts with no state: its first evaluation folds everyone once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_MEETING = sa.text("kind = 'meeting'")


def upgrade() -> None:
    op.create_table(
        "contact_state",
        sa.Column("person", sa.String(length=320), primary_key=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_table(
        "contact_state_header",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("identities", sa.Text(), nullable=False),
    )
    op.create_table(
        "contact_addresses",
        sa.Column("address", sa.String(length=320), primary_key=True),
        sa.Column("normal", sa.String(length=320), nullable=False),
        sa.Column("person", sa.String(length=320), nullable=False),
    )
    op.create_index("ix_contact_addresses_person", "contact_addresses", ["person"])
    op.create_index("ix_contact_addresses_normal", "contact_addresses", ["normal"])
    op.create_table(
        "contact_dirty",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address", sa.String(length=320), nullable=False),
    )
    op.create_index(
        "ix_interactions_meeting_end",
        "interactions",
        ["ended_at"],
        sqlite_where=_MEETING,
        postgresql_where=_MEETING,
    )


def downgrade() -> None:
    op.drop_index("ix_interactions_meeting_end", table_name="interactions")
    op.drop_table("contact_dirty")
    op.drop_index("ix_contact_addresses_normal", table_name="contact_addresses")
    op.drop_index("ix_contact_addresses_person", table_name="contact_addresses")
    op.drop_table("contact_addresses")
    op.drop_table("contact_state_header")
    op.drop_table("contact_state")
