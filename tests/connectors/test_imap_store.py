"""The IMAP connector through the agent's real sync and SQLite store: faults leave no doubles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.connectors.imap_world import ImapWorld, raw_message
from tests.contract import make_spec
from tests.servers.dovecot import Dovecot
from tests.servers.proxy import CutProxy
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.models import InteractionRow
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account

pytestmark = pytest.mark.servers
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def stored(store: Store) -> int:
    with store.sessions() as session:
        return session.scalar(select(func.count()).select_from(InteractionRow)) or 0


def test_cut_resync_and_new_mail_store_every_message_once(dovecot: Dovecot, tmp_path: Path) -> None:
    world = ImapWorld(dovecot, extra={"page_size": 5})
    sent = [raw_message(make_spec()) for _ in range(23)]
    world.append("Sent", sent)
    world.add([make_spec(sent=False) for _ in range(4)])
    store = Store(open_database(sqlite_url(tmp_path / "t.db")))
    account = store.ensure_account("imap", "imap", NOW)

    proxy = CutProxy(dovecot.port)
    proxy.cut_after = 4000
    try:
        cut = sync_account(store, account, "imap", world.account(port=proxy.port))
    finally:
        proxy.close()
    assert cut.status == "transient" and 0 < cut.stored < 27

    done = sync_account(store, account, "imap", world.source())
    assert done.status == "ok" and stored(store) == 27 and done.duplicates == 0

    with world.admin() as client:  # the folder recreated: new UIDVALIDITY, same messages
        client.delete_folder("Sent")
        client.create_folder("Sent")
    world.append("Sent", [*sent, raw_message(make_spec())])
    again = sync_account(store, account, "imap", world.source())
    assert again.status == "ok" and again.resyncs == 1
    assert (again.stored, again.duplicates) == (1, 23)
    assert stored(store) == 28
    world.close_all()
