"""Copies of one message split across a pull that stops and resumes are stored as an
uninterrupted pull stores them: once (nothing doubled).

A pull takes one interaction per message identity (Message-ID, else a digest of the header
fields), from the first folder that has it: Sent, then INBOX, then by name. A pull that stopped
after any page (a kill between pages leaves the same store: each page commits with its cursor)
and ran again must end with exactly the rows, quarantine and cursor of one uninterrupted pull,
for every page it can stop after, and after two stops too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.agent.dbdump import content
from tests.connectors.imap_world import ImapWorld
from tests.servers.dovecot import Dovecot
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account

pytestmark = pytest.mark.servers
NOW = datetime(2024, 6, 1, tzinfo=UTC)
T0 = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)


def raw(
    n: int,
    *,
    mid: str | None,
    sender: str = "ann@example.com",
    to: str = "me@example.org",
    when: datetime | None = None,
    dated: bool = True,
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: message {n}"]
    if dated:
        lines.append(f"Date: {format_datetime(when or T0 + timedelta(hours=n))}")
    if mid is not None:
        lines.append(f"Message-ID: {mid}")
    lines += ["", "A body no sync reads.", ""]
    return "\r\n".join(lines).encode()


def fill(world: ImapWorld) -> None:
    """Three folders whose copies of one message fall in different pages (page_size 2)."""
    sent_copy = raw(1, mid="<both@x.test>", sender="me@example.org", to="ann@example.com")
    undated = raw(5, mid="<undated@x.test>", dated=False)
    no_id = raw(6, mid=None, sender="bob@example.com")
    folders: dict[str, list[tuple[bytes, datetime]]] = {
        "Sent": [
            (raw(0, mid="<s0@x.test>", sender="me@example.org", to="cy@example.com"), T0),
            (sent_copy, T0),  # the owner wrote to Ann and to themself: a copy in INBOX too
            (raw(2, mid="<s2@x.test>", sender="me@example.org", to="dee@example.com"), T0),
        ],
        "INBOX": [
            (raw(3, mid="<fill3@x.test>"), T0),
            (sent_copy, T0),
            (raw(4, mid="<reused@x.test>"), T0),
            (raw(7, mid="<fill7@x.test>"), T0),
            # The same Message-ID on another message (another date and sender) one page on.
            (raw(8, mid="<reused@x.test>", sender="eve@example.com"), T0),
            (undated, T0 + timedelta(days=1)),  # no Date: INBOX's arrival time stands in
            (no_id, T0),
        ],
        "Archive": [
            (raw(9, mid="<fill9@x.test>"), T0),
            (undated, T0 + timedelta(days=2)),  # another arrival time: another date
            (no_id, T0),
            (raw(4, mid="<reused@x.test>"), T0),
            (sent_copy, T0),
        ],
    }
    with world.admin() as client:
        client.create_folder("Archive")
        for folder, messages in folders.items():
            for message, arrived in messages:
                client.append(folder, message, flags=(b"\\Seen",), msg_time=arrived)


def sync(world: ImapWorld, db: Path, stop_after: int | None = None) -> int:
    """One `sync_account` into `db`; with `stop_after`, it stops once that many pages are
    stored (as a kill between pages leaves it). Returns the pages stored."""
    store = Store(open_database(sqlite_url(db)))
    account = store.ensure_account("imap", "imap", NOW)
    pages = 0

    def stop() -> bool:
        nonlocal pages
        pages += 1
        return stop_after is not None and pages >= stop_after

    result = sync_account(store, account, "imap", world.source(), should_stop=stop)
    assert result.status == "ok", result
    store.sessions.kw["bind"].dispose()
    return pages


@pytest.fixture(scope="module")
def world(dovecot: Dovecot) -> Iterator[ImapWorld]:
    world = ImapWorld(dovecot, extra={"page_size": 2})
    fill(world)
    yield world
    world.close_all()


@pytest.fixture(scope="module")
def once(world: ImapWorld, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, int]:
    db = tmp_path_factory.mktemp("clean") / "clean.db"
    pages = sync(world, db)
    return content(sqlite_url(db)), pages


def test_an_uninterrupted_pull_takes_each_message_once(once: tuple[dict, int]) -> None:
    stored, pages = once
    ids = [row[0][1] for row in stored["interactions"]]
    assert len(ids) == len(set(ids))
    # Sent's copy of <both> wins over INBOX's and Archive's; <reused> and <undated> come once.
    assert sum(1 for i in ids if "both@" in i) == 1 and "sent:<both@x.test>" in ids
    assert sum(1 for i in ids if "reused@" in i) == 1
    assert sum(1 for i in ids if "undated@" in i) == 1
    assert sum(1 for i in ids if ":sha256:" in i) == 1
    assert len(ids) == 9 and pages >= 8
    assert "started" not in stored["cursors"][0][1]


def test_stopped_after_any_page_and_resumed_equals_uninterrupted(
    world: ImapWorld, once: tuple[dict, int], tmp_path: Path
) -> None:
    expected, pages = once
    for stop in range(1, pages):
        db = tmp_path / f"stopped-{stop}.db"
        assert sync(world, db, stop_after=stop) == stop
        sync(world, db)
        assert content(sqlite_url(db)) == expected, f"stopped after page {stop}"


def test_stopped_twice_equals_uninterrupted(
    world: ImapWorld, once: tuple[dict, int], tmp_path: Path
) -> None:
    expected, _ = once
    for first, second in [(1, 2), (2, 3), (3, 1), (4, 2), (5, 1)]:
        db = tmp_path / f"stopped-{first}-{second}.db"
        sync(world, db, stop_after=first)
        sync(world, db, stop_after=second)
        sync(world, db)
        assert content(sqlite_url(db)) == expected, (first, second)


def test_a_finished_pull_leaves_no_resume_marks_and_a_next_pull_stores_nothing(
    world: ImapWorld, once: tuple[dict, int], tmp_path: Path
) -> None:
    expected, _ = once
    db = tmp_path / "again.db"
    sync(world, db, stop_after=3)
    assert '"started"' in content(sqlite_url(db))["cursors"][0][1]
    sync(world, db)
    sync(world, db)
    assert content(sqlite_url(db)) == expected
