"""Alembic environment: runs migrations on the engine the app hands over (agent/db.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from touchbase.agent.pipeline.models import Base

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
        # The sqlite3 module opens a transaction only before INSERT/UPDATE/DELETE, so each
        # CREATE TABLE committed on its own and a kill between two left a half-made schema no
        # start could migrate again. Here the driver keeps out and the migration is one
        # transaction of our own. (Everywhere else the module's way stays: reads outside a
        # transaction never turn a later write into a "database is locked".)
        driver.isolation_level = None
    try:
        with connection.begin():
            if sqlite:
                # IMMEDIATE: a second process starting at the same moment waits here (busy
                # timeout) and then finds the schema current, instead of failing half-way.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
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
            driver.isolation_level = ""  # the module's default again, for the pool
            driver.execute("PRAGMA foreign_keys=ON")
