"""Life events (issue 18): what a LinkedIn export says about people, and the changes it shows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:30:00

`people` gains `company`, `position`, `connected_on` and `profile_url` (a LinkedIn connection's
page: how a connection without an email address is found again in a newer export and offered
for a merge when mail from them appears). `person_events` keeps the dated changes an import
noticed (a new company or position), with their evidence; the rules congratulate from them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("company", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("position", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("connected_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("profile_url", sa.String(length=512), nullable=True))
        batch.create_index("ix_people_profile_url", ["profile_url"])
    op.create_table(
        "person_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_person_events_person", "person_events", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_person_events_person", table_name="person_events")
    op.drop_table("person_events")
    with op.batch_alter_table("people") as batch:
        batch.drop_index("ix_people_profile_url")
        batch.drop_column("profile_url")
        batch.drop_column("connected_on")
        batch.drop_column("position")
        batch.drop_column("company")
