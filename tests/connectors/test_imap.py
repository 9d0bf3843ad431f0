"""The IMAP connector against a real Dovecot: the Source and DraftSink contracts, and more."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.connectors.imap_world import DictSecrets, ImapWorld, raw_message
from tests.contract import (
    DraftSinkContract,
    SourceContract,
    drain,
    interactions,
    make_spec,
    sample_draft,
)
from tests.servers.dovecot import Dovecot
from touchbase.connectors.base import AccountContext, Flag, Role
from touchbase.connectors.errors import ConnectorError, TransientError
from touchbase.connectors.imap.account import ImapAccount, open_account
from touchbase.connectors.imap.session import Credential, connect
from touchbase.connectors.imap.settings import ImapSettings, parse_settings

pytestmark = pytest.mark.servers


@pytest.fixture
def imap(dovecot: Dovecot) -> Iterator[ImapWorld]:
    world = ImapWorld(dovecot, extra={"page_size": 3})
    yield world
    world.close_all()


class TestImapSource(SourceContract):
    @pytest.fixture
    def world(self, imap: ImapWorld) -> ImapWorld:
        return imap


class TestImapDraftSink(DraftSinkContract):
    @pytest.fixture
    def world(self, imap: ImapWorld) -> ImapWorld:
        return imap


def recorder(commands: list[bytes]) -> Callable[[ImapSettings, Credential], IMAPClient]:
    """A connector that logs in as usual, then records every command line it sends."""

    def connector(settings: ImapSettings, credential: Credential) -> IMAPClient:
        client = connect(settings, credential)
        send = client._imap.send

        def spy(data: bytes) -> None:
            commands.append(data)
            send(data)

        client._imap.send = spy
        return client

    return connector


def recorded_account(world: ImapWorld, commands: list[bytes]) -> ImapAccount:
    account = ImapAccount(
        parse_settings(world.settings), lambda: world.password, connector=recorder(commands)
    )
    world.opened.append(account)
    return account


def verbs(commands: list[bytes]) -> list[str]:
    """The command names sent, "UID FETCH" kept whole (a line is `tag VERB args`)."""
    out = []
    for line in commands:
        words = line.split()
        if len(words) < 2:
            continue  # a literal's payload or a continuation, not a command
        verb = words[1].decode().upper()
        out.append(f"UID {words[2].decode().upper()}" if verb == "UID" else verb)
    return out


def test_unchanged_mailbox_costs_one_status_per_folder_and_no_fetch(imap: ImapWorld) -> None:
    imap.add([make_spec(), make_spec(sent=False)])
    _, cursor = drain(imap.source(), None)
    commands: list[bytes] = []
    pages, again = drain(recorded_account(imap, commands), cursor)
    assert interactions(pages) == []
    assert again == cursor
    sent = verbs(commands)
    assert sent.count("STATUS") == 2, sent
    assert set(sent) <= {"LIST", "STATUS", "LOGOUT"}, sent


def test_sync_reads_headers_only_and_leaves_seen_alone(imap: ImapWorld) -> None:
    spec = make_spec(sent=False)
    with imap.admin() as client:
        client.append("INBOX", raw_message(spec), flags=())  # unread
    commands: list[bytes] = []
    pages, _ = drain(recorded_account(imap, commands), None)
    assert [i.message_id for i in interactions(pages)] == [spec.message_id]
    fetches = [c for c in commands if b" UID FETCH " in c]
    assert fetches and all(b"BODY.PEEK[HEADER.FIELDS (" in c for c in fetches)
    assert not any(b"BODY[]" in c or b"RFC822" in c or b"BODY.PEEK[]" in c for c in commands)
    with imap.admin() as client:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search())
    assert all(b"\\Seen" not in f for f in flags.values())


def test_metadata_of_a_sent_message(imap: ImapWorld) -> None:
    spec = make_spec(cc=("colleague@example.net",), in_reply_to="<earlier@example.com>")
    imap.add([spec])
    (item,) = interactions(drain(imap.source(), None)[0])
    assert item.source_id == f"sent:{spec.message_id}"
    assert item.folder == "sent"
    assert item.addresses(Role.CC) == ["colleague@example.net"]
    assert item.in_reply_to == "<earlier@example.com>"
    assert Flag.DRAFT not in item.flags


def test_subjects_can_be_left_out(imap: ImapWorld) -> None:
    imap.add([make_spec()])
    (item,) = interactions(drain(imap.account(keep_subjects=False), None)[0])
    assert item.subject is None


def test_a_message_moved_between_received_folders_stays_one_interaction(
    imap: ImapWorld,
) -> None:
    spec = make_spec(sent=False)
    imap.add([spec])
    with imap.admin() as client:
        client.create_folder("Archive")
    source = imap.account(received_folders=["INBOX", "Archive"])
    first, cursor = drain(source, None)
    with imap.admin() as client:
        client.select_folder("INBOX")
        client.move(client.search(), "Archive")
    later, _ = drain(imap.account(received_folders=["INBOX", "Archive"]), cursor)
    ids = [i.source_id for i in interactions(first) + interactions(later)]
    assert ids == [f"received:{spec.message_id}"] * len(ids)
    assert {i.folder for i in interactions(later)} == {"Archive"}


def test_sent_folder_named_in_the_settings(imap: ImapWorld) -> None:
    spec = make_spec()
    with imap.admin() as client:
        client.create_folder("Outbox Copies")
        client.append("Outbox Copies", raw_message(spec))
    pages, _ = drain(imap.account(sent_folder="Outbox Copies"), None)
    assert [i.source_id for i in interactions(pages)] == [f"sent:{spec.message_id}"]


def test_a_missing_configured_folder_names_the_setting_and_the_choices(imap: ImapWorld) -> None:
    with pytest.raises(ConnectorError) as raised:
        drain(imap.account(received_folders=["INBOX", "Nope"]), None)
    assert "received_folders" in raised.value.advice and "INBOX" in raised.value.advice


def test_a_draft_lands_in_drafts_flagged_draft_and_seen(imap: ImapWorld) -> None:
    draft = sample_draft(7)
    draft_id = imap.sink().push_draft(draft)
    with imap.admin() as client:
        status = client.select_folder("Drafts", readonly=True)
        uid = int(draft_id.split(":")[1])
        assert int(draft_id.split(":")[0]) == status[b"UIDVALIDITY"]
        flags = client.get_flags([uid])[uid]
        header = client.fetch([uid], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])[uid]
    assert set(flags) >= {b"\\Draft", b"\\Seen"}
    assert draft.message_id.encode() in next(iter(v for k, v in header.items() if b"BODY" in k))


def test_tls_by_default_refuses_a_plaintext_server(imap: ImapWorld) -> None:
    source = imap.account(security="tls")
    with pytest.raises(TransientError):
        drain(source, None)


def test_starttls_required_but_not_offered_is_a_clear_error(imap: ImapWorld) -> None:
    with pytest.raises(ConnectorError) as raised:
        drain(imap.account(security="starttls"), None)
    assert "STARTTLS" in str(raised.value)
    assert not isinstance(raised.value, TransientError)


def test_xoauth2_uses_the_token_provider(imap: ImapWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []

    def oauth2_login(self: IMAPClient, user: str, token: str) -> bytes:
        calls.append((user, token))
        return self.login(user, imap.password)  # Dovecot here speaks PLAIN only

    monkeypatch.setattr(IMAPClient, "oauth2_login", oauth2_login)
    context = AccountContext(name="x", secrets=DictSecrets())
    settings = {**imap.settings, "auth": "xoauth2"}
    account = open_account(settings, context, token_provider=lambda: "token-1")
    imap.opened.append(account)
    drain(account, None)
    assert calls == [(imap.user, "token-1")]


def test_no_send_path_exists_in_the_connector() -> None:
    for path in (Path(__file__).parents[2] / "connectors" / "imap").glob("*.py"):
        text = path.read_text()
        assert "smtplib" not in text and "SMTP(" not in text
