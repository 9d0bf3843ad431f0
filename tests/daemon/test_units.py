"""The systemd units: the shipped files are the renderer's output, and systemd accepts them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, need
from touchbase.agent.cli.main import EXIT_USER_ERROR, main
from touchbase.agent.daemon.units import NAMES, Install, render

SYSTEMD = REPO / "systemd"


def verify(folder: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze --user verify` on every unit in `folder`, with a private HOME."""
    need(shutil.which("systemd-analyze") is not None, "systemd-analyze is not installed")
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    units = [str(folder / name) for name in NAMES]
    return subprocess.run(
        ["systemd-analyze", "--user", "verify", *units],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_the_shipped_units_are_the_rendered_defaults() -> None:
    for name, text in render().items():
        assert (SYSTEMD / name).read_text(encoding="utf-8") == text, f"regenerate {name}"


def test_the_shipped_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    home = tmp_path / "home"
    binary = home / ".local" / "bin" / "touchbase"  # where %h/.local/bin/touchbase points
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    done = verify(SYSTEMD, home)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def test_the_daemon_unit_has_the_promised_settings() -> None:
    text = render()["touchbase.service"]
    for setting in (
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "ReadWritePaths=-%h/.local/share/touchbase",
        "PrivateTmp=yes",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ):
        assert setting in text
    assert "ExecStart=%h/.local/bin/touchbase run --once" in render()["touchbase-sync.service"]
    assert "OnCalendar=" in render()["touchbase-sync.timer"]
    assert "ExecStart=%h/.local/bin/touchbase serve" in render()["touchbase-review.service"]


def test_paths_with_spaces_and_percent_signs_are_quoted(tmp_path: Path) -> None:
    install = Install(
        command=("/opt/my tools/python", "-m", "touchbase.agent"),
        options=("--config", "/home/a/100% sure/config.toml"),
        writable=("/home/a/data dir",),
    )
    text = render(install)["touchbase.service"]
    assert (
        'ExecStart="/opt/my tools/python" -m touchbase.agent '
        '--config "/home/a/100%% sure/config.toml"' in (text)
    )
    assert 'ReadWritePaths=-"/home/a/data dir"' in text


def test_service_install_writes_units_that_verify_and_prints_the_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = tmp_path / "units"
    config = tmp_path / "my config.toml"
    db = f"sqlite:///{tmp_path}/db/touchbase.db"
    args = ["--config", str(config), "--db", db, "service", "install", "--dir", str(units)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "systemctl --user enable --now touchbase.service" in out
    assert "journalctl --user -u touchbase" in out
    daemon = (units / "touchbase.service").read_text()
    assert f"{sys.executable} -m touchbase.agent" in daemon or "bin/touchbase" in daemon
    assert f'--config "{config}"' in daemon and f"--db {db}" in daemon
    assert f"-{tmp_path}/db" in daemon  # SQLite's folder is writable
    done = verify(units, tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert main(args) == EXIT_USER_ERROR  # already there
    assert "--force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
