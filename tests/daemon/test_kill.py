"""Kill the daemon with SIGKILL at many random moments; the database ends as if it never was.

A 20,000-message mbox (realistic headers, threads, quoted From_ lines) read by the real files
connector through the real `python -m agent daemon`, killed at 20 seeded random moments (during
start-up and migration, between pages, in the middle of a page's transaction), restarted each
time. After each kill the cursor may only have moved forward and the count of interactions only
grown; at the end interactions, participants, quarantine, cursor and drafts equal those of one
uninterrupted run (made at the same time, in parallel, with `run --once`).
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.daemon.harness import Daemon, idle, write_config
from tests.daemon.mailbox import write_mbox

MESSAGES = 20_000
KILLS = 20
SEED = 20240506


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def snapshot(db: Path) -> dict[str, Any]:
    """Everything a sync decides, without ids and timestamps of when it happened."""
    return {
        "interactions": sorted(
            rows(
                db,
                "SELECT source_id, kind, occurred_at, ended_at, subject, message_id, "
                'in_reply_to, "references", thread_id, folder, flags, removed_at '
                "FROM interactions",
            )
        ),
        "participants": sorted(
            rows(
                db,
                "SELECT i.source_id, p.address, p.role, p.name, p.response, p.is_self "
                "FROM participants p JOIN interactions i ON i.id = p.interaction_id",
            )
        ),
        "quarantine": sorted(rows(db, "SELECT source_id, reason FROM quarantine")),
        "cursors": rows(
            db, "SELECT a.name, c.value FROM cursors c JOIN accounts a ON a.id = c.account_id"
        ),
        "drafts": sorted(
            rows(db, "SELECT kind, status, to_addresses, subject FROM drafts"), key=repr
        ),
    }


def numbers(value: Any, path: str = "") -> dict[str, float]:
    """The numeric leaves of a JSON cursor by path: offsets, counts, window ends."""
    if isinstance(value, bool):
        return {}
    if isinstance(value, int | float):
        return {path: value}
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in numbers(item, f"{path}/{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in numbers(item, f"{path}[{i}]").items()
        }
    return {}


def cursor(db: Path) -> dict[str, float]:
    try:
        found = rows(db, "SELECT value FROM cursors")
    except sqlite3.OperationalError:  # killed before the schema was made
        return {}
    return numbers(json.loads(found[0][0])) if found else {}


def count(db: Path) -> int:
    try:
        return rows(db, "SELECT count(*) FROM interactions")[0][0]
    except sqlite3.OperationalError:
        return 0


def no_open_draft_doubled(db: Path) -> None:
    """At most one open draft per person (DESIGN.md contract 7), whatever the steps did."""
    try:
        doubled = rows(
            db,
            "SELECT person_id, count(*) FROM drafts WHERE status IN ('pending', 'approved', "
            "'pushed') AND person_id IS NOT NULL GROUP BY person_id HAVING count(*) > 1",
        )
    except sqlite3.OperationalError:  # killed before the schema was made
        return
    assert doubled == []


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path: Path) -> None:
    mbox = tmp_path / "mail.mbox"
    # Recent enough that the rules find people due, so the cycle makes drafts after the sync.
    end = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    write_mbox(mbox, MESSAGES, end=end - timedelta(days=40))
    # 250 a page: 80 pages, so that most of the 20 kills land in the middle of the sync.
    account = {"name": "archive", "type": "files", "path": str(mbox), "page_size": 250}
    config = write_config(tmp_path / "config.toml", [account])
    killed_db, reference_db = tmp_path / "killed.db", tmp_path / "reference.db"
    reference = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "touchbase.agent",
            "--config",
            str(config),
            "--db",
            f"sqlite:///{reference_db}",
            "run",
            "--once",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    args = ["--config", str(config), "--db", f"sqlite:///{killed_db}", "daemon"]
    rng = random.Random(SEED)
    last_cursor: dict[str, float] = {}
    last_count = 0
    moments = []
    mid_sync = 0
    for kill in range(KILLS):
        with Daemon(args, launcher="touchbase.agent") as daemon:
            if kill % 5 == 0 or last_count >= MESSAGES:
                # Anywhere from the first import to the first pages: start-up, migration, lock;
                # and once all is stored, anywhere (an idle daemon says so only once).
                delay = rng.uniform(0, 1.2)
                time.sleep(delay)  # fault injection, not a wait for something observable
                moments.append(f"{delay:.2f}s after start")
            else:
                # Into the next page and its transaction: time one page of this run and kill
                # within a page's time after the second (pages have become fast; a fixed delay
                # let a run store ten of them, and the sync ended before most kills).
                # Once the sync is complete a restart has nothing to page through: kill it idle.
                first = daemon.wait_for(lambda m: "pages=1 " in m or idle(m))
                started = time.monotonic()
                if not idle(first):
                    daemon.wait_for(lambda m: "pages=2 " in m or idle(m))
                delay = rng.uniform(0, time.monotonic() - started)
                time.sleep(delay)
                moments.append(f"{delay:.2f}s after pages=2")
            daemon.kill()
        now_cursor, now_count = cursor(killed_db), count(killed_db)
        for key, value in last_cursor.items():
            assert now_cursor.get(key, value) >= value, f"cursor {key} moved back ({moments})"
        assert now_count >= last_count
        mid_sync += 0 < now_count < MESSAGES
        last_cursor, last_count = now_cursor or last_cursor, now_count
        no_open_draft_doubled(killed_db)
    assert mid_sync >= 10, f"most kills should land in the middle of the sync: {moments}"
    with Daemon(args, launcher="touchbase.agent") as daemon:
        daemon.wait_for(idle, timeout=120)
        assert daemon.stop() == 0
    assert reference.wait(timeout=120) == 0, reference.stderr.read() if reference.stderr else ""
    if reference.stderr:
        reference.stderr.close()
    killed, expected = snapshot(killed_db), snapshot(reference_db)
    assert len(expected["interactions"]) == MESSAGES
    assert expected["drafts"], "the cycle should have drafted for someone"
    for table in expected:
        assert killed[table] == expected[table], table
    no_open_draft_doubled(killed_db)
