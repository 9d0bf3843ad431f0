"""A file database's pool hands out the connection returned last (db.make_engine): each pooled
SQLite connection keeps its own page cache (up to 64 MB), so the connection a nested read
borrowed must not take the next big read in turn (issue 16: a Service's peak at 1M)."""

from __future__ import annotations

from pathlib import Path

from touchbase.agent.pipeline.db import make_engine


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
