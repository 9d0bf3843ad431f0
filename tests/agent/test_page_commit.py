"""A sync's page finished on a thread (agent/pipeline/page_commit.py, SQLite): the participants
inserted over JSON are exactly what executemany stores, a run stores what page-by-page
`save_page` stores, and a page whose commit fails fails the run with nothing after it stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from tests.agent.dbdump import content
from touchbase.agent.pipeline import page_commit
from touchbase.agent.pipeline.bulk import bulk_insert
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.store import PARTICIPANTS, PARTY_COLUMNS, Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

NOW = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.skipif(not page_commit.JSON_ROWS, reason="SQLite before 3.38")


def mail(n: int, to: str = "b@x.example") -> InteractionRecord:
    """Mail n; n >= 1000 reuses the Message-ID of mail n % 23 at another time (stored as its
    variant, after reading the holder's sender back: the participants held back go in first)."""
    message_id = f"<m{n % 23 if n >= 1000 else n}@x.example>"
    return InteractionRecord(
        source_id=f"sent:{message_id}",
        kind=Kind.MAIL,
        occurred_at=NOW - timedelta(minutes=n),
        participants=(Participant("a@x.example", Role.FROM, "Ann"), Participant(to, Role.TO)),
        subject=f"Note {n}",
        message_id=message_id,
    )


def no_sender(record: InteractionRecord) -> InteractionRecord:
    """Another message under the same Message-ID and time, without a From: told apart from
    the first only by the first one's sender, which is read back from this page's rows."""
    return replace(record, participants=record.participants[1:])


class Pages:
    """A source of fixed pages, each with its cursor."""

    def __init__(self, pages: list[list[InteractionRecord]]) -> None:
        self.pages = pages

    def pull(self, cursor: str | None) -> Iterator[Page]:
        for number, records in enumerate(self.pages, 1):
            yield Page(interactions=records, cursor=f"page {number}")

    def close(self) -> None:
        pass


def raw_participants(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT *, typeof(name), typeof(response), typeof(resource), typeof(is_self) "
            "FROM participants ORDER BY id"
        ).fetchall()


text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)  # no lone surrogates
party_rows = st.lists(
    st.tuples(text, st.sampled_from(["from", "to", "cc"]), text, st.none() | text, st.booleans(),
              st.booleans(), st.booleans()),
    max_size=8,
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=party_rows)
def test_rows_inserted_over_json_are_what_executemany_stores(
    tmp_path: Path, rows: list[tuple[Any, ...]]
) -> None:
    stored = []
    for name, insert in (("json", page_commit.insert_rows), ("many", bulk_insert)):
        path = tmp_path / f"{name}.db"
        path.unlink(missing_ok=True)
        sessions = open_database(sqlite_url(path))
        with sessions.begin() as session:
            connection = session.connection()
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # rows without interactions
            insert(connection, PARTICIPANTS, PARTY_COLUMNS, [(n, *r) for n, r in enumerate(rows)])
        sessions.kw["bind"].dispose()
        stored.append(raw_participants(path))
    assert stored[0] == stored[1]


def sync(path: Path, pages: list[list[InteractionRecord]], overlapped: bool) -> Any:
    store = Store(open_database(sqlite_url(path)))
    if not overlapped:
        store.save_page_overlapped = lambda *a: (store.save_page(*a), page_commit.DONE)  # type: ignore[method-assign]
    account = store.ensure_account("a1", "memory", NOW)
    result = sync_account(store, account, "a1", Pages(pages), clock=lambda: NOW)
    store.sessions.kw["bind"].dispose()
    return result


def test_a_run_stores_what_page_by_page_save_page_stores(tmp_path: Path) -> None:
    pages = [
        [mail(n, to=f"p{n % 7}@x.example") for n in range(0, 40)] + [no_sender(mail(16))],
        [mail(n) for n in range(40, 60)] + [mail(1001), mail(1002)],  # Message-IDs known
        [],
        [mail(n, to="nul\x00name@x.example") for n in range(60, 64)],  # NUL: executemany
    ]
    for overlapped in (False, True):
        result = sync(tmp_path / f"{overlapped}.db", pages, overlapped)
        assert result.status == "ok" and result.pages == 4 and result.stored == 67, result
    assert content(sqlite_url(tmp_path / "False.db")) == content(sqlite_url(tmp_path / "True.db"))
    assert raw_participants(tmp_path / "False.db") == raw_participants(tmp_path / "True.db")


def test_a_page_that_fails_to_commit_fails_the_run_and_nothing_after_it_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = page_commit.insert_rows

    def second_fails(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        real(*args)

    monkeypatch.setattr("touchbase.agent.pipeline.store.insert_rows", second_fails)
    path = tmp_path / "t.db"
    pages = [[mail(n) for n in range(start, start + 10)] for start in range(0, 50, 10)]
    result = sync(path, pages, overlapped=True)
    assert result.status == "failed" and "disk I/O error" in (result.error or ""), result
    engine = create_engine(sqlite_url(path))
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT source_id FROM interactions").scalars().all()
        cursor = connection.exec_driver_sql("SELECT value FROM cursors").scalar()
    engine.dispose()
    assert sorted(stored) == sorted(f"sent:<m{n}@x.example>" for n in range(10)), "page 1 only"
    assert cursor == "page 1"
    assert len(calls) == 2, "no page stored after the one that failed"


def test_a_stopped_run_returns_with_its_last_page_committed(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = Store(open_database(sqlite_url(path)))
    account = store.ensure_account("a1", "memory", NOW)
    pages = [[mail(n) for n in range(start, start + 10)] for start in range(0, 30, 10)]
    result = sync_account(
        store, account, "a1", Pages(pages), clock=lambda: NOW, should_stop=lambda: True
    )
    assert result.status == "ok" and result.pages == 1, result
    # Read on another connection: what the page's transaction committed, nothing in flight.
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM participants").fetchone() == (20,)
        assert connection.execute("SELECT value FROM cursors").fetchone() == ("page 1",)
    store.sessions.kw["bind"].dispose()
