"""A first IMAP sync killed half-way (SIGKILL, while the participants' address index is left
out) and then run again ends exactly as one uninterrupted sync: same rows, cursor and indexes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.agent.dbdump import content
from tests.conftest import REPO
from tests.connectors.imap_world import ImapWorld
from tests.servers.dovecot import PASSWORD, Dovecot
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account

pytestmark = pytest.mark.servers
NOW = datetime(2024, 6, 1, tzinfo=UTC)

# The killed run: the agent's own sync of the account into the database, nothing else.
CHILD = """
import json, sys
from datetime import UTC, datetime
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.base import AccountContext
from touchbase.connectors.imap.account import open_account
from touchbase.connectors.memory import MemorySecrets

settings, database = json.loads(sys.argv[1]), sys.argv[2]
store = Store(open_database(sqlite_url(database)))
account = store.ensure_account("imap", "imap", datetime.now(UTC))
secrets = MemorySecrets({"password": sys.argv[3]})
source = open_account(settings, AccountContext(name="imap", secrets=secrets))
sync_account(store, account, "imap", source)
"""


def messages(count: int) -> Iterator[tuple[bytes, datetime]]:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for n in range(count):
        when = start + timedelta(hours=n)
        friend = n % 97
        lines = [
            "From: Pat Owner <pat@example.org>",
            f"To: Friend {friend} <friend{friend}@example.com>",
            f"Cc: friend{(n * 7) % 97}@example.com" if n % 4 == 0 else "X-Nothing: 1",
            f"Subject: update {n}",
            f"Date: {format_datetime(when)}",
            # Every tenth Message-ID repeats the one before: the connector takes one message
            # per Message-ID in a pull (2000 messages, 1800 interactions). Pages of 37 split
            # some pairs, so a kill may fall between the two (a resumed pull remembers).
            f"Message-ID: <{n - (n % 10 == 9)}@mail.example.org>",
            "",
            "A body no sync reads.",
        ]
        yield "\r\n".join(lines).encode(), when


def pages_stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            row = connection.execute("select coalesce(sum(pages), 0) from sync_runs").fetchone()
    except sqlite3.OperationalError:  # the schema is still being created
        return 0
    return int(row[0])


def index_names(db: Path) -> set[str]:
    with sqlite3.connect(db, timeout=5) as connection:
        rows = connection.execute("select name from sqlite_master where type = 'index'")
        return {name for (name,) in rows}


def sync_here(world: ImapWorld, db: Path) -> None:
    store = Store(open_database(sqlite_url(db)))
    account = store.ensure_account("imap", "imap", NOW)
    result = sync_account(store, account, "imap", world.source())
    assert result.status == "ok", result
    store.sessions.kw["bind"].dispose()


@pytest.mark.slow
def test_a_first_sync_killed_mid_way_then_run_again_equals_one_clean_sync(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    world = ImapWorld(dovecot, extra={"page_size": 37})
    dovecot.write_messages(world.user, "Sent", messages(2000))
    clean, killed = tmp_path / "clean.db", tmp_path / "killed.db"
    sync_here(world, clean)
    once = content(sqlite_url(clean))
    assert len(once["interactions"]) == 1800

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(world.settings), str(killed), PASSWORD],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while pages_stored(killed) < 3 and child.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert child.poll() is None, "the sync finished before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    # Killed inside the first sync: some pages stored, each with its cursor, no address index.
    stored = content(sqlite_url(killed))
    assert 0 < len(stored["interactions"]) < 1800 and stored["cursors"]
    assert "ix_participants_address" not in index_names(killed)

    sync_here(world, killed)
    assert content(sqlite_url(killed)) == once
    assert index_names(killed) == index_names(clean)
    assert "ix_participants_address" in index_names(killed)
    world.close_all()
