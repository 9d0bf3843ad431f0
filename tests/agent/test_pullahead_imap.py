"""An IMAP account with a password is pulled in a forked worker while the parent stores (issue
16): the database cannot tell, and the parent's leftover objects never close what the worker
opened."""

from __future__ import annotations

import gc
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.agent.dbdump import content
from tests.conftest import need
from tests.connectors.imap_world import ImapWorld, raw_message
from tests.contract import make_spec
from tests.servers.dovecot import Dovecot, dovecot_binary
from touchbase.agent.pipeline import pullahead
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.base import Page
from touchbase.connectors.imap.account import ImapAccount

NOW = datetime(2024, 6, 1, tzinfo=UTC)


class ReusesANumber:
    """Opens its file until it gets descriptor `number`, lets the collector run, reads it."""

    pulls_in_worker = True

    def __init__(self, path: Path, number: int) -> None:
        self.path, self.number = path, number

    def pull(self, cursor: str | None) -> Iterator[Page]:
        opened = [os.open(self.path, os.O_RDONLY) for _ in range(1)]
        while opened[-1] < self.number and len(opened) < 4096:
            opened.append(os.open(self.path, os.O_RDONLY))
        assert opened[-1] == self.number, (opened[-1], self.number)
        gc.collect()  # the parent's garbage, if the collector may see it, closes `number`
        yield Page(cursor=os.read(opened[-1], 100).decode())

    def close(self) -> None:
        pass


def test_the_parents_garbage_never_closes_a_descriptor_the_worker_reuses(tmp_path: Path) -> None:
    """A finished sync's socket, waiting in a reference cycle for the collector when the worker
    is forked: collected in the worker it closed its old number, which the worker had reused
    (an IMAP pull failed with EBADF half-way)."""
    path = tmp_path / "data"
    path.write_text("read whole")
    gc.disable()  # keep the garbage uncollected until the fork, as a busy parent may
    try:
        leftover = socket.socket()
        number = leftover.fileno()
        cycle: list[object] = [leftover]
        cycle.append(cycle)
        del leftover, cycle
        pages = list(pullahead.pages(ReusesANumber(path, number), None))
    finally:
        gc.enable()
        gc.collect()
    assert [page.cursor for page in pages] == ["read whole"]


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    need(dovecot_binary() is not None, "dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot().start()
    yield server
    server.destroy()


def test_imap_pulled_in_a_worker_stores_what_an_in_process_pull_stores(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = ImapWorld(dovecot, extra={"page_size": 7})
    world.append("Sent", [raw_message(make_spec()) for _ in range(30)])
    world.add([make_spec(sent=False) for _ in range(12)])
    assert world.account().pulls_in_worker
    assert not world.account(auth="xoauth2").pulls_in_worker  # a token provider stays here

    real_pull = ImapAccount._pull

    def watched(self: ImapAccount, cursor: str | None) -> Iterator[Page]:
        (tmp_path / f"pid-{os.getpid()}").touch()  # the worker's pid reaches us as a file
        yield from real_pull(self, cursor)

    monkeypatch.setattr(ImapAccount, "_pull", watched)
    dumps = []
    for worker in (True, False):
        if not worker:
            monkeypatch.setattr(ImapAccount, "pulls_in_worker", False)
        url = sqlite_url(tmp_path / f"{worker}.db")
        store = Store(open_database(url))
        account = store.ensure_account("imap", "imap", NOW)
        result = sync_account(store, account, "imap", world.source(), clock=lambda: NOW)
        assert result.status == "ok" and result.stored == 42, result
        dumps.append(content(url))
    pids = {int(p.name[4:]) for p in tmp_path.glob("pid-*")}
    assert len(pids) == 2 and os.getpid() in pids, "one pull in a worker, one here"
    assert dumps[0] == dumps[1]
    world.close_all()
