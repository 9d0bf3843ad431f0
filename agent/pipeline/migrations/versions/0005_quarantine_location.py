"""Quarantine entries per file and record: the file a record came from is part of the key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:40:00

The same broken event id failing in four calendar files was one entry naming one file (issue
14.9: 100 failures listed as 85). `location` holds the file ("" where a source has no files:
IMAP, Gmail, Graph), and the unique key becomes (account, source id, location). Existing
entries keep "" (which file they came from was not recorded); the next import of their files
adds entries that name them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(
            sa.Column("location", sa.String(length=1024), nullable=False, server_default="")
        )
        batch.drop_constraint("uq_quarantine_account_source", type_="unique")
        batch.create_unique_constraint(
            "uq_quarantine_account_source_location", ["account_id", "source_id", "location"]
        )


def downgrade() -> None:
    # Back to one entry per id: keep the oldest of each id's entries.
    op.execute(
        "delete from quarantine where id not in "
        "(select min(id) from quarantine group by account_id, source_id)"
    )
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_constraint("uq_quarantine_account_source_location", type_="unique")
        batch.create_unique_constraint("uq_quarantine_account_source", ["account_id", "source_id"])
        batch.drop_column("location")
