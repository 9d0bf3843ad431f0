"""The fake Graph's HTTP side: parse a request, inject its fault, log it, answer it."""

from __future__ import annotations

import html
import json
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from tests.fakes.graph.server import FakeGraph


@dataclass(frozen=True)
class Served:
    """One request as the fake saw it."""

    method: str
    path: str  # with the query string
    status: int
    fault: str = ""
    prefer: str = ""


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": "fake"}}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Graph

    def setup(self) -> None:
        super().setup()
        # Without TCP_NODELAY every small response waits ~40 ms for Nagle (TESTING.md).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the fake's own log is `FakeGraph.log`

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        fake: FakeGraph = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        prefer = ", ".join(self.headers.get_all("Prefer") or [])
        with fake._lock:
            fake.inflight += 1
            fake.max_inflight = max(fake.max_inflight, fake.inflight)
        try:
            if fake.latency:
                threading.Event().wait(fake.latency)  # stands in for the network round trip
            if not parts.path.startswith("/v1.0/"):
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                form.update(query)
                status, body = fake.identity.handle(method, parts.path, form)
                fake.record(Served(method, self.path, status))
                if "form_post" in body:
                    self._form_post(body["form_post"], body["fields"])
                else:
                    self._reply(status, body)
                return
            fault = fake.next_fault(method)
            if fault in ("429", "503"):
                fake.record(Served(method, self.path, int(fault), fault, prefer))
                headers = {"Retry-After": fake.retry_after}
                self._reply(
                    int(fault),
                    error("TooManyRequests" if fault == "429" else "ServiceUnavailable", "fault"),
                    headers,
                )
                return
            if fault == "drop":
                fake.record(Served(method, self.path, 0, fault, prefer))
                self.close_connection = True
                return
            if fault == "expire":
                fake.record(Served(method, self.path, 410, fault, prefer))
                self._reply(410, error("resyncRequired", "Resync required."))
                return
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token not in fake.identity.access_tokens:
                fake.record(Served(method, self.path, 401, "", prefer))
                self._reply(
                    401, error("InvalidAuthenticationToken", "Access token is empty or invalid.")
                )
                return
            body_in = (
                json.loads(raw)
                if raw and "json" in (self.headers.get("Content-Type") or "")
                else None
            )
            status, body = fake.graph(method, parts.path, query, prefer, body_in)
            extra = body.pop("@fake.headers", None) if isinstance(body, dict) else None
            if method == "POST" and status == 201 and fake.ambiguous_posts:
                fake.ambiguous_posts -= 1
                fault = "drop"
            fake.record(Served(method, self.path, status if fault != "drop" else 0, fault, prefer))
            if fault == "drop":
                self.close_connection = True
                return
            self._reply(status, body, extra, truncate=fault == "truncate")
        finally:
            with fake._lock:
                fake.inflight -= 1

    def _form_post(self, action: str, fields: dict[str, str]) -> None:
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields.items()
        )
        page = (
            f'<html><body onload="document.forms[0].submit()">'
            f'<form method="post" action="{html.escape(action)}">{inputs}</form></body></html>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def _reply(
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        *,
        truncate: bool = False,
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; odata.metadata=minimal")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if truncate:
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        self.wfile.write(data)
