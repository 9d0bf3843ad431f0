"""Whether an account's sync run is still alive, without a column (QA, task H7 item 4).

A run is recorded as "running" when it starts and gets its status when it ends; a process
killed in between (SIGKILL, a crash, a power cut) leaves it "running" for ever, and `touchbase
status` said so. Every pull of an account now holds a shared lock for its life, taken before
its run is recorded and let go after it ends, that the kernel or the server releases when the
process dies, even by SIGKILL, as agent/daemon/lock.py does for the daemon:

- SQLite: flock(2) LOCK_SH on `<database>.runs/account-<id>.lock` beside the database;
- PostgreSQL: a session advisory lock (RUN_CLASS, account id), shared, on a connection held
  for the run.

`alive` asks whether anyone holds it. A run still "running" whose account lock nobody holds
was interrupted: rerunning the import or sync resumes it from its stored cursor. Shared locks,
so two pulls of one account (two `touchbase import` of one path) never wait on each other.
Taking the lock never fails a pull: where it cannot be taken (an in-memory database, a
read-only folder), status cannot tell and says "running" as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# pg advisory keys (int, int): "tr" in ASCII, beside the daemon's ("tb", 1), and the account id.
RUN_CLASS = 0x7472


class RunLock:
    """Held from `hold()` until `release()` or the end of the process."""

    def __init__(self, account_id: int) -> None:
        self._account = account_id
        self._file: IO[str] | None = None
        self._connection: Connection | None = None

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:  # a pooled connection's session outlives close(): unlock it first
                connection.execute(
                    text("SELECT pg_advisory_unlock_shared(:c, :o)"),
                    {"c": RUN_CLASS, "o": self._account},
                )
                connection.commit()
            except Exception:  # the server may be gone (it let go then): never reuse it
                with contextlib.suppress(Exception):
                    connection.invalidate()
            with contextlib.suppress(Exception):
                connection.close()


def _engine(sessions: sessionmaker[Session] | Engine) -> Engine:
    if isinstance(sessions, Engine):
        return sessions
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("the session factory is bound to no engine")
    return bind


def lock_file(engine: Engine, account_id: int) -> Path | None:
    """The lock file of an account's runs on a SQLite database; None for another database or
    one in memory (no file to put it beside)."""
    if engine.url.get_backend_name() != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    return path.with_name(path.name + ".runs") / f"account-{account_id}.lock"


def hold(sessions: sessionmaker[Session] | Engine, account_id: int) -> RunLock:
    """The account's run lock, shared, for this process: taken now, never raising."""
    held = RunLock(account_id)
    try:
        engine = _engine(sessions)
        path = lock_file(engine, account_id)
        if path is not None:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            handle = os.fdopen(descriptor, "r+", encoding="utf-8")
            fcntl.flock(handle, fcntl.LOCK_SH)  # waits only while status is looking
            held._file = handle
        elif engine.url.get_backend_name() == "postgresql":
            connection = engine.connect()
            connection.execute(
                text("SELECT pg_advisory_lock_shared(:c, :o)"), {"c": RUN_CLASS, "o": account_id}
            )
            connection.commit()
            held._connection = connection
    except Exception:  # status then cannot tell; the pull itself must go on
        log.warning("could not take the run lock of account %s", account_id, exc_info=True)
        held.release()
    return held


def alive(sessions: sessionmaker[Session] | Engine, account_id: int) -> bool | None:
    """Whether a process pulling this account is alive (holds its run lock); None when this
    database keeps no such lock (in memory)."""
    engine = _engine(sessions)
    path = lock_file(engine, account_id)
    if path is not None:
        try:
            handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return False  # no pull has held it since this version: the run is not alive
        except OSError:
            return None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    if engine.url.get_backend_name() == "postgresql":
        with engine.connect() as connection:
            held = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = :c AND objid = :o AND objsubid = 2"
                ),
                {"c": RUN_CLASS, "o": account_id},
            ).scalar()
        return bool(held)
    return None


__all__ = ["RUN_CLASS", "RunLock", "alive", "hold", "lock_file"]
