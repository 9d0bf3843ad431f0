"""Importing twice, or killing an import half-way and importing again, equals one clean import."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.agent.dbdump import content
from tests.conftest import REPO, corpus


def run_import(db: Path, mailbox: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "touchbase.agent",
            "--db",
            f"sqlite:///{db}",
            "import",
            str(mailbox),
            "--me",
            "chris.germany@enron.com",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def pages_stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            row = connection.execute("select coalesce(sum(pages), 0) from sync_runs").fetchone()
    except sqlite3.OperationalError:  # the schema is still being created
        return 0
    return int(row[0])


@pytest.mark.slow
def test_import_twice_and_after_sigkill_equals_one_clean_import(tmp_path: Path) -> None:
    mailbox = corpus("enron", "maildir", "germany-c")
    clean, killed = tmp_path / "clean.db", tmp_path / "killed.db"
    assert run_import(clean, mailbox).wait() == 0
    once = content(f"sqlite:///{clean}")
    assert run_import(clean, mailbox).wait() == 0
    assert content(f"sqlite:///{clean}") == once, "a second import changed the database"

    rng = random.Random(20261126)
    kills = 0
    for _ in range(3):
        process = run_import(killed, mailbox)
        target = pages_stored(killed) + 1  # germany-c is 5 pages: leave room for 3 kills
        deadline = time.monotonic() + 120
        while pages_stored(killed) < target and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))  # somewhere inside the next page, not on its boundary
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
    assert kills >= 1, "the import finished before it could be killed"
    final = run_import(killed, mailbox)
    assert final.wait() == 0, final.stderr.read() if final.stderr else ""
    assert content(f"sqlite:///{killed}") == once
