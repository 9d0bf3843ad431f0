"""The daemon as a real process: SIGTERM, SIGHUP, the lock, a failing account beside a good one."""

from __future__ import annotations

import json
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.daemon.fakes import write_mailbox
from tests.daemon.harness import Daemon, idle, ready, write_config
from tests.daemon.mailbox import write_mbox
from touchbase.agent.daemon.cycle import CycleContext, due_accounts, run_cycle, sync_step
from touchbase.agent.pipeline.config import load_config
from touchbase.agent.service import Service


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def test_sigterm_finishes_the_page_commits_and_exits(tmp_path: Path) -> None:
    mail, db = tmp_path / "mail.jsonl", tmp_path / "t.db"
    write_mailbox(mail, 20_000)
    config = write_config(
        tmp_path / "c.toml", [{"name": "big", "type": "jsonl", "path": str(mail)}]
    )
    with Daemon(["--config", str(config), "--db", f"sqlite:///{db}", "daemon"]) as daemon:
        daemon.wait_for(ready)
        daemon.wait_for(lambda m: "pages=3 " in m)  # mid-sync
        assert daemon.stop(timeout=10) == 0
        assert any("STOPPING=1" in m for m in daemon.notify.messages)
    (cursor,) = query(db, "SELECT value FROM cursors")[0]
    (count,) = query(db, "SELECT count(*) FROM interactions")[0]
    assert 3 * 200 <= count < 20_000
    assert json.loads(cursor)["count"] == count  # the cursor covers exactly what is stored
    assert query(db, "SELECT status FROM sync_runs") == [("ok",)]  # the run was closed
    assert query(db, "SELECT next_attempt_at FROM accounts") == [(None,)]  # still due
    assert "daemon stopped" in daemon.text and "Traceback" not in daemon.text


def test_sighup_reloads_a_good_config_and_keeps_the_old_one_when_broken(tmp_path: Path) -> None:
    first, second, db = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "t.db"
    write_mailbox(first, 30)
    write_mailbox(second, 20, start=1000)
    a = {"name": "a", "type": "jsonl", "path": str(first)}
    b = {"name": "b", "type": "jsonl", "path": str(second), "sync_every": "1s"}
    config = write_config(tmp_path / "c.toml", [a])
    with Daemon(["--config", str(config), "--db", f"sqlite:///{db}", "daemon"]) as daemon:
        daemon.wait_for(idle)
        write_config(config, [a, b])
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda m: "READY=1" in m and "reloaded: 2 accounts" in m)
        daemon.wait_for(lambda m: idle(m) and "stored=20" in m)  # b, new in this config

        config.write_text("[[account]]\nname = \n", encoding="utf-8")  # not TOML
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda m: "reload failed" in m)
        daemon.wait_log("configuration reload failed")
        # Still running the last good configuration: b (which only it names) keeps syncing.
        write_mailbox(second, 7, start=2000)
        daemon.wait_for(lambda m: idle(m) and "stored=7" in m)
        assert daemon.stop() == 0
    assert "Traceback" not in daemon.text
    assert query(db, "SELECT count(*) FROM interactions") == [(57,)]


def test_a_second_instance_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", [])
    args = ["--config", str(config), "--db", f"sqlite:///{tmp_path}/t.db"]
    with Daemon([*args, "daemon"]) as first:
        first.wait_for(ready)
        with Daemon([*args, "daemon"]) as second:
            assert second.process.wait(timeout=60) == 2
            second.close()
        assert f"pid {first.process.pid}" in second.text
        assert "already running" in second.text and "Traceback" not in second.text
        with Daemon([*args, "run", "--once"]) as once:
            assert once.process.wait(timeout=60) == 2
            once.close()
        assert f"pid {first.process.pid}" in once.text
        first.kill()  # SIGKILL leaves no stale lock: the kernel drops it with the process
    with Daemon([*args, "daemon"]) as third:
        third.wait_for(ready)
        assert third.stop() == 0


def test_a_failing_account_backs_off_while_another_keeps_syncing(tmp_path: Path) -> None:
    mail, db = tmp_path / "mail.jsonl", tmp_path / "t.db"
    write_mailbox(mail, 10)
    config = write_config(
        tmp_path / "c.toml",
        [
            {"name": "down", "type": "broken"},
            {"name": "good", "type": "jsonl", "path": str(mail), "sync_every": "1s"},
        ],
    )
    with Daemon(["--config", str(config), "--db", f"sqlite:///{db}", "daemon"]) as daemon:
        daemon.wait_for(idle)
        for round_ in range(3):  # mail keeps arriving; each new batch is picked up
            write_mailbox(mail, 5, start=100 + 5 * round_)
            daemon.wait_for(lambda m: "stored=5" in m and "idle" in m)
        assert daemon.stop() == 0
    assert query(db, "SELECT count(*) FROM interactions") == [(25,)]
    rows = query(
        db,
        "SELECT name, failing_since IS NOT NULL, last_error, "
        "(julianday(next_attempt_at) - julianday(failing_since)) * 86400 FROM accounts "
        "ORDER BY name",
    )
    (down, down_failing, error, delay), (good, good_failing, good_error, _) = rows
    assert (down, down_failing, good, good_failing, good_error) == ("down", 1, "good", 0, None)
    assert "connection refused" in error and round(delay) == 60  # tried once, backing off
    warnings = [line for line in daemon.text.splitlines() if "account failed" in line]
    assert len(warnings) == 1  # not retried every second
    assert "bob@example.org" not in daemon.text  # addresses are masked at INFO and above


def test_run_once_syncs_what_is_due_and_says_when_an_account_failed(tmp_path: Path) -> None:
    mail, db = tmp_path / "mail.jsonl", tmp_path / "t.db"
    write_mailbox(mail, 12)
    good = {"name": "good", "type": "jsonl", "path": str(mail)}
    args = ["--db", f"sqlite:///{db}", "run", "--once"]
    config = write_config(tmp_path / "c.toml", [good])
    with Daemon(["--config", str(config), *args]) as once:
        assert once.process.wait(timeout=60) == 0
    config = write_config(tmp_path / "c.toml", [good, {"name": "down", "type": "broken"}])
    with Daemon(["--config", str(config), *args]) as once:
        assert once.process.wait(timeout=60) == 1  # a timer unit shows the failure
    assert query(db, "SELECT count(*) FROM interactions") == [(12,)]
    assert "account failed" in once.text and "account=down" in once.text


def test_a_burst_of_signals_never_wedges_the_loop(tmp_path: Path) -> None:
    """Handlers take no lock: Event.set() in a handler deadlocked when a signal landed while
    the main loop held that Event's lock. Hundreds of SIGHUPs, then SIGTERM: a clean exit."""
    mail = tmp_path / "mail.jsonl"
    write_mailbox(mail, 5)
    config = write_config(tmp_path / "c.toml", [{"name": "a", "type": "jsonl", "path": str(mail)}])
    with Daemon(["--config", str(config), "--db", f"sqlite:///{tmp_path}/t.db", "daemon"]) as d:
        d.wait_for(idle)
        for _ in range(300):
            d.signal(signal.SIGHUP)
        d.wait_for(lambda m: "reloaded" in m)
        assert d.stop(timeout=10) == 0
    assert "Traceback" not in d.text


def test_a_start_finishes_the_steps_a_kill_cut_off_after_the_sync(tmp_path: Path) -> None:
    """Killed after the sync was recorded but before the drafts: the account is not due for a
    whole interval, yet the next start drafts at once (the kill test found this by chance)."""
    mbox, db = tmp_path / "mail.mbox", tmp_path / "t.db"
    end = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    write_mbox(mbox, 400, end=end - timedelta(days=10))  # recent: follow-ups are due
    config = write_config(
        tmp_path / "c.toml", [{"name": "archive", "type": "files", "path": str(mbox)}]
    )
    service = Service(load_config(config), f"sqlite:///{db}")
    synced = run_cycle(CycleContext(service.clock), [sync_step(service)])
    assert synced.summaries["sync"]["synced"] == 1
    assert due_accounts(service, service.now()) == []  # nothing due: the state a kill leaves
    service.engine.dispose()
    assert query(db, "SELECT count(*) FROM drafts") == [(0,)]
    with Daemon(["--config", str(config), "--db", f"sqlite:///{db}", "daemon"]) as daemon:
        status = daemon.wait_for(idle)
        assert "synced=0 " in status  # nothing was synced again
        assert daemon.stop() == 0
    assert query(db, "SELECT count(*) FROM drafts")[0][0] > 0
