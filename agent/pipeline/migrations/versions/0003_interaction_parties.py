"""Interactions carry their participants as one compact text, so the rules load in one query.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 22:50:00

The participants table stays the truth (and the address index for "whose interactions"); this
column repeats it in the form agent/history.py reads: parties separated by \\x1e, fields by
\\x1f (address, role, name, response, then resource/optional/is_self as 0/1 digits). Rows whose
text holds a separator keep NULL, and the reader falls back to the table for them. Existing rows
are filled here, in batches, with the same encoding as agent/history.py `encode_parties`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("parties", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "select interaction_id, address, role, name, response, resource, optional, is_self "
            "from participants order by interaction_id, id"
        )
    ).all()  # one pass; an install has at most a few million short rows
    update = sa.text("update interactions set parties = :parties where id = :id")
    encoded: dict[int, list[str] | None] = {}
    for iid, address, role, name, response, resource, optional, is_self in rows:
        fields = (address, role, name or "", response or "")
        parts = encoded.setdefault(iid, [])
        if parts is None or any("\x1e" in f or "\x1f" in f for f in fields):
            encoded[iid] = None
            continue
        flags = f"{int(bool(resource))}{int(bool(optional))}{int(bool(is_self))}"
        parts.append("\x1f".join((*fields, flags)))
    batch_rows = [
        {"id": iid, "parties": None if parts is None else "\x1e".join(parts)}
        for iid, parts in encoded.items()
    ]
    for start in range(0, len(batch_rows), _BATCH):
        connection.execute(update, batch_rows[start : start + _BATCH])
    # Interactions without participants: an empty list, not "unknown".
    connection.execute(
        sa.text(
            "update interactions set parties = '' where parties is null and id not in "
            "(select interaction_id from participants)"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("parties")
