"""Alembic environment: runs migrations on the engine the app hands over (agent/db.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from agent.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` run by hand, e.g. to write a new revision
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///alembic-dev.db")

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection from the pool
    if sqlite:
        # Batch mode rebuilds a table (copy, DROP, rename); with foreign keys on, that DROP
        # would cascade into every row referencing the table (all participants, when a
        # downgrade rebuilds interactions). The pragma only acts outside a transaction.
        driver.execute("PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                # SQLite cannot ALTER most things in place; batch mode copies the table instead.
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if sqlite:
            driver.execute("PRAGMA foreign_keys=ON")
