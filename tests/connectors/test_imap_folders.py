"""Every folder people file mail into, against a real Dovecot (issue 15 items 7 and 4).

allen-p's Enron mailbox filed into IMAP folders syncs to the same people with the same counts as
`touchbase import` of the same files; Junk, Trash and Drafts (RFC 6154 SPECIAL-USE) are not read;
a folder created later is read by the next sync; a renamed or deleted folder, a message moved
from INBOX to Archive or expunged everywhere leaves every interaction counted once, none
tombstoned; an account with an all-mail folder (\\All) reads each message once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import corpus, need
from tests.connectors.imap_world import ImapWorld, raw_message
from tests.contract import make_spec
from tests.servers.dovecot import Dovecot, dovecot_binary
from touchbase.agent.cli.main import main
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.models import InteractionRow
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.headers import parse_date, parse_header_block

pytestmark = pytest.mark.servers
NOW = datetime(2024, 6, 1, tzinfo=UTC)
ALLEN = ("phillip.allen@enron.com", "k..allen@enron.com")
# allen-p's folders as an IMAP account holds them: his Sent is the server's \Sent folder, inbox
# is INBOX, the rest are folders of their own, one of them nested (under a \Noselect parent).
PLACES = {"inbox": "INBOX", "sent": "Sent", "straw": "Projects/straw"}


@pytest.fixture(scope="module")
def server() -> Iterator[Dovecot]:
    """A Dovecot whose Junk, Archive and All Mail folders carry SPECIAL-USE attributes."""
    need(dovecot_binary() is not None, "dovecot is not installed (apt-get install dovecot-imapd)")
    found = Dovecot(special_use={"Junk": "\\Junk", "Archive": "\\Archive", "All Mail": "\\All"})
    found.start()
    yield found
    found.destroy()


def _when(raw: bytes) -> datetime:
    date = next((v for k, v in parse_header_block(raw) if k.lower() == "date"), None)
    return parse_date(date) or NOW


def _people(base: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, tuple[Any, ...]]:
    capsys.readouterr()
    assert main([*base, "people", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    return {
        row["person"]: (
            tuple(sorted(row["addresses"])),
            row["sent_count"],
            row["received_count"],
            row["last_sent"],
            row["last_received"],
        )
        for row in rows
    }


def test_sync_of_a_filed_mailbox_finds_what_its_import_finds(
    server: Dovecot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox = corpus("enron", "maildir", "allen-p")
    world = ImapWorld(server)
    for folder in sorted(p for p in mailbox.iterdir() if p.is_dir()):
        raws = [p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()]
        place = PLACES.get(folder.name, folder.name)
        server.write_messages(world.user, place, ((raw, _when(raw)) for raw in raws))
    # Mail that is not correspondence, where a mail program keeps it: never read.
    noise = {
        "Junk": "spammer@junk.example",
        "Trash": "binned@trash.example",
        "Drafts": "unsent@drafts.example",
    }
    with world.admin() as client:
        client.create_folder("Junk")
    for place, sender in noise.items():
        spec = make_spec(sent=False, sender=sender, to=(ALLEN[0],), date=NOW)
        server.write_messages(world.user, place, [(raw_message(spec), NOW)])

    me = [arg for address in ALLEN for arg in ("--me", address)]
    imported = ["--db", f"sqlite:///{tmp_path / 'import.db'}"]
    assert main([*imported, "import", str(mailbox), *me]) == 0
    expected = _people(imported, capsys)

    monkeypatch.setenv("TB_IMAP_PASSWORD", world.password)
    config = tmp_path / "config.toml"
    config.write_text(
        f"[me]\naddresses = {json.dumps(list(ALLEN))}\n\n"
        f'[[account]]\nname = "mail"\ntype = "imap"\nhost = "{server.host}"\n'
        f'port = {server.port}\nusername = "{world.user}"\nsecurity = "plain"\n'
        'password = { env = "TB_IMAP_PASSWORD" }\n'
    )
    synced = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 'sync.db'}"]
    assert main([*synced, "sync", "--json"]) == 0
    got = _people(synced, capsys)

    assert len(expected) > 350  # the issue counted 353 people in this mailbox
    assert not set(noise.values()) & {a for row in got.values() for a in row[0]}
    missing = sorted(set(expected) - set(got))
    assert not missing, f"{len(missing)} people the import finds are missing: {missing[:5]}"
    differ = {p: (expected[p], got[p]) for p in expected if expected[p] != got[p]}
    assert not differ, f"{len(differ)} people counted differently: {list(differ.items())[:3]}"
    assert got == expected


def _stored(store: Store) -> dict[str, datetime | None]:
    """Source id -> removed_at of every stored interaction."""
    with store.sessions() as session:
        rows = session.execute(select(InteractionRow.source_id, InteractionRow.removed_at))
        return {source_id: removed for source_id, removed in rows}


def test_folders_come_and_go_and_mail_moves_without_loss_or_doubles(
    server: Dovecot, tmp_path: Path
) -> None:
    world = ImapWorld(server)
    specs = {
        name: make_spec(sent=False, sender=f"{name}@example.com", to=("me@example.org",))
        for name in ("ann", "bob", "carol", "dave", "erin")
    }
    raws = {name: raw_message(spec) for name, spec in specs.items()}
    with world.admin() as client:
        for folder in ("Clients", "Junk", "Archive"):
            client.create_folder(folder)
    world.append("INBOX", [raws["ann"], raws["bob"]])
    world.append("Clients", [raws["carol"], raws["bob"]])  # bob filed twice: one interaction
    world.append("Sent", [raw_message(make_spec(sent=True))])
    world.append("Junk", [raw_message(make_spec(sent=False, sender="spam@junk.example"))])
    world.append("Trash", [raw_message(make_spec(sent=False, sender="old@trash.example"))])
    store = Store(open_database(sqlite_url(tmp_path / "t.db")))
    account = store.ensure_account("imap", "imap", NOW)

    def sync() -> dict[str, datetime | None]:
        result = sync_account(store, account, "imap", world.source())
        assert result.status == "ok", result.error
        assert result.removed == 0
        world.close_all()
        return _stored(store)

    first = sync()
    assert len(first) == 4  # ann, bob, carol, the sent one: Junk and Trash not read
    assert not any("junk" in s or "trash" in s for s in first)

    with world.admin() as client:  # a folder made after the first sync
        client.create_folder("Later")
    world.append("Later", [raws["dave"]])
    later = sync()
    assert len(later) == 5 and set(first) < set(later)

    with world.admin() as client:
        client.select_folder("INBOX")
        uids = client.search(["HEADER", "From", "ann@example.com"])
        client.move(uids, "Archive")  # filed away: still the same received message
        client.rename_folder("Clients", "Customers")
        client.delete_folder("Later")
        client.select_folder("INBOX")
        client.delete_messages(client.search(["HEADER", "From", "bob@example.com"]))
        client.expunge()  # bob is still in Customers (was Clients)
        client.select_folder("Customers")
        client.delete_messages(client.search(["HEADER", "From", "bob@example.com"]))
        client.expunge()  # and now expunged everywhere: the mail was still received
    world.append("Archive", [raws["erin"]])
    moved = sync()
    assert len(moved) == 6 and set(later) < set(moved)
    assert all(removed is None for removed in moved.values()), "a moved message tombstoned"
    with store.sessions() as session:
        kept = session.scalars(select(InteractionRow.source_id)).all()
        assert len(kept) == len(set(kept))
        assert session.scalar(select(func.count()).select_from(InteractionRow)) == 6
    assert sync() == moved  # nothing new: nothing changes


def test_an_all_mail_folder_is_read_once_and_drafts_in_it_are_not_mail(server: Dovecot) -> None:
    world = ImapWorld(server)
    inbox = [raw_message(make_spec(sent=False)) for _ in range(3)]
    sent = [raw_message(make_spec(sent=True)) for _ in range(2)]
    archived = raw_message(make_spec(sent=False))  # only in All Mail, as Gmail archives
    draft = raw_message(make_spec(sent=True))
    with world.admin() as client:
        client.create_folder("All Mail")
        client.create_folder("Label")
        for raw in [*inbox, *sent, archived]:
            client.append("All Mail", raw, flags=(b"\\Seen",))
        client.append("All Mail", draft, flags=(b"\\Draft",))
    world.append("INBOX", inbox)
    world.append("Label", inbox[:2])
    world.append("Sent", sent)
    world.append("Drafts", [draft])
    account = world.source()
    pages = list(account.pull(None))
    got = [i for page in pages for i in page.interactions]
    ids = [i.source_id for i in got]
    assert len(ids) == len(set(ids)) == 6  # 3 received, 2 sent, 1 archived; the draft is not
    assert sorted(i.folder or "" for i in got).count("sent") == 2
    cursor = json.loads(pages[-1].cursor or "{}")
    assert sorted(cursor["folders"]) == ["All Mail", "Sent"]
    world.close_all()
