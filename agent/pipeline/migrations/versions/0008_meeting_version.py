"""A meeting's version, so one event imported through two accounts is one meeting (issue 14.4).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:10:00

`version` is what RFC 5546 2.1.5 orders an event's copies by (SEQUENCE, then LAST-MODIFIED or
DTSTAMP), as sortable text; NULL for records whose source gives none (mail, provider calendars).
Meetings sharing a source id (UID plus occurrence) in several accounts are settled by it: the
newest stands, the others are flagged "superseded" (agent/pipeline/meeting_versions.py). The
partial index finds the copies by source id across accounts without costing mail anything.
Existing rows keep NULL until their file is read again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_VERSIONED = sa.text("version IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("version", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_interactions_versioned",
        "interactions",
        ["source_id"],
        sqlite_where=_VERSIONED,
        postgresql_where=_VERSIONED,
    )


def downgrade() -> None:
    op.drop_index("ix_interactions_versioned", table_name="interactions")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("version")
