"""agent/pullahead.py: a file source parsed in a forked worker while the parent stores.

The database must not tell whether a worker was used; a worker's error must arrive as the same
kind with its advice; a parent that stops early or dies must not leave a worker behind (it
would hold the instance lock and the database's descriptors).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.agent.dbdump import content
from tests.conftest import REPO
from tests.daemon.mailbox import write_mbox
from touchbase.agent.pipeline import pullahead
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.base import Page
from touchbase.connectors.errors import AuthError, TransientError
from touchbase.connectors.files.source import FileSource


def _import(db: Path, mbox: Path, *, worker: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FileSource, "pulls_in_worker", worker)
    store = Store(open_database(sqlite_url(db)))
    account = store.ensure_account("archive", "files", datetime(2024, 1, 1, tzinfo=UTC))
    clock = lambda: datetime(2024, 1, 2, tzinfo=UTC)  # noqa: E731
    result = sync_account(store, account, "archive", FileSource(mbox, page_size=300), clock=clock)
    assert result.status == "ok" and result.stored > 0, result


def test_the_worker_stores_exactly_what_an_in_process_pull_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mbox = tmp_path / "mail.mbox"
    write_mbox(mbox, 2_000)
    _import(tmp_path / "worker.db", mbox, worker=True, monkeypatch=monkeypatch)
    _import(tmp_path / "inline.db", mbox, worker=False, monkeypatch=monkeypatch)
    worker, inline = (content(sqlite_url(tmp_path / f"{n}.db")) for n in ("worker", "inline"))
    assert len(worker["interactions"]) == 2_000
    assert worker == inline


class Failing:
    """Two pages, then the error given; records whether it ran in another process."""

    pulls_in_worker = True

    def __init__(self, error: BaseException, marker: Path) -> None:
        self.error = error
        self.marker = marker

    def pull(self, cursor: str | None) -> Iterator[Page]:
        self.marker.write_text(str(os.getpid()))
        yield Page(cursor="1")
        yield Page(cursor="2")
        raise self.error

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "error",
    [
        AuthError("the password was refused", advice="run touchbase auth work"),
        TransientError("connection dropped", retry_after=30.0, advice="it will be retried"),
    ],
)
def test_a_worker_error_arrives_as_the_same_kind_with_its_advice(
    tmp_path: Path, error: Exception
) -> None:
    source = Failing(error, tmp_path / "pid")
    got = []
    with pytest.raises(type(error)) as raised:
        for page in pullahead.pages(source, None):  # type: ignore[arg-type]
            got.append(page.cursor)
    assert got == ["1", "2"]
    assert str(raised.value) == str(error)
    assert raised.value.advice == error.advice  # type: ignore[attr-defined]
    assert getattr(raised.value, "retry_after", None) == getattr(error, "retry_after", None)
    assert int((tmp_path / "pid").read_text()) != os.getpid()  # it did run in a worker


def test_an_unpicklable_bug_arrives_as_a_runtime_error_naming_it(tmp_path: Path) -> None:
    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:  # pickles, but cannot be rebuilt
            super().__init__(f"{a}/{b}")

    source = Failing(Odd(1, 2), tmp_path / "pid")
    with pytest.raises(RuntimeError, match="Odd: 1/2"):
        list(pullahead.pages(source, None))  # type: ignore[arg-type]


class Endless:
    """Pages forever; the worker's pid written where the test can find it."""

    pulls_in_worker = True

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def pull(self, cursor: str | None) -> Iterator[Page]:
        self.marker.write_text(str(os.getpid()))
        n = 0
        while True:
            n += 1
            yield Page(cursor=str(n))

    def close(self) -> None:
        pass


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for a reaper (PID 1 in a container may
    never reap an orphan)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_stopping_early_kills_the_worker(tmp_path: Path) -> None:
    pulled = pullahead.pages(Endless(tmp_path / "pid"), None)  # type: ignore[arg-type]
    assert [next(pulled).cursor for _ in range(3)] == ["1", "2", "3"]
    worker = int((tmp_path / "pid").read_text())
    pulled.close()
    assert _gone(worker)  # killed and reaped: not even a zombie is left


def test_a_killed_parent_leaves_no_worker_holding_the_lock(tmp_path: Path) -> None:
    """The parent takes an flock (as the daemon's instance lock does), starts pulling through a
    worker and is SIGKILLed: the lock is free at once, and the worker exits by itself."""
    lock, marker = tmp_path / "db.lock", tmp_path / "pid"
    script = f"""
import fcntl, sys, time
sys.path.insert(0, {str(REPO)!r})
from touchbase.agent.pipeline import pullahead
from tests.agent.test_pullahead import Endless
from pathlib import Path
held = open({str(lock)!r}, "w")
fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
pulled = pullahead.pages(Endless(Path({str(marker)!r})), None)
next(pulled)
print("pulling", flush=True)
time.sleep(60)
"""
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None and parent.stdout.readline().strip() == "pulling"
    worker = int(marker.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    parent.stdout.close()
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the worker still held it
    deadline = time.monotonic() + 10
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling for an exit, no fixed wait
    assert _gone(worker), "the worker outlived its parent"


class Chatty:
    """Logs an address from inside the worker, then yields one page."""

    pulls_in_worker = True

    def pull(self, cursor: str | None) -> Iterator[Page]:
        import logging

        logging.getLogger("touchbase.connectors.files.source").warning(
            "odd header from bob@example.org"
        )
        yield Page(cursor="1")

    def close(self) -> None:
        pass


def test_the_workers_log_lines_are_redacted_like_the_parents() -> None:
    script = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from touchbase.agent import logs
from touchbase.agent.pipeline import pullahead
from tests.agent.test_pullahead import Chatty
logs.setup()
print([p.cursor for p in pullahead.pages(Chatty(), None)])
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['1']"
    assert "odd header" in done.stderr and "level=warning" in done.stderr  # the parent's format
    assert "bob@example.org" not in done.stderr  # and its redaction


def test_without_a_worker_process_the_pull_happens_in_this_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_fork() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    source = Failing(AuthError("refused"), tmp_path / "pid")
    got = []
    with pytest.raises(AuthError):
        for page in pullahead.pages(source, None):  # type: ignore[arg-type]
            got.append(page.cursor)
    assert got == ["1", "2"]
    assert int((tmp_path / "pid").read_text()) == os.getpid()


def test_records_cross_the_pipe_whole() -> None:
    """Participant and InteractionRecord pickle through a hand-written __reduce__ (3x faster than
    the slotted-dataclass default): every field must survive, including one added later."""
    from dataclasses import fields

    from touchbase.connectors.base import Flag, InteractionRecord, Kind, Participant, Response, Role

    person = Participant(
        "ann@example.org", Role.ATTENDEE, "Ann", Response.DECLINED, True, True, True
    )
    record = InteractionRecord(
        source_id="meeting:1",
        kind=Kind.MEETING,
        occurred_at=datetime(2024, 5, 6, 9, tzinfo=UTC),
        participants=(person,),
        subject="Review",
        ended_at=datetime(2024, 5, 6, 10, tzinfo=UTC),
        message_id="<m@x>",
        in_reply_to="<r@x>",
        references=("<a@x>", "<r@x>"),
        thread_id="t1",
        folder="calendar",
        flags=frozenset({Flag.CANCELLED}),
        version="0000000002 2024-05-01T00:00:00+00:00",
    )
    defaults = {f.name for f in fields(InteractionRecord) if getattr(record, f.name) == f.default}
    assert defaults == set(), f"set these fields in the test too: {defaults}"
    assert all(
        getattr(person, f.name) != f.default for f in fields(Participant) if f.name != "address"
    )
    again = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == record and again.participants[0] == person


class Doomed:
    """Yields a page, then its process dies without a word (as under the OOM killer)."""

    pulls_in_worker = True

    def pull(self, cursor: str | None) -> Iterator[Page]:
        yield Page(cursor="1")
        os.kill(os.getpid(), signal.SIGKILL)
        yield Page(cursor="never")

    def close(self) -> None:
        pass


def test_a_worker_killed_outright_is_a_transient_error_that_says_to_run_again() -> None:
    got = []
    with pytest.raises(TransientError) as raised:
        for page in pullahead.pages(Doomed(), None):  # type: ignore[arg-type]
            got.append(page.cursor)
    assert got == ["1"]  # what came before the death is kept
    assert "killed by signal 9" in str(raised.value)
    assert "run it again" in raised.value.advice


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page_size=st.integers(min_value=1, max_value=70), resume_after=st.integers(0, 5))
def test_worker_pages_equal_in_process_pages_for_any_page_size(
    tmp_path: Path, page_size: int, resume_after: int
) -> None:
    """Same pages, same cursors, same quarantine, in the same order; and resuming from the
    cursor of any page gives the same rest either way."""
    mbox = tmp_path / "mail.mbox"
    if not mbox.exists():
        write_mbox(mbox, 60)
    source = FileSource(mbox, page_size=page_size, now=datetime(2030, 1, 1, tzinfo=UTC))

    def shape(pages: list[Page]) -> list[tuple[object, ...]]:
        return [(p.interactions, p.cursor, p.quarantined, p.removed, p.resync) for p in pages]

    inline = list(source.pull(None))
    worker = list(pullahead.pages(source, None))
    assert shape(worker) == shape(inline)
    cursor = inline[min(resume_after, len(inline) - 1)].cursor
    assert shape(list(pullahead.pages(source, cursor))) == shape(list(source.pull(cursor)))
