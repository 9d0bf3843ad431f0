"""Alembic environment: runs migrations on the engine the app hands over (agent/db.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from agent.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` run by hand, e.g. to write a new revision
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///alembic-dev.db")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
