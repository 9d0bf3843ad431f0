"""Secrets and configuration that cannot be read end in advice, never "this is a bug" (issue 13.8).

Each secret problem goes through a real `touchbase sync` of an IMAP account against the private
Dovecot (the connector reads its password mid-pull, where an error used to be caught as a bug).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need
from tests.connectors.imap_world import ImapWorld
from tests.servers.dovecot import Dovecot, dovecot_binary
from touchbase.agent.cli.main import EXIT_USER_ERROR, main
from touchbase.agent.errors import UserError
from touchbase.agent.pipeline import secrets
from touchbase.agent.pipeline.config import SecretRef
from touchbase.agent.pipeline.secrets import AccountSecrets


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    need(dovecot_binary() is not None, "dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot().start()
    yield server
    server.destroy()


@pytest.fixture(autouse=True)
def _files_not_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOUCHBASE_SECRETS", "file")


def sync_with(
    dovecot: Dovecot, tmp_path: Path, password: str, capsys: pytest.CaptureFixture[str]
) -> dict[str, object]:
    world = ImapWorld(dovecot)
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\naddresses = ["me@example.org"]\n\n'
        f'[[account]]\nname = "mail"\ntype = "imap"\nhost = "{dovecot.host}"\n'
        f'port = {dovecot.port}\nusername = "{world.user}"\nsecurity = "plain"\n'
        f"password = {password}\n"
    )
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 't.db'}"]
    assert main([*base, "sync", "--json"]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert "bug" not in (result["error"] + result["advice"])
    assert result["status"] == "auth"
    return result


def test_a_secret_file_others_can_read_keeps_its_chmod_advice(
    dovecot: Dovecot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loose = tmp_path / "pw"
    loose.write_text("secret")
    loose.chmod(0o644)
    result = sync_with(dovecot, tmp_path, f'{{ file = "{loose}" }}', capsys)
    assert "can be read by other users" in result["error"]
    assert f"chmod 600 {loose}" in result["advice"]


def test_a_link_to_such_a_file_names_the_file_to_chmod(
    dovecot: Dovecot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loose = tmp_path / "real-pw"
    loose.write_text("secret")
    loose.chmod(0o644)
    link = tmp_path / "pw-link"
    link.symlink_to(loose)
    result = sync_with(dovecot, tmp_path, f'{{ file = "{link}" }}', capsys)
    assert f"a link to {loose}" in result["error"]
    assert f"chmod 600 {loose}" in result["advice"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("false", "exited with status 1"),
        ("/nonexistent/pass-helper show mail", "is not installed"),
    ],
)
def test_a_failing_or_missing_secret_command_is_named(
    dovecot: Dovecot,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    expected: str,
) -> None:
    result = sync_with(
        dovecot, tmp_path, json.dumps({"command": command}).replace(":", " ="), capsys
    )
    assert expected in result["error"]


def test_a_hanging_secret_command_times_out_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets, "COMMAND_TIMEOUT", 0.5)  # the 30 s limit, made short
    got = AccountSecrets("work", {"password": SecretRef("command", "sleep 30")}, tmp_path)
    with pytest.raises(UserError) as caught:
        got.get("password")
    assert "did not finish in 0.5 s" in str(caught.value)
    assert "without asking" in caught.value.advice


def test_a_config_file_that_is_not_utf8_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b'[me]\nname = "Andr\xe9"\n')
    assert main(["--config", str(config), "--db", f"sqlite:///{tmp_path}/t.db", "status"]) == (
        EXIT_USER_ERROR
    )
    err = capsys.readouterr().err
    assert "is not UTF-8 text (byte 0xe9 on line 2)" in err and "unexpected" not in err


@pytest.mark.parametrize("value", ["123456789", '["x"]', "true", "1.5"])
def test_inline_secrets_that_are_not_strings_are_refused_as_inline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[account]]\nname = "mail"\ntype = "imap"\nhost = "h"\nusername = "u"\n'
        f"password = {value}\n"
    )
    assert main(["--config", str(config), "--db", f"sqlite:///{tmp_path}/t.db", "sync"]) == (
        EXIT_USER_ERROR
    )
    err = capsys.readouterr().err
    assert "written inline" in err and value not in err


def test_the_secret_file_itself_is_not_followed_into_a_mode_change(tmp_path: Path) -> None:
    """Reading never changes a secret file's mode (only the owner fixes it, as advised)."""
    loose = tmp_path / "pw"
    loose.write_text("secret")
    loose.chmod(0o640)
    with pytest.raises(UserError):
        AccountSecrets("w", {"password": SecretRef("file", str(loose))}, tmp_path).get("password")
    assert stat.S_IMODE(os.stat(loose).st_mode) == 0o640
