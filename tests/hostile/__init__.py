"""Hostile input through the real `touchbase import`, under a memory and a time limit (issue 13).

The one helper other tests use (and `run_limited(command, ...)` under it, which bench/hostile.py
uses for its baselines):

    run_import(path, *extra_args, db=None, timeout=60.0, memory=1 << 30) -> ImportOutcome

runs `python -m touchbase.agent --db sqlite:///DB import PATH --json *extra_args` in a child
process whose address space is capped with RLIMIT_AS (`memory` bytes, 1 GiB by default; the
pull-ahead worker inherits the cap) and which is killed after `timeout` seconds. HOME and the
XDG folders point into a fresh temporary folder, so no user configuration is read. `db` (a file
path) lets two runs share one database, e.g. to import again after a restart; by default each
run gets its own database beside nothing else.

It fails the calling test (AssertionError) when the import timed out, was killed (the memory cap
ends in MemoryError or SIGKILL/SIGSEGV), printed a Python traceback, or exited with the CLI's
"this is a bug" status 70. Any other exit code is returned for the test to judge (1: some
account did not finish, 2: a user error with advice).

`ImportOutcome` holds the exit code, stdout, stderr, wall and CPU seconds, the child's peak RSS
(KiB; the largest of the import process and its workers, as wait4 reports it), the parsed
`--json` result, and what the database holds afterwards: `interactions` (source_id, kind,
occurred_at, subject) and `quarantined` (source_id -> reason). The pytest fixture
`run_import` in conftest.py is this function with the database in the test's tmp_path.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXIT_BUG = 70  # agent/cli/main.py: an unexpected exception
GIB = 1 << 30


@dataclass(frozen=True)
class Interaction:
    source_id: str
    kind: str
    occurred_at: str
    subject: str | None


@dataclass(frozen=True)
class ImportOutcome:
    """What one `touchbase import` did, as seen from outside and from its database."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_kib: int
    cpu_seconds: float
    result: Any  # the parsed --json output (a list of per-account results), None if not JSON
    interactions: list[Interaction] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)

    @property
    def source_ids(self) -> set[str]:
        return {i.source_id for i in self.interactions}

    @property
    def stored(self) -> int:
        """Interactions this run reported as new (summed over its accounts)."""
        return sum(int(r.get("stored", 0)) for r in self.result or [])


def _limit(memory: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


def _read_db(db: Path) -> tuple[list[Interaction], dict[str, str]]:
    if not db.exists():
        return [], {}
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        rows = []
        if "interactions" in tables:
            rows = [
                Interaction(*r)
                for r in con.execute(
                    "SELECT source_id, kind, occurred_at, subject FROM interactions ORDER BY id"
                )
            ]
        quarantined = {}
        if "quarantine" in tables:
            quarantined = dict(con.execute("SELECT source_id, reason FROM quarantine"))
    return rows, quarantined


@dataclass(frozen=True)
class Limited:
    """A finished child run under limits: exit code (negative: the signal), output, cost."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_kib: int
    timed_out: bool
    cpu_seconds: float = 0.0  # user + system, the child and its workers


def run_limited(
    command: list[str],
    *,
    timeout: float = 60.0,
    memory: int = GIB,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Limited:
    """Run `command` with RLIMIT_AS `memory` and a `timeout` (its whole process group killed)."""
    folder = Path(tempfile.mkdtemp(prefix="tb-limited-"))
    out, err = folder / "stdout", folder / "stderr"
    started = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=cwd,
            preexec_fn=_limit(memory),  # setrlimit only: safe between fork and exec
            process_group=0,  # a group of its own, so a timeout kills the workers too
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            # wait4, not Popen.wait: it also gives the child's peak memory (its own and its
            # waited-for workers').
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Limited(
        returncode=proc.returncode,
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
        seconds=time.monotonic() - started,
        peak_kib=usage.ru_maxrss,
        timed_out=timed_out.is_set(),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


def run_import(
    path: str | os.PathLike[str],
    *extra_args: str,
    db: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
    memory: int = GIB,
) -> ImportOutcome:
    """Import `path` with the real CLI in a limited child process; see the module docstring."""
    home = Path(tempfile.mkdtemp(prefix="tb-hostile-"))
    db_path = Path(db) if db is not None else home / "touchbase.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOUCHBASE_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        COLUMNS="200",
    )
    command = [sys.executable, "-m", "touchbase.agent", "--db", f"sqlite:///{db_path}"]
    command += ["import", os.fspath(path), "--json", *extra_args]
    run = run_limited(command, timeout=timeout, memory=memory, env=env, cwd=home)
    try:
        result = json.loads(run.stdout)
    except ValueError:
        result = None
    interactions, quarantined = _read_db(db_path)
    where = f"touchbase import {os.fspath(path)}"
    tail = run.stderr[-3000:]
    assert not run.timed_out, f"{where}: still running after {timeout:.0f} s\n{tail}"
    assert run.returncode >= 0, f"{where}: killed by signal {-run.returncode}\n{tail}"
    assert "Traceback (most recent call last)" not in run.stderr, f"{where}: traceback\n{tail}"
    assert run.returncode != EXIT_BUG, f"{where}: exited with 'this is a bug'\n{tail}"
    return ImportOutcome(
        returncode=run.returncode,
        stdout=run.stdout,
        stderr=run.stderr,
        seconds=run.seconds,
        peak_kib=run.peak_kib,
        cpu_seconds=run.cpu_seconds,
        result=result,
        interactions=interactions,
        quarantined=quarantined,
    )
