"""CalDAV and CardDAV accounts through the CLI: configured, signed in, synced, people named."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.connectors.dav_world import PASSWORD, event, radicale_server, user
from tests.servers.radicale import Radicale
from touchbase.agent.cli.commands import auth as auth_command
from touchbase.agent.cli.main import main

__all__ = ["radicale_server", "user"]  # fixtures
pytestmark = pytest.mark.servers


def test_caldav_and_carddav_accounts_sync_from_the_config_file(
    radicale_server: Radicale,
    user: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = radicale_server
    cal = server.make_calendar("work", user=user)
    book = server.make_addressbook("people", user=user)
    soon = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    server.put(f"{cal}m.ics", event("m", soon, attendees=("ann@example.com",)), user=user)
    server.put(
        f"{book}ann.vcf",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann Lee\r\nEMAIL:ann@example.com\r\n"
        "BDAY:1985-04-12\r\nEND:VCARD\r\n",
        user=user,
    )
    monkeypatch.setenv("DAV_PASSWORD", PASSWORD)
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\naddresses = ["me@example.com"]\n\n'
        f'[[account]]\nname = "cal"\ntype = "caldav"\nurl = "{server.url}"\n'
        f'username = "{user}"\npassword = {{ env = "DAV_PASSWORD" }}\n\n'
        f'[[account]]\nname = "book"\ntype = "carddav"\nurl = "{server.url}"\n'
        f'username = "{user}"\npassword = {{ env = "DAV_PASSWORD" }}\n'
    )
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 't.db'}"]

    assert main([*base, "sync", "--json"]) == 0
    results = {r["account"]: r for r in json.loads(capsys.readouterr().out)}
    assert results["cal"]["status"] == "ok" and results["cal"]["stored"] == 1
    assert results["book"]["status"] == "ok"

    assert main([*base, "person", "ann@example.com", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert "Ann Lee" in json.dumps(shown)


def test_a_wrong_password_is_reported_with_its_fix(
    radicale_server: Radicale,
    user: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    radicale_server.make_calendar("work", user=user)
    monkeypatch.setenv("DAV_PASSWORD", "not-it")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[account]]\nname = "cal"\ntype = "caldav"\nurl = "{radicale_server.url}"\n'
        f'username = "{user}"\npassword = {{ env = "DAV_PASSWORD" }}\n'
    )
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 't.db'}"]
    assert main([*base, "sync", "--json"]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["status"] == "auth" and "HTTP 401" in result["error"]
    assert "touchbase auth" in result["advice"] and "not-it" not in json.dumps(result)


def test_touchbase_auth_stores_the_password_then_sync_uses_it(
    radicale_server: Radicale,
    user: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    radicale_server.make_calendar("work", user=user)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[account]]\nname = "cal"\ntype = "caldav"\nurl = "{radicale_server.url}"\n'
        f'username = "{user}"\n'
    )
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 't.db'}"]
    assert main([*base, "sync", "--json"]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["status"] == "auth" and "no password stored" in result["error"]

    monkeypatch.setattr(auth_command, "ask_password", lambda prompt: PASSWORD)
    assert main([*base, "auth", "cal"]) == 0
    assert "stored the password for cal" in capsys.readouterr().out
    assert main([*base, "sync", "--json"]) == 0
