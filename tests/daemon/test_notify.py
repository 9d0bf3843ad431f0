"""sd_notify: datagrams to $NOTIFY_SOCKET, path or abstract namespace; a no-op outside systemd."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from touchbase.agent.daemon import notify


@pytest.mark.parametrize("abstract", [True, False])
def test_messages_reach_the_socket(
    abstract: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        if abstract:
            name = f"@touchbase-notify-{os.getpid()}"
            server.bind("\0" + name[1:])
        else:
            name = str(Path("/tmp") / f"tb-notify-{os.getpid()}.sock")
            server.bind(name)
        try:
            server.settimeout(5)
            monkeypatch.setenv("NOTIFY_SOCKET", name)
            assert notify.ready("ready: 2 accounts")
            assert server.recv(4096) == b"READY=1\nSTATUS=ready: 2 accounts"
            assert notify.stopping()
            assert server.recv(4096) == b"STOPPING=1"
            monkeypatch.setenv("WATCHDOG_USEC", "2000000")
            watchdog = notify.Watchdog(clock=lambda: 100.0)
            assert watchdog.interval == 1.0
            watchdog.ping()
            watchdog.ping()  # within the interval: not sent twice
            assert notify.status("idle")
            assert server.recv(4096) == b"WATCHDOG=1"
            assert server.recv(4096) == b"STATUS=idle"
        finally:
            if not abstract:
                os.unlink(name)


def test_outside_systemd_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert not notify.ready()
    assert not notify.Watchdog().enabled


def test_a_vanished_socket_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", "/nonexistent/notify.sock")
    assert notify.status("idle") is False


def test_a_watchdog_meant_for_another_process_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert not notify.Watchdog().enabled
