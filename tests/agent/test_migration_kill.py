"""A process killed in the middle of migrating leaves a database the next start migrates.

Each migration runs in one transaction on SQLite too: the sqlite3 module, left to itself,
runs CREATE TABLE outside any transaction, so a kill between two statements of a migration
left tables without the revision that made them, and every later start failed with "table
accounts already exists". Here the process dies (os._exit, as abrupt as SIGKILL) right after
the migration's first table (accounts) is created, in the migration's own transaction.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from tests.conftest import REPO
from touchbase.agent.pipeline.db import open_database, sqlite_url

DIE_AFTER_FIRST_TABLE = """
import os, sys
sys.path.insert(0, {repo!r})
from sqlalchemy import event
from touchbase.agent.pipeline import db

made = db.make_engine

def make_engine(url):
    engine = made(url)

    def after(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("CREATE TABLE ACCOUNTS"):
            os._exit(9)  # no rollback, no close: as if killed

    event.listen(engine, "after_cursor_execute", after)
    return engine

db.make_engine = make_engine
db.open_database({url!r})
"""


def test_a_kill_in_the_middle_of_a_migration_leaves_nothing_half_made(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "t.db")
    died = subprocess.run(
        [sys.executable, "-c", DIE_AFTER_FIRST_TABLE.format(repo=str(REPO), url=url)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert died.returncode == 9, died.stderr  # it did die inside the migration
    sessions = open_database(url)  # the next start: migrates from scratch, no error
    engine = sessions.kw["bind"]
    tables = set(inspect(engine).get_table_names())
    assert {"accounts", "interactions", "participants", "alembic_version"} <= tables
    engine.dispose()


def test_a_downgrade_that_rebuilds_interactions_keeps_their_participants(tmp_path: Path) -> None:
    """SQLite rebuilds a table to drop a column (alembic batch mode: copy, DROP, rename); with
    foreign keys on, the DROP cascaded into every participant row."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import func, select

    from touchbase.agent.pipeline.db import alembic_config
    from touchbase.agent.pipeline.models import ParticipantRow
    from touchbase.agent.pipeline.store import Store
    from touchbase.connectors.base import InteractionRecord, Kind, Page, Role
    from touchbase.connectors.base import Participant as P

    sessions = open_database(sqlite_url(tmp_path / "t.db"))
    store = Store(sessions)
    now = datetime(2024, 5, 6, tzinfo=UTC)
    account = store.ensure_account("a", "files", now)
    record = InteractionRecord(
        "m1", Kind.MAIL, now, (P("me@x.org", Role.FROM), P("ann@y.org", Role.TO)), subject="Hi"
    )
    store.save_page(account, store.start_run(account, now), Page([record], cursor="1"), now)
    engine = sessions.kw["bind"]
    command.downgrade(alembic_config(engine), "0002")  # drops interactions.parties: a rebuild
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ParticipantRow)) == 2
    command.upgrade(alembic_config(engine), "head")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ParticipantRow)) == 2
    engine.dispose()


def test_two_processes_migrating_a_new_database_at_once_both_start(tmp_path: Path) -> None:
    """The daemon and the review page started together on a new database: the second waits
    for the first's migration (BEGIN IMMEDIATE) and finds the schema current."""
    script = "from touchbase.agent.pipeline.db import open_database; "
    for attempt in range(3):
        url = sqlite_url(tmp_path / f"t{attempt}.db")
        starts = [
            subprocess.Popen(
                [sys.executable, "-c", script + f"open_database({url!r})"],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for start in starts:
            _, err = start.communicate(timeout=60)
            assert start.returncode == 0, err
