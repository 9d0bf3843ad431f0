"""Interactions carry a digest so that a changed record (a moved meeting) is updated in place.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(
            sa.Column("digest", sa.String(length=40), nullable=False, server_default="")
        )
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("updated", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("updated")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("digest")
