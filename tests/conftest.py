"""Test-wide guards: no network beyond loopback, and server-backed tests that cannot skip in CI."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# A shell starts a background job (`cmd &`, nohup) with SIGINT ignored, and an ignored signal
# stays ignored through exec: every touchbase the tests start would then shrug off the Ctrl-C
# that test_interrupted_is_130 and the demo's shutdown test send, and hang (a fresh clone's
# .ci/run started in the background failed both, twice). A handled signal is reset to its
# default at exec, so handling it here gives each child a terminal's Ctrl-C again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"
REQUIRE_SERVERS = os.environ.get("TOUCHBASE_REQUIRE_SERVERS") == "1"


def need(condition: bool, why: str) -> None:
    """Skip when a server or a corpus is missing here; fail instead where CI requires them."""
    if condition:
        return
    if REQUIRE_SERVERS:
        pytest.fail(f"{why} (TOUCHBASE_REQUIRE_SERVERS=1 makes this a failure)")
    pytest.skip(why)


def corpus(*parts: str) -> Path:
    path = CORPORA.joinpath(*parts)
    need(path.exists(), f"corpus {path} is not here (it sits beside the checkout in CI)")
    return path


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    else:
        return True  # AF_UNIX sockets (PostgreSQL, systemd notify) are local by nature
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse any connect() that leaves the machine: a test that reaches out fails at once."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise OSError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise OSError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield


@pytest.fixture(autouse=True)
def _private_homes(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Config, data and secrets of every test live in its own folders, never the user's."""
    home = tmp_path_factory.mktemp("home")
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    monkeypatch.setenv("TOUCHBASE_SECRETS", "file")
    monkeypatch.delenv("TOUCHBASE_DB", raising=False)
