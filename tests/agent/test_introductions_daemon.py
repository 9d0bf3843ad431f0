"""The introduction's second draft appears once, even when the real daemon is killed (issue 20).

A generated mailbox in a files account: import it, `introduce A B`, then A's answer lands in
the folder and the real `python -m touchbase.agent daemon` is SIGKILLed at seeded random
moments around the cycle that notices it. After every kill there is at most one introduce
draft; at the end exactly one, To A and B, in the thread, and the pair's row is accepted.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.agent.intro_world import ANNA, BEN, ME, mailbox, message
from tests.daemon.harness import Daemon, idle
from touchbase.agent.cli.main import main

KILLS = 8
SEED = 2020


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


@pytest.mark.slow
def test_the_introduction_is_drafted_once_across_kills(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    folder = mailbox(tmp_path / "mail", start=now - timedelta(days=200))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[me]\nname = "Olivia Owner"\naddresses = ["{ME}"]\n\n[daemon]\nsync_every = "1h"\n\n'
        f'[[account]]\nname = "mail"\ntype = "files"\npath = "{folder}"\n',
        encoding="utf-8",
    )
    db = tmp_path / "t.db"
    base = ["--config", str(config), "--db", f"sqlite:///{db}"]
    assert main([*base, "sync"]) == 0
    assert main([*base, "introduce", ANNA, BEN, "--note", "same kind of pilot"]) == 0
    ((ask_id, created),) = rows(
        db, "SELECT message_id, created_at FROM drafts WHERE kind = 'introduce-ask'"
    )
    answered = datetime.fromisoformat(created).replace(tzinfo=UTC) + timedelta(seconds=1)
    message(
        folder,
        "zz-answer.eml",
        ANNA,
        [ME],
        "Re: Would you like to meet Ben Baker?",
        answered,
        "<anna.yes@acme.example>",
        in_reply_to=ask_id,
    )
    time.sleep(1.5)  # the answer is dated a second after the ask: let the clock pass it
    rng = random.Random(SEED)
    args = [*base, "daemon"]
    moments = []
    for _kill in range(KILLS):
        with Daemon(args, launcher="touchbase.agent") as daemon:
            delay = rng.uniform(0, 4.0)
            time.sleep(delay)  # fault injection, not a wait for something observable
            moments.append(round(delay, 2))
            daemon.kill()
        made = rows(db, "SELECT count(*) FROM drafts WHERE kind = 'introduce'")[0][0]
        assert made <= 1, f"doubled after kills at {moments}"
    with Daemon(args, launcher="touchbase.agent") as daemon:
        daemon.wait_for(idle, timeout=120)
        assert daemon.stop() == 0
    ((to, reply, status),) = rows(
        db, "SELECT to_addresses, in_reply_to, status FROM drafts WHERE kind = 'introduce'"
    )
    assert ANNA in to and BEN in to
    assert reply == "<anna.yes@acme.example>" and status == "pending"
    assert rows(db, "SELECT state FROM introductions") == [("accepted",)]
    # The daemon's plan never stood behind the ask (Anna is not due): it is not expired.
    assert rows(db, "SELECT status FROM drafts WHERE kind = 'introduce-ask'") == [("pending",)]
