"""A Radicale server per test session, and what the CalDAV and CardDAV tests build on it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.servers.radicale import Radicale
from touchbase.agent.pipeline.models import InteractionRow
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import AccountContext
from touchbase.connectors.retry import RetryPolicy

USERS = itertools.count(1)  # user names handed out: user1, user2...
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSWORD = "s3cret"


class Secrets:
    """An account's secrets in memory (the agent's keyring or file, here a dict)."""

    def __init__(self, **values: str) -> None:
        self.values = dict(values)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value


@pytest.fixture(scope="session")
def radicale_server() -> Iterator[Radicale]:
    users = {f"user{n}": PASSWORD for n in range(1, 200)}
    server = Radicale(users)
    yield server
    server.stop()


@pytest.fixture
def user(radicale_server: Radicale) -> str:
    """A fresh user of the shared server: its own principal, calendars and address books."""
    return f"user{next(USERS)}"


def context(name: str = "dav", password: str = PASSWORD) -> AccountContext:
    return AccountContext(name=name, secrets=Secrets(password=password), me=("me@example.com",))


def settings(server: Radicale, user: str, port: int | None = None, **extra: Any) -> dict[str, Any]:
    return {"url": f"http://127.0.0.1:{port or server.port}/", "username": user, **extra}


FAST = RetryPolicy(attempts=2, base=0.0)


def no_sleep(_: float) -> None:
    """Retries in tests wait for nothing."""


def event(
    uid: str,
    start: datetime,
    *,
    summary: str = "Catch-up",
    attendees: tuple[str, ...] = ("ann@example.com",),
    extra: str = "",
    minutes: int = 30,
) -> str:
    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    people = "".join(
        f"ATTENDEE;CN={a.split('@')[0].title()};PARTSTAT=ACCEPTED:mailto:{a}\r\n" for a in attendees
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//touchbase tests//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{stamp(start)}\r\n"
        f"DTEND:{stamp(start + timedelta(minutes=minutes))}\r\nSUMMARY:{summary}\r\n"
        f"DESCRIPTION:private notes that are never read\r\n"
        f"ORGANIZER;CN=Me:mailto:me@example.com\r\n{people}{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def live_ids(store: Store) -> set[str]:
    """Source ids of the stored interactions that are not tombstoned."""
    with store.sessions() as session:
        return set(
            session.scalars(
                select(InteractionRow.source_id).where(InteractionRow.removed_at.is_(None))
            )
        )


def all_ids(store: Store) -> list[str]:
    with store.sessions() as session:
        return list(session.scalars(select(InteractionRow.source_id)))


class NoSyncProxy:
    """Radicale as a server without RFC 6578: REPORT sync-collection is refused with 403
    DAV:supported-report (RFC 3253 3.6); every other request is passed on unchanged."""

    def __init__(self, target: int) -> None:
        import http.client
        import http.server
        import socket
        import threading

        refused: list[str] = []
        self.refused = refused

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.command == "REPORT" and b"sync-collection" in body:
                    refused.append(self.path)
                    answer = b'<?xml version="1.0"?><error xmlns="DAV:"><supported-report/></error>'
                    self.send_response(403)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", target, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_PROPFIND = do_REPORT = do_GET = do_OPTIONS = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
