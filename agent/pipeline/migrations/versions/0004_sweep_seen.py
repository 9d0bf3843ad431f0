"""The ids a reconciling resync listed so far, so its last page can tombstone the rest.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:00:00

A resync after an expired cursor (Calendar 410, a Graph fresh round) lists everything again
but reports nothing deleted while the cursor was dead (issue 15.3). Each page of the resync
records the ids it listed here, in its own transaction; the last page tombstones the meetings
in the resync's window that were not listed and empties the stream's rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_seen",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=255), nullable=False),
        sa.Column("source_id", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "stream", "source_id"),
    )


def downgrade() -> None:
    op.drop_table("sweep_seen")
