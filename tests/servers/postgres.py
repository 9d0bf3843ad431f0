"""A private PostgreSQL for the tests: initdb into a temp folder, one server per test session.

TESTING.md: binaries in /usr/lib/postgresql/<ver>/bin, initdb refuses root (run as `postgres`),
always pass -k DIR (the default socket folder needs root), ready when postmaster.pid says ready.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def find_bin() -> Path | None:
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    versions = sorted(
        (p for p in root.iterdir() if (p / "bin" / "postgres").exists()), reverse=True
    )
    return versions[0] / "bin" if versions else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    _counter: int = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database on this server; its URL."""
        import psycopg

        self._counter += 1
        name = f"t{os.getpid()}_{self._counter}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_postgres() -> dict[str, object]:
    if os.geteuid() != 0:
        return {}
    import pwd

    entry = pwd.getpwnam("postgres")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer | None]:
    """Start a throw-away server; yields None when PostgreSQL is not installed here."""
    bindir = find_bin()
    if bindir is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="touchbase-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    as_user = _as_postgres()
    subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
        **as_user,  # type: ignore[arg-type]
    )
    port = free_port()
    process = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(folder / "data"),
            "-p",
            str(port),
            "-k",
            str(folder),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **as_user,  # type: ignore[arg-type]
    )
    pidfile = folder / "data" / "postmaster.pid"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = pidfile.read_text().splitlines() if pidfile.exists() else []
        if len(lines) >= 8 and lines[7].strip() == "ready":
            break
        if process.poll() is not None:
            raise RuntimeError("postgres exited during start-up")
        time.sleep(0.02)
    else:
        raise RuntimeError("postgres did not become ready in 30 s")
    try:
        yield PostgresServer(port=port, folder=folder, process=process)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)
