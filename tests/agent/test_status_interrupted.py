"""`touchbase status` tells an interrupted run from a running one (QA, task H7 item 4).

QA killed `touchbase import` half-way: status said the import was "running" for ever. Every pull
now holds its account's run lock (agent/pipeline/run_lock.py) for its life, which the kernel
(SQLite: flock beside the database) or the server (PostgreSQL: a session advisory lock) lets go
when the process dies; a run still recorded "running" whose lock nobody holds is shown as
"interrupted — rerun `touchbase import PATH` to finish" (the import resumes from its cursor)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import REPO, corpus
from touchbase.agent.cli.main import main
from touchbase.agent.pipeline import run_lock
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.store import Store

T0 = datetime(2024, 1, 8, 9, tzinfo=UTC)


def status(url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["--db", url, "status", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)["accounts"]
    return row


def test_a_run_is_running_while_its_lock_is_held_and_interrupted_after(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = open_database(db_url)
    store = Store(sessions)
    account = store.ensure_account("import:/mail/old box", "files", T0)
    held = run_lock.hold(sessions, account)
    run = store.start_run(account, T0)
    assert run_lock.alive(sessions, account) is True
    last = status(db_url, capsys)["last_sync"]
    assert isinstance(last, dict) and last["status"] == "running" and last["error"] is None
    held.release()  # what the kernel or the server does when the process dies
    assert run_lock.alive(sessions, account) is False
    last = status(db_url, capsys)["last_sync"]
    assert isinstance(last, dict) and last["status"] == "interrupted"
    assert "rerun `touchbase import '/mail/old box'` to finish" in str(last["error"])
    capsys.readouterr()
    assert main(["--db", db_url, "status"]) == 0
    assert "interrupted — rerun `touchbase import '/mail/old box'`" in capsys.readouterr().out
    store.finish_run(run, "ok", T0)  # a run that ended says how, lock or none
    last = status(db_url, capsys)["last_sync"]
    assert isinstance(last, dict) and last["status"] == "ok"


def test_a_run_of_a_killed_process_is_interrupted(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A child process takes the lock and records a run, as a pull does, and is SIGKILLed."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from datetime import UTC, datetime
                from touchbase.agent.pipeline import run_lock
                from touchbase.agent.pipeline.db import open_database
                from touchbase.agent.pipeline.store import Store
                sessions = open_database({db_url!r})
                store = Store(sessions)
                account = store.ensure_account("mail", "files", datetime.now(UTC))
                held = run_lock.hold(sessions, account)
                store.start_run(account, datetime.now(UTC))
                print("started", flush=True)
                time.sleep(600)
                """
            ),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"started"
        assert status(db_url, capsys)["last_sync"]["status"] == "running"  # type: ignore[index]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 30  # PostgreSQL notices the dead connection's end
    while status(db_url, capsys)["last_sync"]["status"] == "running":  # type: ignore[index]
        assert time.monotonic() < deadline
        time.sleep(0.1)
    last = status(db_url, capsys)["last_sync"]
    assert last["status"] == "interrupted"  # type: ignore[index]
    assert "touchbase sync --account mail" in last["error"]  # type: ignore[index]


@pytest.mark.slow
def test_touchbase_import_killed_half_way_is_interrupted_then_resumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real CLI: `touchbase import` SIGKILLed after its first page; status says interrupted
    with the command to rerun; rerunning it finishes the import and status says ok."""
    mailbox = corpus("enron", "maildir", "germany-c")
    db = tmp_path / "t.db"
    url = f"sqlite:///{db}"
    command = [sys.executable, "-m", "touchbase.agent", "--db", url, "import", str(mailbox)]
    command += ["--me", "chris.germany@enron.com"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    from tests.agent.test_import_kill import pages_stored

    deadline = time.monotonic() + 120
    while pages_stored(db) < 1 and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    if process.poll() is not None:
        pytest.skip("the import finished before it could be killed")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    last = status(url, capsys)["last_sync"]
    assert last["status"] == "interrupted"  # type: ignore[index]
    assert f"rerun `touchbase import {mailbox.resolve()}` to finish" in last["error"]  # type: ignore[index]
    assert subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL).returncode == 0
    assert status(url, capsys)["last_sync"]["status"] == "ok"  # type: ignore[index]
