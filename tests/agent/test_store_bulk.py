"""A first sync into an empty store inserts without the participants' address index and builds
it once at its end (issue 16): the same rows and the same indexes as the normal path, on both
engines; a run after a killed first sync builds them before its first page."""

from __future__ import annotations

import contextlib
import random
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.dialects import sqlite

from tests.agent.dbdump import content
from tests.conftest import need
from tests.servers.postgres import PostgresServer
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.first_sync import build_indexes
from touchbase.agent.pipeline.models import UTCDateTime
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.stored_time import sqlite_utc as _sqlite_utc
from touchbase.connectors.base import InteractionRecord as Record
from touchbase.connectors.base import Kind, Page, Role
from touchbase.connectors.base import Participant as P

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
DEFERRED = {"ix_participants_address"}


def indexes(url: str) -> dict[str, str]:
    """Every index of the database: name -> its definition, as the engine keeps it."""
    engine: Engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                rows = connection.execute(
                    text("select name, coalesce(sql, '') from sqlite_master where type = 'index'")
                )
            else:
                rows = connection.execute(
                    text(
                        "select indexname, indexdef from pg_indexes "
                        "where schemaname = current_schema()"
                    )
                )
            return {name: definition for name, definition in rows}
    finally:
        engine.dispose()


def mail(n: int, sender: str = "ann@y.org", day: int = 1) -> Record:
    return Record(
        source_id=f"sent:<{n}@x.org>",
        kind=Kind.MAIL,
        occurred_at=NOW - timedelta(days=day),
        participants=(
            P(sender, Role.FROM, "Ann"),
            P(f"p{n}@y.org", Role.TO),
            P("c@y.org", Role.CC),
        ),
        subject=f"subject {n}",
        message_id=f"<{n}@x.org>",
    )


def test_a_first_sync_goes_in_without_the_participant_indexes_and_ends_with_them(
    db_url: str,
) -> None:
    store = Store(open_database(db_url))
    fresh = indexes(db_url)
    assert set(fresh) >= DEFERRED
    account = store.ensure_account("a", "imap", NOW)
    run = store.start_run(account, NOW)
    assert not DEFERRED & set(indexes(db_url)), "an empty store's first run keeps the indexes"
    page = Page(interactions=[mail(n) for n in range(50)], cursor="c1")
    assert store.save_page(account, run, page, NOW).stored == 50
    assert not DEFERRED & set(indexes(db_url))
    store.finish_run(run, "ok", NOW)
    assert indexes(db_url) == fresh

    again = store.start_run(account, NOW)  # not empty any more: the indexes stay
    assert store.save_page(account, again, Page(interactions=[mail(50)]), NOW).stored == 1
    assert indexes(db_url) == fresh
    store.finish_run(again, "ok", NOW)


def test_the_run_after_a_killed_first_sync_builds_the_indexes_before_its_pages(
    db_url: str,
) -> None:
    """A first sync killed between pages leaves its pages (each with its cursor) and no
    indexes; the restart finds the store not empty and builds them at its start."""
    store = Store(open_database(db_url))
    fresh = indexes(db_url)
    account = store.ensure_account("a", "imap", NOW)
    killed = store.start_run(account, NOW)
    store.save_page(
        account, killed, Page(interactions=[mail(n) for n in range(10)], cursor="c1"), NOW
    )
    # killed here: finish_run never runs
    restarted = Store(open_database(db_url))
    run = restarted.start_run(account, NOW)
    assert indexes(db_url) == fresh
    assert restarted.cursor(account) == "c1"
    page = Page(interactions=[mail(n) for n in range(5, 20)], cursor="c2")
    result = restarted.save_page(account, run, page, NOW)
    assert (result.stored, result.duplicates) == (10, 5)
    restarted.finish_run(run, "ok", NOW)
    assert indexes(db_url) == fresh


# -- the bulk path equals the normal path ------------------------------------------------------

_SENDERS = ("ann@y.org", "bob@y.org")


def _record(kind: str, n: int, sender: int, day: int, version: int) -> Record:
    """Mail reusing a few Message-IDs (the variant path), or a meeting that may change."""
    if kind == "meeting":
        return Record(
            source_id=f"cal:{n}",
            kind=Kind.MEETING,
            occurred_at=NOW + timedelta(days=day),
            ended_at=NOW + timedelta(days=day, hours=1),
            participants=(P("me@x.org", Role.ORGANIZER), P(_SENDERS[sender], Role.ATTENDEE)),
            subject=f"meeting {n} v{version}",
        )
    return Record(
        source_id=f"sent:<{n}@x.org>",
        kind=Kind.MAIL,
        occurred_at=NOW - timedelta(days=day),
        participants=(P(_SENDERS[sender], Role.FROM), P(f"p{n}@y.org", Role.TO, "P")),
        message_id=f"<{n}@x.org>",
    )


_RECORDS = st.lists(
    st.builds(
        _record,
        st.sampled_from(["mail", "mail", "meeting"]),
        st.integers(0, 6),
        st.integers(0, 1),
        st.integers(1, 2),
        st.integers(0, 1),
    ),
    max_size=25,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def new_url(request: pytest.FixtureRequest) -> Iterator[object]:
    """A maker of fresh empty database URLs on one engine (two per hypothesis example)."""
    folder = tempfile.mkdtemp(prefix="tb-bulk-")
    if request.param == "sqlite":
        count = iter(range(10**6))
        yield lambda: f"sqlite:///{folder}/{next(count)}.db"
    else:
        server: PostgresServer | None = request.getfixturevalue("postgres")
        need(server is not None, "PostgreSQL is not installed (apt-get install postgresql)")
        assert server is not None
        yield server.new_database
    shutil.rmtree(folder, ignore_errors=True)


# The fixture is a maker of fresh databases: sharing it between examples is the point.
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=_RECORDS, page_size=st.integers(1, 7), replay=st.booleans(), rng=st.randoms())
def test_the_bulk_path_stores_the_same_rows_and_indexes_as_the_normal_path(
    new_url: object, records: list[Record], page_size: int, replay: bool, rng: random.Random
) -> None:
    """Whatever the pages hold (new mail, a Message-ID another message took, pages seen twice,
    meetings changed), storing them into an empty store (indexes left out until the run
    ends) gives exactly the rows, participants, counts and indexes of storing them with the
    indexes kept up to date throughout."""
    assert callable(new_url)
    pages = [
        Page(interactions=records[i : i + page_size], cursor=f"c{i}")
        for i in range(0, len(records), page_size)
    ]
    if replay and pages:  # a page stored again (a resync): every row a conflict
        pages.insert(rng.randrange(len(pages) + 1), pages[rng.randrange(len(pages))])
    outcomes = []
    for bulk in (True, False):
        url = new_url()
        store = Store(open_database(url))
        account = store.ensure_account("a", "imap", NOW)
        run = store.start_run(account, NOW)
        if not bulk:  # the normal path: the indexes are there while the pages go in
            with store.sessions.begin() as session:
                build_indexes(session.connection())
        results = [store.save_page(account, run, page, NOW) for page in pages]
        store.finish_run(run, "ok", NOW)
        outcomes.append((results, content(url), indexes(url)))
        store.sessions.kw["bind"].dispose()
    assert outcomes[0] == outcomes[1]


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        ),
    )
)
def test_bulk_times_are_the_text_sqlalchemy_writes_on_sqlite(value: datetime) -> None:
    """stored_time.sqlite_utc is exactly UTCDateTime's stored form on SQLite."""
    dialect = sqlite.dialect()
    column = UTCDateTime()
    impl = column.dialect_impl(dialect).impl_instance  # type: ignore[attr-defined]
    expected = impl.bind_processor(dialect)(column.process_bind_param(value, dialect))
    assert _sqlite_utc(value) == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["a", "b", None])), max_size=40),
    st.booleans(),
    st.integers(2, 9),
)
def test_bulk_insert_on_sqlite_is_one_row_at_a_time(
    rows: list[tuple[int, str | None]], skip: bool, variables: int
) -> None:
    """Many rows bound to a statement (bulk._sqlite_executemany, here with a few variables a
    statement so that short lists take that path) store what inserting them one by one
    stores: the same rows under the same ids, the same count, conflicts skipped alike."""
    from unittest import mock

    from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint

    from touchbase.agent.pipeline import bulk

    if not skip:  # without ON CONFLICT a repeated key fails the statement: keep them apart
        rows = list({k: (k, v) for k, v in rows}.values())
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("k", Integer),
        Column("v", String),
        UniqueConstraint("k"),
    )
    conflict = " ON CONFLICT (k) DO NOTHING" if skip else ""
    stored = []
    for many in (True, False):
        engine = create_engine("sqlite://")
        table.metadata.create_all(engine)
        with engine.begin() as connection:
            if many:
                with mock.patch.object(bulk, "_SQLITE_VARIABLES", variables):
                    on = ("k",) if skip else ()
                    count = bulk.bulk_insert(
                        connection, table, ("k", "v"), rows, skip_conflicts_on=on
                    )
            else:
                sql = "INSERT INTO t (k, v) VALUES (?, ?)" + conflict
                count = sum(connection.exec_driver_sql(sql, row).rowcount for row in rows)
            contents = connection.exec_driver_sql("SELECT id, k, v FROM t ORDER BY id").all()
        stored.append((count, contents))
        engine.dispose()
    assert stored[0] == stored[1]


def _exact(url: str) -> list[Any]:
    """Every interactions and participants row with its id, in id order; on SQLite each value
    with its storage class too (a literal and a bound value may differ only there)."""
    engine = create_engine(url)
    out: list[Any] = []
    try:
        with engine.connect() as connection:
            for table in ("interactions", "participants"):
                names = [c["name"] for c in inspect(connection).get_columns(table)]
                quoted = [f'"{n}"' for n in names]
                if engine.dialect.name == "sqlite":
                    quoted += [f'typeof("{n}")' for n in names]
                sql = f"select {', '.join(quoted)} from {table} order by id"
                out.append([tuple(row) for row in connection.exec_driver_sql(sql)])
    finally:
        engine.dispose()
    return out


_MAIL_ONLY = st.lists(
    st.builds(_record, st.just("mail"), st.integers(0, 6), st.integers(0, 1), st.integers(1, 2),
              st.integers(0, 1)),
    max_size=25,
)  # fmt: skip


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.one_of(_RECORDS, _MAIL_ONLY), page_size=st.integers(1, 7))
def test_mail_rows_with_fixed_columns_store_what_binding_every_column_stores(
    new_url: object, records: list[Record], page_size: int
) -> None:
    """The mail pages' inserts write their shared columns into the statement (store.mail_rows,
    plain_participant_rows, bulk_insert's `fixed`): the same rows, ids and stored types as
    binding all of every row's columns."""
    from unittest import mock

    from touchbase.agent.pipeline import store as store_module

    assert callable(new_url)
    pages = [
        Page(interactions=records[i : i + page_size], cursor=f"c{i}")
        for i in range(0, len(records), page_size)
    ]
    outcomes = []
    for fixed in (True, False):
        url = new_url()
        with (
            mock.patch.object(store_module, "mail_rows", lambda rows: None)
            if not fixed
            else contextlib.nullcontext(),
            mock.patch.object(store_module, "plain_participant_rows", lambda pairs: None)
            if not fixed
            else contextlib.nullcontext(),
        ):
            store = Store(open_database(url))
            account = store.ensure_account("a", "imap", NOW)
            run = store.start_run(account, NOW)
            results = [store.save_page(account, run, page, NOW) for page in pages]
            store.finish_run(run, "ok", NOW)
            store.sessions.kw["bind"].dispose()
        outcomes.append((results, _exact(url)))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("value", [None, True, False, 0, 7, -3, "", "mail", "it's", "2024-06-01"])
def test_a_fixed_value_stores_what_binding_it_stores(value: bool | int | str | None) -> None:
    from touchbase.agent.pipeline.bulk import _literal

    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        literal = connection.exec_driver_sql(f"select {_literal(value)}, typeof({_literal(value)})")
        bound = connection.exec_driver_sql("select ?, typeof(?)", (value, value))
        assert literal.one() == bound.one()
    engine.dispose()
