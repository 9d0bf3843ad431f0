"""The participants' address index carries the interaction id (issue 16).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:20:00

Every look-up by address wants the interactions the address is on: a person's page and a
partial refold read a person's mail (agent/pipeline/history.py), sightings read address ranges
(agent/pipeline/sightings.py), the owner's guess counts interactions per address. With the
address alone in the index each hit went back to the table for its `interaction_id`; with both
in the key the index answers by itself (SQLite: a covering index; PostgreSQL: an index-only
scan once vacuumed). Finding the 35,117 rows of bench/rules.py's busiest person: 0.073 ->
0.012 s. The name is kept, so a first sync still defers it by name (agent/pipeline/first_sync.py
DEFERRED_INDEXES). Rebuilding it at 1,000,000 interactions takes a few seconds.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A first sync killed before its last page leaves the index missing on purpose (the next run
    # builds it): dropping only what exists, then building the new shape, is right either way.
    op.drop_index("ix_participants_address", table_name="participants", if_exists=True)
    op.create_index("ix_participants_address", "participants", ["address", "interaction_id"])


def downgrade() -> None:
    op.drop_index("ix_participants_address", table_name="participants", if_exists=True)
    op.create_index("ix_participants_address", "participants", ["address"])
