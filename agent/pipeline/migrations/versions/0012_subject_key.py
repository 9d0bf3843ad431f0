"""Interactions carry their stripped subject's key, indexed with the time (issue 16).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 13:10:00

The reply lookups (agent/pipeline/drafts/owed.py) read the mail under given subjects, Re:/Fw:
aside, in a span of weeks. They read every subject of those weeks to strip it in Python; with
`subject_key` (agent/pipeline/subject_keys.py) and ix_interactions_subject_key they read the
rows under the wanted keys only. Existing rows get their key here, computed by the same Python
function the store calls at insert: on SQLite as an SQL function inside one UPDATE, on
PostgreSQL a batch of ids and keys at a time, joined in by one UPDATE each.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from touchbase.agent.pipeline.subject_keys import subject_key

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BATCH = 50_000  # rows read and written back at a time on PostgreSQL


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("subject_key", sa.Integer(), nullable=True))
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        _fill_sqlite(connection)
    else:
        _fill_in_batches(connection)
    op.create_index("ix_interactions_subject_key", "interactions", ["subject_key", "occurred_at"])


def _fill_sqlite(connection: sa.Connection) -> None:
    """One UPDATE, the key computed by SQLite calling subject_key for each row."""
    raw: Any = connection.connection.driver_connection
    raw.create_function("touchbase_subject_key", 1, subject_key, deterministic=True)
    connection.exec_driver_sql(
        "UPDATE interactions SET subject_key = touchbase_subject_key(subject) "
        "WHERE subject IS NOT NULL AND subject != ''"
    )


def _fill_in_batches(connection: sa.Connection) -> None:
    """Ids and subjects read in id order, a batch at a time; the keys written back by one
    UPDATE ... FROM unnest(ids, keys) per batch (one statement per row was the slow way)."""
    last = 0
    while True:
        rows = connection.execute(
            sa.text("SELECT id, subject FROM interactions WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        ids: list[int] = []
        keys: list[int] = []
        for ident, subject in rows:
            key = subject_key(subject)
            if key is not None:
                ids.append(ident)
                keys.append(key)
        if ids:
            connection.exec_driver_sql(
                "UPDATE interactions SET subject_key = batch.key "
                "FROM unnest(%s::bigint[], %s::integer[]) AS batch(id, key) "
                "WHERE interactions.id = batch.id",
                (ids, keys),
            )


def downgrade() -> None:
    # A first sync into an empty store builds the index after its last page (agent/pipeline/
    # first_sync.py DEFERRED_INDEXES): one killed, or still running, leaves it missing.
    op.drop_index("ix_interactions_subject_key", table_name="interactions", if_exists=True)
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("subject_key")
