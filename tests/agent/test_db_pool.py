"""A file database's pool hands out the connection returned last (db.make_engine): each pooled
SQLite connection keeps its own page cache (up to 64 MB), so the connection a nested read
borrowed must not take the next big read in turn (issue 16: a Service's peak at 1M)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from touchbase.agent.pipeline.db import READER_CACHE_KB, WRITER_CACHE_KB, make_engine


def test_the_connection_returned_last_is_handed_out_next(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'touchbase.db'}")
    try:
        outer = engine.connect()
        nested = engine.connect()  # a short read inside another (the owner's settings)
        outer_raw, nested_raw = (
            outer.connection.dbapi_connection,
            nested.connection.dbapi_connection,
        )
        nested.close()
        outer.close()  # the big reader goes back last
        for _ in range(3):  # every next session gets the big reader's connection, not the other
            with engine.connect() as again:
                assert again.connection.dbapi_connection is outer_raw
                assert again.connection.dbapi_connection is not nested_raw
    finally:
        engine.dispose()


def _cache_kb(engine: object) -> int:
    with engine.connect() as connection:  # type: ignore[attr-defined]
        raw = connection.connection.dbapi_connection
        return -int(raw.execute("PRAGMA cache_size").fetchone()[0])


def test_a_connection_keeps_a_writers_cache_after_writing_and_a_readers_after_reading(
    tmp_path: Path,
) -> None:
    """A sync's pages keep the 64 MB that holds the indexes from one page to the next; a
    connection that only read goes back with the reader's size, which frees the pages over it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'touchbase.db'}")
    try:
        assert _cache_kb(engine) == READER_CACHE_KB < WRITER_CACHE_KB  # a new connection
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        assert _cache_kb(engine) == WRITER_CACHE_KB  # it wrote in its last turn
        assert _cache_kb(engine) == READER_CACHE_KB  # that turn only read
        with engine.connect() as connection:
            connection.execute(text("SELECT x FROM t")).all()
        with engine.begin() as connection:
            connection.execute(text("UPDATE t SET x = 2"))
        assert _cache_kb(engine) == WRITER_CACHE_KB
    finally:
        engine.dispose()
