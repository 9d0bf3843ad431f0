"""One daemon per database: an flock(2) on a file beside SQLite, an advisory lock on PostgreSQL.

Two runs on one database were a classic source of "database is locked" and doubled work
(vdirsyncer #720). The lock is held for the life of the process and released by the kernel
(flock) or the server (session advisory lock) when the process dies, even by SIGKILL, so a
crash never leaves a stale lock behind. A refused start names the process that holds it.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from touchbase.agent.errors import UserError

# pg_try_advisory_lock(int, int): a fixed class id ("tb" in ASCII) and object id 1, so the lock is
# easy to find in pg_locks (classid, objid) and never collides with a 64-bit key of another app.
PG_CLASS, PG_OBJECT = 0x7462, 1
APP_NAME_PREFIX = "touchbase-daemon"


class AlreadyRunning(UserError):
    """Another touchbase daemon (or run --once) holds the database."""

    def __init__(self, holder: str, where: str) -> None:
        super().__init__(
            f"another touchbase is already running on this database ({holder}; lock: {where})",
            advice="stop it first (`systemctl --user stop touchbase`), or wait for it to finish",
        )
        self.holder = holder


class InstanceLock:
    """Held from `acquire()` until `release()` or the end of the process."""

    def __init__(self, db_url: str, engine: Engine | None = None) -> None:
        self.db_url = db_url
        self.engine = engine
        self._file: IO[str] | None = None
        self._connection: Connection | None = None

    @property
    def where(self) -> str:
        url = make_url(self.db_url)
        if url.get_backend_name() == "sqlite":
            return str(lock_path(self.db_url))
        return f"PostgreSQL advisory lock ({PG_CLASS}, {PG_OBJECT})"

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning naming the holder."""
        if make_url(self.db_url).get_backend_name() == "sqlite":
            self._acquire_file(lock_path(self.db_url))
        else:
            self._acquire_advisory()

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._connection is not None:
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:c, :o)"), {"c": PG_CLASS, "o": PG_OBJECT}
            )
            self._connection.close()
            self._connection = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def _acquire_file(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # "a+" neither truncates (the holder's PID stays readable) nor fails when it exists.
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            handle.close()
            raise AlreadyRunning(holder, str(path)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(_me())
        handle.flush()
        self._file = handle

    def _acquire_advisory(self) -> None:
        if self.engine is None:
            raise ValueError("a PostgreSQL lock needs the engine")
        connection = self.engine.connect()
        # The application name is how a second instance learns who holds the lock.
        connection.execute(text("SELECT set_config('application_name', :n, false)"), {"n": _me()})
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:c, :o)"), {"c": PG_CLASS, "o": PG_OBJECT}
        ).scalar()
        connection.commit()
        if got:
            self._connection = connection
            return
        holder = connection.execute(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                "WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.classid = :c AND l.objid = :o LIMIT 1"
            ),
            {"c": PG_CLASS, "o": PG_OBJECT},
        ).scalar()
        connection.close()
        raise AlreadyRunning(holder or "unknown process", self.where)


def lock_path(db_url: str) -> Path:
    """The lock file of a SQLite database: beside it, so each database has its own."""
    database = make_url(db_url).database
    if not database or database == ":memory:":
        raise UserError("the daemon needs a database file or server, not an in-memory database")
    path = Path(database).expanduser()
    return path.with_name(path.name + ".lock")


def _me() -> str:
    return f"{APP_NAME_PREFIX} pid {os.getpid()} on {socket.gethostname()}"[:63]
