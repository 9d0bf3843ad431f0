"""One daemon per database: a file lock beside SQLite, an advisory lock on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, need
from tests.servers.postgres import PostgresServer, running_postgres
from touchbase.agent.daemon.lock import AlreadyRunning, InstanceLock, lock_path
from touchbase.agent.pipeline.db import make_engine


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer | None]:
    with running_postgres() as server:
        yield server


def test_a_second_sqlite_lock_is_refused_with_the_holder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/touchbase.db"
    with InstanceLock(url):
        assert f"pid {os.getpid()}" in lock_path(url).read_text()
        # Another process, as a second daemon would be (flock is per open file, not per PID).
        code = (
            "import sys\nfrom touchbase.agent.daemon.lock import InstanceLock, AlreadyRunning\n"
            f"try:\n    InstanceLock({url!r}).acquire()\nexcept AlreadyRunning as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 3, done.stderr
        assert f"pid {os.getpid()}" in done.stdout
    with InstanceLock(url):  # released: taken again at once
        pass


def test_the_postgres_lock_names_its_holder(postgres: PostgresServer | None) -> None:
    need(postgres is not None, "PostgreSQL is not installed (apt-get install postgresql)")
    assert postgres is not None
    url = postgres.new_database()
    first = InstanceLock(url, make_engine(url))
    first.acquire()
    second = InstanceLock(url, make_engine(url))
    with pytest.raises(AlreadyRunning) as refused:
        second.acquire()
    assert f"pid {os.getpid()}" in str(refused.value)
    first.release()
    second.acquire()
    second.release()
