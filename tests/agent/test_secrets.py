"""Secrets come from where the configuration points, and files must be the owner's alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.config import SecretRef
from touchbase.agent.pipeline.secrets import AccountSecrets


@pytest.fixture(autouse=True)
def _files_not_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOUCHBASE_SECRETS", "file")


def test_env_command_and_file_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAIL_PW", "from-env")
    secret_file = tmp_path / "pw"
    secret_file.write_text("from-file\n")
    secret_file.chmod(0o600)
    refs = {
        "password": SecretRef("env", "MAIL_PW"),
        "other": SecretRef("command", "printf 'from-command\\nsecond line'"),
        "third": SecretRef("file", str(secret_file)),
    }
    secrets = AccountSecrets("work", refs, tmp_path / "store")
    assert secrets.get("password") == "from-env"
    assert secrets.get("other") == "from-command"
    assert secrets.get("third") == "from-file"


def test_a_file_others_can_read_is_refused_with_the_chmod_to_run(tmp_path: Path) -> None:
    secret_file = tmp_path / "pw"
    secret_file.write_text("s3cret")
    secret_file.chmod(0o644)
    secrets = AccountSecrets("work", {"password": SecretRef("file", str(secret_file))}, tmp_path)
    with pytest.raises(UserError) as info:
        secrets.get("password")
    assert "chmod 600" in info.value.advice
    assert "s3cret" not in str(info.value)


def test_a_failing_command_does_not_echo_its_output(tmp_path: Path) -> None:
    ref = SecretRef("command", "sh -c 'echo leaked-secret; echo leaked-secret >&2; exit 3'")
    secrets = AccountSecrets("work", {"password": ref}, tmp_path)
    with pytest.raises(UserError) as info:
        secrets.get("password")
    assert "status 3" in str(info.value) and "leaked" not in str(info.value)


def test_stored_tokens_land_in_owner_only_files(tmp_path: Path) -> None:
    secrets = AccountSecrets("work", {}, tmp_path / "secrets" / "work")
    assert secrets.get("refresh_token") is None
    secrets.set("refresh_token", "tok")
    path = tmp_path / "secrets" / "work" / "refresh_token"
    assert secrets.get("refresh_token") == "tok"
    assert os.stat(path).st_mode & 0o077 == 0
    assert os.stat(path.parent).st_mode & 0o077 == 0


def test_an_env_reference_cannot_be_written(tmp_path: Path) -> None:
    secrets = AccountSecrets("work", {"token_cache": SecretRef("env", "X")}, tmp_path)
    with pytest.raises(UserError, match="cannot write"):
        secrets.set("token_cache", "v")


def test_a_keyring_without_a_backend_is_advice_not_a_bug(tmp_path: Path) -> None:
    # A headless machine: keyring finds no backend and raises NoKeyringError on every call.
    # QA saw `touchbase sync` print a traceback and "this is a bug" for this ordinary setup.
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        secrets = AccountSecrets(
            "work", {"password": SecretRef("keyring", "touchbase/work")}, tmp_path
        )
        with pytest.raises(UserError) as info:
            secrets.get("password")
        assert "cannot be reached" in str(info.value)
        assert "file" in info.value.advice and "chmod 600" in info.value.advice
        with pytest.raises(UserError):
            secrets.set("password", "s3cret")
    finally:
        keyring.set_keyring(before)
