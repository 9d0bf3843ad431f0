"""An IMAP account through the CLI: sync, status per folder, a follow-up draft APPENDed once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.connectors.imap_world import ImapWorld
from tests.contract import make_spec
from tests.servers.dovecot import Dovecot
from touchbase.agent.cli.main import main


def test_sync_status_and_an_approved_draft_lands_in_drafts_once(
    dovecot: Dovecot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = ImapWorld(dovecot)
    ago = datetime.now(UTC).replace(microsecond=0) - timedelta(days=12)
    world.add([make_spec(sent=True, date=ago, to=("ann@example.com",), subject="Proposal")])
    monkeypatch.setenv("TB_IMAP_PASSWORD", world.password)
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\nname = "Me Myself"\naddresses = ["me@example.org"]\n\n'
        f'[[account]]\nname = "mail"\ntype = "imap"\nhost = "{dovecot.host}"\n'
        f'port = {dovecot.port}\nusername = "{world.user}"\nsecurity = "plain"\n'
        'password = { env = "TB_IMAP_PASSWORD" }\n'
    )
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 't.db'}"]

    assert main([*base, "sync", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["stored"] == 1
    assert main([*base, "status", "--json"]) == 0
    (account,) = json.loads(capsys.readouterr().out)["accounts"]
    assert any("UIDVALIDITY" in line for line in account["cursor_summary"])

    assert main([*base, "drafts", "create", "--json"]) == 0
    (draft,) = json.loads(capsys.readouterr().out)
    assert draft["kind"] == "follow-up" and draft["to"] == ["ann@example.com"]
    assert main([*base, "drafts", "approve", str(draft["id"])]) == 0
    assert main([*base, "drafts", "approve", str(draft["id"])]) != 0  # already pushed
    capsys.readouterr()
    assert main([*base, "drafts", "--json", "--all"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["status"] == "pushed"
    with world.admin() as client:
        client.select_folder("Drafts", readonly=True)
        uids = client.search(["ALL"])
        assert len(uids) == 1
        fetched = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT IN-REPLY-TO)]"])
        flags = fetched[uids[0]][b"FLAGS"]
        assert b"\\Draft" in flags
        headers = fetched[uids[0]][b"BODY[HEADER.FIELDS (SUBJECT IN-REPLY-TO)]"].decode()
        assert "Re: Proposal" in headers and "In-Reply-To:" in headers
