"""The command line: a stable contract, and advice instead of tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from touchbase.agent.cli.main import EXIT_USER_ERROR, main


def test_init_writes_a_starter_that_loads_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    assert main(["--config", str(path), "init"]) == 0
    assert os.stat(path).st_mode & 0o077 == 0
    assert main(["--config", str(path), "--db", f"sqlite:///{tmp_path}/t.db", "status"]) == 0
    assert main(["--config", str(path), "init"]) == EXIT_USER_ERROR
    assert "already exists" in capsys.readouterr().err


def test_status_json_is_stable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", f"sqlite:///{tmp_path}/t.db", "status", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"database": f"sqlite:///{tmp_path}/t.db", "accounts": []}


def test_sync_without_accounts_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", f"sqlite:///{tmp_path}/t.db", "sync"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "no accounts are configured" in err and "touchbase import" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--db", "not a url at all", "status"], "not a SQLAlchemy URL"),
        (["--db", "postgresql+nodriver://x/y", "status"], "no driver"),
        (["--config", "/nonexistent/config.toml", "sync"], "touchbase init"),
        (["import", "/nonexistent/mail"], "no such file or folder"),
    ],
)
def test_bad_input_gets_advice_and_no_traceback(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    env = {**os.environ, "TOUCHBASE_DB": f"sqlite:///{tmp_path}/t.db"}
    done = subprocess.run(
        [sys.executable, "-m", "touchbase.agent", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == EXIT_USER_ERROR
    assert expected in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_auth_names_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[account]]\nname = "archive"\ntype = "files"\npath = "/tmp"\n')
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path}/t.db"]
    assert main([*base, "auth", "nope"]) == EXIT_USER_ERROR
    assert "no account called 'nope'" in capsys.readouterr().err
    assert main([*base, "auth", "archive"]) == EXIT_USER_ERROR
    assert "needs no sign-in" in capsys.readouterr().err
