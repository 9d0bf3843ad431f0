"""The desktop nudge over a private D-Bus session bus, with a stub notification server."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jeepney import MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

from tests.conftest import need
from tests.daemon.conftest import Clock
from touchbase.agent.daemon import desktop
from touchbase.agent.daemon.cycle import CycleContext, digest_step, run_cycle
from touchbase.agent.pipeline.config import load_config
from touchbase.agent.pipeline.models import Draft

pytestmark = pytest.mark.servers


@pytest.fixture
def session_bus() -> Iterator[str]:
    """A private dbus-daemon: its address. Killed after the test."""
    binary = shutil.which("dbus-daemon")
    need(binary is not None, "dbus-daemon is not installed (apt-get install dbus)")
    assert binary is not None
    process = subprocess.Popen(
        [binary, "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    address = process.stdout.readline().strip()
    try:
        yield address
    finally:
        process.kill()
        process.wait(timeout=10)


class NotificationServer:
    """org.freedesktop.Notifications on `address`, recording each Notify call's arguments."""

    def __init__(
        self, address: str, *, refuse: bool = False, capabilities: tuple[str, ...] = ("body",)
    ) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.refuse = refuse
        self.capabilities = list(capabilities)
        self.connection = open_dbus_connection(address)
        reply = self.connection.send_and_get_reply(message_bus.RequestName(desktop.BUS_NAME))
        assert reply.body == (1,)  # DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                message = self.connection.receive(timeout=0.2)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = message.header.fields
            if message.header.message_type is not MessageType.method_call:
                continue
            if self.refuse:
                error = "org.freedesktop.DBus.Error.Failed"
                self.connection.send(new_error(message, error, "s", ("no thanks",)))
                continue
            if fields[3] == "GetCapabilities":  # HeaderFields.member
                self.connection.send(new_method_return(message, "as", (self.capabilities,)))
                continue
            assert fields[3] == "Notify"
            self.calls.append(message.body)
            self.connection.send(new_method_return(message, "u", (7,)))

    def close(self) -> None:
        self._stop = True
        self.thread.join(timeout=5)
        self.connection.close()


def test_a_nudge_reaches_the_notification_server(session_bus: str) -> None:
    server = NotificationServer(session_bus)
    try:
        assert desktop.nudge(3, "http://127.0.0.1:8765/", address=session_bus) is True
    finally:
        server.close()
    ((app, replaces, _icon, summary, body, actions, _hints, timeout),) = server.calls
    assert (app, replaces, actions, timeout) == ("touchbase", 0, [], -1)
    assert summary == "touchbase: 3 drafts wait for your review"
    assert body == "Review them at http://127.0.0.1:8765/"


def test_a_server_that_shows_links_gets_the_address_as_one(session_bus: str) -> None:
    server = NotificationServer(
        session_bus, capabilities=("body", "body-markup", "body-hyperlinks")
    )
    try:
        assert desktop.nudge(1, "http://127.0.0.1:8765/?a=1&b=2", address=session_bus) is True
    finally:
        server.close()
    ((_, _, _, summary, body, *_),) = server.calls
    assert summary == "touchbase: 1 draft waits for your review"
    link = "http://127.0.0.1:8765/?a=1&amp;b=2"
    assert body == f'Review them at <a href="{link}">{link}</a>'


def test_no_bus_or_no_server_is_a_warning_never_a_failure(
    session_bus: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="touchbase.agent.daemon.desktop")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert desktop.nudge(1, "http://127.0.0.1:8765/") is False
    assert desktop.nudge(1, "x", address="unix:path=/nonexistent/bus") is False
    assert desktop.nudge(1, "x", address=session_bus) is False  # a bus with nobody to notify
    refusing = NotificationServer(session_bus, refuse=True)
    try:
        assert desktop.nudge(1, "x", address=session_bus) is False
    finally:
        refusing.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4 and all(w.startswith("no desktop notification") for w in warnings)


def _pending(service: Any, count: int) -> None:
    with service.sessions.begin() as session:
        for n in range(count):
            session.add(
                Draft(
                    kind="check-in",
                    status="pending",
                    to_addresses=json.dumps([f"p{n}@x.example"]),
                    subject="Hello",
                    body="Hi",
                    reasons="[]",
                    message_id=f"<d{n}@touchbase>",
                    created_at=service.now(),
                    updated_at=service.now(),
                )
            )


def test_the_daily_digest_nudges_only_when_asked(
    make_service: Any, clock: Clock, session_bus: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    server = NotificationServer(session_bus)
    try:
        service = make_service([])
        _pending(service, 2)
        clock.advance(3600)  # past the digest's 08:00
        off = run_cycle(CycleContext(clock), [digest_step(service)]).summaries["digest"]
        assert off["ran"] and "notified" not in off and server.calls == []  # off by default

        service.reconfigure(replace(service.config, notify=True))
        clock.advance(24 * 3600)
        on = run_cycle(CycleContext(clock), [digest_step(service)]).summaries["digest"]
        assert on["notified"] is True
        ((_, _, _, summary, body, *_),) = server.calls
        assert summary == "touchbase: 2 drafts wait for your review"
        assert "http://127.0.0.1:8765/" in body
    finally:
        server.close()


def test_notify_is_a_daemon_setting_off_by_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[daemon]\n")
    assert load_config(path).notify is False
    path.write_text("[daemon]\nnotify = true\n")
    assert load_config(path).notify is True


def test_the_review_link_is_on_loopback() -> None:
    assert desktop.review_url({"host": "0.0.0.0", "port": 9000}) == "http://127.0.0.1:9000/"
    assert desktop.review_url(None) == "http://127.0.0.1:8765/"
