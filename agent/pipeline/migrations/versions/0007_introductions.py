"""Introductions (issue 20): double opt-in introductions between two of the owner's people.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:35:00

One row per pair (`pair`: the two addresses sorted and joined, unique, so an introduction is
never made twice and a dismissed or declined one is remembered). `address_a` is the one asked
first, `address_b` the one introduced. `state`: suggested, dismissed, asked, accepted,
introduced, declined. The first draft (`ask_draft_id`, kind introduce-ask) asks A; when A
answers in its thread the second (`intro_draft_id`, kind introduce) is made in the same
transaction that moves the row to accepted, so it is made once whatever is killed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "introductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair", sa.String(length=641), nullable=False),
        sa.Column("address_a", sa.String(length=320), nullable=False),
        sa.Column("address_b", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("ask_draft_id", sa.Integer(), nullable=True),
        sa.Column("intro_draft_id", sa.Integer(), nullable=True),
        sa.Column("reply_message_id", sa.String(length=998), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ask_draft_id"], ["drafts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["intro_draft_id"], ["drafts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pair", name="uq_introduction_pair"),
    )
    op.create_index("ix_introductions_state", "introductions", ["state"])


def downgrade() -> None:
    op.drop_index("ix_introductions_state", table_name="introductions")
    op.drop_table("introductions")
