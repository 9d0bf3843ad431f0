"""Persisted standings (issue 16): an evaluation reads each person's assessed standing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:50:00

`contact_standing` holds each person's standing (rules/standing.py assess) as the last
evaluation found it, the moment it next changes on its own (`changes_at`) and a hash of what
besides the contact it was assessed from (`basis`). An evaluation re-assesses only the people
whose contact was refolded, whose moment came or whose basis changed. An existing database
starts with none: its first evaluation assesses everyone once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_standing",
        sa.Column("person", sa.String(length=320), primary_key=True),
        sa.Column("changes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("basis", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("contact_standing")
