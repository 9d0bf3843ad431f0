"""Opening the database: engine settings per dialect, and migrating it to the current schema.

SQLite (the embedded default) runs in WAL mode with a busy timeout, so the review page can read
while the daemon writes; PostgreSQL is taken by URL. The app migrates the database itself on start
with Alembic; a database newer than this code is refused with advice instead of being touched.
A database already at the newest revision costs one plain query on start: alembic (about 0.14 s
to import, issue 16) is loaded only when a migration must run or the stored revision is unknown.

The database holds every correspondent, subject and draft, and the review page's session key, so
it is private however touchbase is started (a umask of 022 would make SQLite's files 0644): the
data folder is made 0700 and the database file 0600 before SQLite opens it (SQLite gives its -wal
and -shm files the database file's mode), and an older install with looser modes is tightened on
start, which `touchbase status` reports. Only touchbase's own data folder is created on demand:
a database URL whose folder is missing is an error that names the folder.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.config import data_dir

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"  # alembic's default, where it keeps the stored revision
# A revision file's `revision = "0008"` and `down_revision = "0007"` (None, or a tuple of
# revisions for a merge), as alembic's script.py.mako writes them.
_REVISION = re.compile(r"^revision(?:\s*:[^=\n]*)?\s*=\s*[\"']([^\"'\n]+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=\n]*)?\s*=\s*(\([^)]*\)|.*)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"'\n]+)[\"']")
# SQLite waits this long for another writer (the daemon, an import) before "database is locked".
BUSY_TIMEOUT_MS = 30_000
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# Paths whose modes this process tightened ("was 0644"), for `touchbase status` to report.
TIGHTENED: list[str] = []


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for `url`, tuned per dialect. Raises UserError for a URL that cannot work."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UserError(
            f"the database URL {url!r} is not a SQLAlchemy URL",
            advice="use e.g. sqlite:////path/to/touchbase.db or "
            "postgresql+psycopg://user@host/dbname",
        ) from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            prepare_sqlite_file(Path(database).expanduser())
            # The pool hands out the connection returned last (a file database's pool is a
            # QueuePool, first in first out by default): each pooled connection keeps up to
            # its 64 MB page cache, and an evaluation's one short nested read (the owner's
            # settings) made the pool two connections that took the big reads in turns, both
            # caches full. Last in first out, the nested one stays small: a Service's
            # people/plan/due/person in one process at 1M peaked at 289 MB, now 223 (issue 16).
            kwargs["pool_use_lifo"] = True
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise UserError(
            f"no driver for the database URL {parsed.render_as_string(hide_password=True)}",
            advice="for PostgreSQL install touchbase[postgres] (psycopg 3) and use "
            "postgresql+psycopg://...",
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkout", _count_changes)
        event.listen(engine, "checkin", _size_cache)
    elif engine.dialect.name == "postgresql":
        from touchbase.agent.pipeline.models import Base

        partial_indexes(Base.metadata)
    return engine


def partial_indexes(metadata: MetaData) -> None:
    """Give PostgreSQL the partial indexes' WHERE that the models name for SQLite only.

    A postgresql_where= in models.py would make SQLAlchemy load the PostgreSQL dialect, with
    asyncpg, pg8000, psycopg and psycopg2 behind it, to check the keyword when the models are
    imported: ~0.08 s of every command on SQLite (issue 16). Both databases take the same SQL
    there, so a PostgreSQL engine (which has loaded that dialect already) copies it over."""
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"]["where"]
            if where is not None and index.dialect_options["postgresql"]["where"] is None:
                index.dialect_options["postgresql"]["where"] = where


def prepare_sqlite_file(path: Path) -> None:
    """Make the database file private before SQLite opens it (see the module docstring)."""
    folder = path.parent
    own = data_dir()
    if not folder.is_dir():
        if folder != own and own not in folder.parents:
            raise UserError(
                f"the folder {folder} does not exist (for the database {path})",
                advice=f"create it (mkdir -p {folder}), or give another --db / TOUCHBASE_DB",
            )
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if folder == own or own in folder.parents:
        tighten(own, PRIVATE_DIR)
        for entry in own.iterdir():
            tighten(entry, PRIVATE_DIR if entry.is_dir() else PRIVATE_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    except OSError as exc:
        raise UserError(
            f"cannot create the database {path}: {exc.strerror}",
            advice="check the folder's permissions, or give another --db / TOUCHBASE_DB",
        ) from None
    os.close(fd)
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        tighten(folder / name, PRIVATE_FILE)


def tighten(path: Path, mode: int) -> None:
    """Take group and other permissions off `path` (an existing install from before)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or not info.st_mode & 0o077:
        return
    if info.st_uid != os.getuid():
        return  # not ours to change: a shared folder someone pointed --db into
    try:
        path.chmod(stat.S_IMODE(info.st_mode) & mode)
    except OSError:
        return
    TIGHTENED.append(f"{path} (was {stat.S_IMODE(info.st_mode):04o})")
    log.warning("made %s private (it was %04o)", path, stat.S_IMODE(info.st_mode))


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    _wal(cursor)
    # NORMAL is durable across application crashes in WAL mode; only power loss can drop the
    # last transactions, which then simply sync again (a page and its cursor stay together).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Checkpoint the WAL every ~40 MB instead of every 4 MB: each checkpoint syncs the database
    # file, and at the default an import spent a third of its time in them (BENCHMARKS.md).
    # The WAL is truncated back to 64 MB after a checkpoint so it never stays large.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
    cursor.execute(f"PRAGMA cache_size=-{READER_CACHE_KB}")
    record.info[_CACHE_KB] = READER_CACHE_KB
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# SQLite's page cache of a connection, sized by what it did in its last turn from the pool.
# A writer's 64 MB (the default is 2 MB) keeps the participant indexes in memory from one page
# of records inserted to the next (a sync takes the pooled connection again for each page; its
# first page runs with a reader's). A reader's full 64 MB was a fifth of a long-lived
# process's peak at 1M (bench/rules.py, issue 16: web phase 231-232 MB, 203-204 with 32 MB,
# 186 with 16), and its pages come back from the OS's file cache: Service.plan repeated in one
# process took the same CPU at 32 MB; at 16 MB the busiest person's page and the due list
# looked slower in some rounds (noise ~20% at load 3), so 32. Lowering the size frees the
# pages over it.
WRITER_CACHE_KB = 65_536
READER_CACHE_KB = 32_768
_CACHE_KB, _CHANGES = "touchbase_cache_kb", "touchbase_changes"


def _count_changes(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    record.info[_CHANGES] = dbapi_connection.total_changes


def _size_cache(dbapi_connection: Any, record: Any) -> None:
    """On the way back to the pool: a writer's cache if the connection changed a row in this
    turn (a sync's page, the contact state), else a reader's."""
    before = record.info.pop(_CHANGES, None)
    if dbapi_connection is None or before is None:
        return  # invalidated, or never handed out
    import sqlite3  # loaded already: this is a SQLite connection

    wrote = dbapi_connection.total_changes != before
    size = WRITER_CACHE_KB if wrote else READER_CACHE_KB
    if record.info.get(_CACHE_KB) != size:
        try:
            dbapi_connection.execute(f"PRAGMA cache_size=-{size}")
        except sqlite3.Error:
            return  # a closed connection: the pool discards it
        record.info[_CACHE_KB] = size


def _wal(cursor: Any) -> None:
    """WAL mode, waiting like the busy timeout when another process holds the lock the switch
    needs: SQLite answers that switch "database is locked" at once, without its busy handler
    (two processes opening a new database together: one failed at start-up on a CI run)."""
    import sqlite3  # loaded already: this runs on a new SQLite connection
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@cache
def head_revisions() -> frozenset[str] | None:
    """The newest revision(s) of touchbase's migrations, known without importing alembic."""
    return heads_in(MIGRATIONS / "versions")


def heads_in(versions: Path) -> frozenset[str] | None:
    """The head revision(s) of a versions folder, read from its files' `revision` and
    `down_revision` lines; None when a file cannot be read that way (then alembic decides).
    A test keeps this equal to alembic's own heads."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision[1])
        parents.update(_QUOTED.findall(down[1]))
    return frozenset(revisions - parents) or None


def stored_revisions(connection: Connection) -> frozenset[str]:
    """The revision(s) the database is at: empty for a new database."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return frozenset()
    return frozenset(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; refuse a database from a newer touchbase."""
    try:
        with engine.connect() as connection:
            current = stored_revisions(connection)
    except OperationalError as exc:
        raise UserError(
            f"cannot open the database: {exc.orig}",
            advice="check the --db URL / TOUCHBASE_DB, that the server runs and you may log in",
        ) from exc
    if current and current == head_revisions():
        return  # the everyday case: nothing to do, and no alembic to load for it
    _migrate_with_alembic(engine, current)


def _migrate_with_alembic(engine: Engine, current: frozenset[str]) -> None:
    """Migrate `engine` from `current` (read just before) to the head, or refuse it."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = sorted(rev for rev in current if rev not in known)
    if unknown:
        raise UserError(
            f"the database was written by a newer touchbase (schema {', '.join(unknown)})",
            advice="upgrade touchbase, or point --db at another database",
        )
    if set(current) != set(script.get_heads()):
        # A new database is made in a moment; an existing one may have rows to rewrite (0012
        # keys every interaction: ~6 s at 1M on SQLite, longer on PostgreSQL), so an upgrade
        # says what the wait is, once, on the console's stderr and in the daemon's log.
        say = log.warning if current else log.info
        say(
            "updating the database schema from %s to %s (once after an upgrade; "
            "a large database may take a minute)",
            ", ".join(sorted(current)) or "nothing",
            ", ".join(script.get_heads()),
        )
        command.upgrade(config, "head")


def open_database(url: str) -> sessionmaker[Session]:
    """Engine + migrations + a session factory: what every command starts with."""
    engine = make_engine(url)
    migrate(engine)
    return sessionmaker(engine, expire_on_commit=False)
