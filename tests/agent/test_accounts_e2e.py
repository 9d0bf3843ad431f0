"""Accounts through the CLI: sign in, sync, a revoked grant shown with its fix, others go on."""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connectors.test_gmail import headers_of
from tests.connectors.test_gmail_auth import ConsentingBrowser
from tests.contract import make_spec
from tests.fakes.google import FakeGoogle
from tests.fakes.google.client import client_file
from touchbase.agent.cli.main import main


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


def test_gmail_sign_in_sync_and_a_revoked_grant(
    fake: FakeGoogle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake token endpoint is http
    browser = ConsentingBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)
    archive = tmp_path / "archive"
    (archive / "cur").mkdir(parents=True)
    (archive / "cur" / "1.eml").write_text(
        "From: me@example.org\nTo: ann@example.com\nSubject: hi\n"
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <1@a>\n\n"
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[me]\naddresses = ["{fake.gmail.address}"]\n\n'
        f'[[account]]\nname = "work-mail"\ntype = "gmail"\n'
        f'client_file = "{client_file(fake, tmp_path)}"\napi_root = "{fake.url}"\n\n'
        f'[[account]]\nname = "archive"\ntype = "files"\npath = "{archive}"\n'
    )
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 't.db'}"]

    assert main([*base, "sync", "--json"]) == 1  # not signed in yet: that account fails...
    results = {r["account"]: r for r in json.loads(capsys.readouterr().out)}
    assert results["work-mail"]["status"] == "auth"
    assert "touchbase auth work-mail" in results["work-mail"]["advice"]
    assert results["archive"]["status"] == "ok" and results["archive"]["stored"] == 1  # ...not this

    assert main([*base, "auth", "work-mail"]) == 0
    fake.gmail.add_message(headers_of(make_spec(sent=True)), ("SENT",))
    fake.gmail.add_message(headers_of(make_spec(sent=False)), ("INBOX",))
    capsys.readouterr()
    assert main([*base, "sync", "--account", "work-mail", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["stored"] == 2

    for token in list(fake.oauth.refresh_tokens):
        fake.oauth.revoke(token)
    fake.oauth.expire_access_tokens()
    assert main([*base, "sync", "--account", "work-mail"]) == 1
    assert "touchbase auth work-mail" in capsys.readouterr().err
    assert main([*base, "status", "--json"]) == 0
    status = {a["account"]: a for a in json.loads(capsys.readouterr().out)["accounts"]}
    assert status["work-mail"]["last_sync"]["status"] == "auth"
    assert "touchbase auth work-mail" in status["work-mail"]["last_sync"]["error"]
    assert fake.send_attempts() == []
