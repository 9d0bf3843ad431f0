"""Mail by In-Reply-To and by provider thread id (issue 16): a partial refold reads a person's
threads whole.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:20:00

The fold's per-thread memory (who started a thread, who answered it) needs everyone's messages
in it, so a refold of some people loads the other stored mail of their threads, and a stored
page marks the people of its threads (agent/pipeline/history.py `_same_threads`,
contact_state.mark_page): replies to given Message-IDs and mail of given provider thread ids,
each found through its index instead of a pass over every interaction.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_interactions_in_reply_to", "interactions", ["in_reply_to"])
    op.create_index("ix_interactions_thread_id", "interactions", ["thread_id"])


def downgrade() -> None:
    # A first sync into an empty store builds these after its last page (first_sync.py's
    # DEFERRED_INDEXES): one killed, or still running, leaves them missing until the next run.
    op.drop_index("ix_interactions_thread_id", table_name="interactions", if_exists=True)
    op.drop_index("ix_interactions_in_reply_to", table_name="interactions", if_exists=True)
