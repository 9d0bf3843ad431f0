"""Faults the IMAP connector survives with nothing lost and nothing doubled (issue 5)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.connectors.imap_world import ImapWorld, raw_message
from tests.contract import interactions, make_spec
from tests.servers.dovecot import Dovecot
from tests.servers.proxy import CutProxy
from touchbase.connectors.base import Page, Source
from touchbase.connectors.errors import AuthError, TransientError

pytestmark = pytest.mark.servers


@dataclass
class Store:
    """What the agent's store promises: a page and its cursor land together, or not at all."""

    cursor: str | None = None
    counts: Counter[str] = field(default_factory=Counter)
    resyncs: int = 0

    def save(self, page: Page) -> None:
        if page.resync:
            self.resyncs += 1
        for item in page.interactions:
            self.counts[item.source_id] += 1
        if page.cursor is not None:
            self.cursor = page.cursor

    def sync(self, source: Source) -> None:
        for page in source.pull(self.cursor):
            self.save(page)

    def ids(self) -> set[str]:
        return set(self.counts)

    def doubled(self) -> list[str]:
        return [sid for sid, n in self.counts.items() if n > 1]


def fill(world: ImapWorld, sent: int, received: int = 0) -> set[str]:
    specs = [make_spec() for _ in range(sent)] + [make_spec(sent=False) for _ in range(received)]
    world.add(specs)
    return {f"{'sent' if s.sent else 'received'}:{s.message_id}" for s in specs}


@pytest.fixture
def world(dovecot: Dovecot) -> Iterator[ImapWorld]:
    world = ImapWorld(dovecot, extra={"page_size": 4})
    yield world
    world.close_all()


def test_connection_dropped_mid_fetch_resumes_from_the_stored_cursor(world: ImapWorld) -> None:
    expected = fill(world, sent=30, received=5)
    proxy = CutProxy(world.server.port)
    try:
        # Big pages so the cut falls inside one FETCH answer, not between commands.
        proxy.cut_after = 6000
        cut = world.account(port=proxy.port, page_size=20)
        store = Store()
        with pytest.raises(TransientError):
            store.sync(cut)
        assert proxy.cuts == 1
        assert store.ids() < expected, "the cut came too late to test anything"
        store.sync(world.source())  # the next cycle, from the last stored cursor
    finally:
        proxy.close()
    assert store.ids() == expected
    assert store.doubled() == []


def test_imap_process_killed_between_pages(world: ImapWorld) -> None:
    expected = fill(world, sent=12)
    store = Store()
    account = world.source()
    pages = account.pull(None)
    store.save(next(pages))
    for pid in world.server.imap_pids():
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(TransientError):
        for page in pages:
            store.save(page)
    store.sync(account)  # the same account object reconnects on the next pull
    assert store.ids() == expected
    assert store.doubled() == []


def test_server_restarted_between_two_syncs() -> None:
    server = Dovecot().start()
    try:
        world = ImapWorld(server, extra={"page_size": 4})
        first = fill(world, sent=6, received=2)
        store = Store()
        store.sync(world.source())
        world.close_all()
        server.restart()
        second = fill(world, sent=3)
        store.sync(world.source())
        assert store.ids() == first | second
        assert store.doubled() == []
        assert store.resyncs == 0
    finally:
        server.destroy()


def test_uidvalidity_change_resyncs_the_folder_without_duplicates(world: ImapWorld) -> None:
    old = [raw_message(make_spec()) for _ in range(6)]
    world.append("Sent", old)
    store = Store()
    store.sync(world.source())
    with world.admin() as client:
        client.delete_folder("Sent")
        client.create_folder("Sent")
    new_spec = make_spec()
    world.append("Sent", [*old, raw_message(new_spec)])  # the folder, rebuilt, new UIDs
    pages = list(world.source().pull(store.cursor))
    assert pages[0].resync
    assert sum(p.resync for p in pages) == 1
    again = {i.source_id for i in interactions(pages)}
    assert f"sent:{new_spec.message_id}" in again
    assert again <= store.ids() | {f"sent:{new_spec.message_id}"}, "a source id changed"
    for page in pages:
        store.save(page)
    # Stored once per id: the store's unique (account, source id) makes the resync a no-op.
    assert len(store.ids()) == 7
    assert interactions(list(world.source().pull(store.cursor))) == []


def test_messages_arriving_while_a_sync_runs(world: ImapWorld) -> None:
    expected = fill(world, sent=10, received=3)
    store = Store()
    pages = world.source().pull(None)
    store.save(next(pages))  # mid-way through Sent
    expected |= fill(world, sent=3, received=2)  # into the folder being read and the next one
    for page in pages:
        store.save(page)
    store.sync(world.source())
    assert store.ids() == expected
    assert store.doubled() == []


def test_wrong_password_is_a_clear_auth_error_and_other_accounts_go_on(
    world: ImapWorld, dovecot: Dovecot
) -> None:
    fill(world, sent=2)
    with pytest.raises(AuthError) as raised:
        list(world.account(password="not-the-password").pull(None))
    assert "refused the login" in str(raised.value)
    assert "password" in raised.value.advice
    other = ImapWorld(dovecot)
    expected = fill(other, sent=2)
    store = Store()
    store.sync(other.source())
    assert store.ids() == expected
    other.close_all()


def test_missing_password_is_an_auth_error_before_any_login(world: ImapWorld) -> None:
    with pytest.raises(AuthError) as raised:
        list(world.account(password="").pull(None))
    assert "no password stored" in str(raised.value)
