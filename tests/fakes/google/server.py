"""The fake Google HTTP server: routing, OAuth checks, batches, fault injection and a request log.

It listens on 127.0.0.1 on a free port, one thread per connection, HTTP/1.1 keep-alive. Sockets
get TCP_NODELAY: without it Nagle's algorithm and delayed ACKs stall every small reply ~40 ms.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from tests.fakes.google import discovery
from tests.fakes.google.calendar import FakeCalendar
from tests.fakes.google.gmail import FakeGmail
from tests.fakes.google.oauth import FakeOAuth
from tests.fakes.google.wire import Call, Reply, error_reply, format_batch, parse_batch

MAX_BATCH = 100  # "You're limited to 100 calls in a single batch request" (Gmail batch guide)
FAULT_KINDS = ("429", "500", "503", "drop")


@dataclass
class Faults:
    """Inject failures into a share `rate` of API requests (and of batch parts).

    Kinds: "429" (with Retry-After), "403-user" (userRateLimitExceeded), "403-daily"
    (dailyLimitExceeded), "500", "503", "drop" (close the connection before answering),
    "drop-after" (do the work, then close without answering: the ambiguous case).
    The OAuth endpoints are spared unless `oauth` is set.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: str = "1"
    seed: int = 0
    oauth: bool = False
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def pick(self, kinds: tuple[str, ...] | None = None) -> str | None:
        choices = tuple(k for k in self.kinds if kinds is None or k in kinds)
        if not choices or self._rng.random() >= self.rate:
            return None
        return self._rng.choice(choices)


@dataclass(frozen=True)
class Served:
    """One entry of the request log."""

    method: str
    path: str
    status: int
    in_batch: bool = False


def _fault_reply(kind: str, retry_after: str) -> Reply:
    if kind == "429":
        return error_reply(
            429,
            "User-rate limit exceeded.",
            "rateLimitExceeded",
            headers={"Retry-After": retry_after},
        )
    if kind == "403-user":  # Gmail "Usage limits": the per-user rate limit's reason
        return error_reply(
            403, "User-rate limit exceeded.", "userRateLimitExceeded", domain="usageLimits"
        )
    if kind == "403-daily":
        return error_reply(403, "Daily Limit Exceeded", "dailyLimitExceeded", domain="usageLimits")
    if kind == "500":
        return error_reply(500, "Backend Error", "backendError")
    return error_reply(503, "The service is currently unavailable.", "backendError")


class FakeGoogle:
    """Gmail, Calendar and OAuth on one local port. Use `url` as every API's root URL."""

    def __init__(
        self,
        *,
        address: str = "me@example.org",
        latency: float = 0.0,
        faults: Faults | None = None,
    ) -> None:
        self.gmail = FakeGmail(address)
        self.calendar = FakeCalendar(address)
        self.oauth = FakeOAuth()
        self.latency = latency  # seconds added to every HTTP request (for benchmarks)
        self.faults = faults or Faults()
        self.log: list[Served] = []
        self.violations: list[str] = []  # answers that broke the discovery documents
        self.http_requests = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeGoogle:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.violations:
            found, self.violations = self.violations, []
            raise AssertionError(
                "the fake answered outside the discovery documents: " + "; ".join(found[:5])
            )

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    # ---- what tests look at -------------------------------------------------------------
    def send_attempts(self) -> list[str]:
        """Every path served that could have sent mail (drafts.send, messages.send...)."""
        return [
            s.path for s in self.log if s.path.rstrip("/").lower().endswith(("/send", "/sendmail"))
        ]

    def paths(self, *, oauth: bool = False) -> list[str]:
        """ "METHOD /path" of each request served, batch parts included, the OAuth ones if asked."""
        return [
            f"{s.method} {s.path}"
            for s in self.log
            if oauth or s.path not in ("/token", "/o/oauth2/auth")
        ]

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.http_requests = 0

    # ---- serving ------------------------------------------------------------------------
    def serve(self, call: Call) -> Reply | None:
        """Answer one top-level request; None means drop the connection unanswered."""
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            self.http_requests += 1
            is_oauth = call.path in ("/token", "/o/oauth2/auth")
            fault = self.faults.pick() if (self.faults.oauth or not is_oauth) else None
        if fault == "drop":
            self._record(call, 0)
            return None
        if fault in ("429", "500", "503", "403-user", "403-daily"):
            reply = _fault_reply(fault, self.faults.retry_after)
            self._record(call, reply.status)
            return reply
        reply = self._route(call, call.headers.get("authorization"))
        self._record(call, reply.status)
        return None if fault == "drop-after" else reply

    def _record(self, call: Call, status: int, in_batch: bool = False) -> None:
        with self._lock:
            self.log.append(Served(call.method, call.path, status, in_batch))

    def _route(self, call: Call, auth: str | None) -> Reply:
        parts = call.path.strip("/").split("/")
        match parts:
            case ["token"] if call.method == "POST":
                return self.oauth.token(call)
            case ["o", "oauth2", "auth"]:
                return self.oauth.consent(call)
            case ["batch", *_] if call.method == "POST":
                return self._batch(call, auth)
        if not self.oauth.authorized(auth):
            return error_reply(401, "Request had invalid authentication credentials.", "authError")
        method = discovery.method_for(call.method, call.path)
        if method is not None:
            refusal = _refuse(method, call)
            if refusal is not None:
                return refusal
        reply = self._api(call, parts)
        if method is not None and reply.status == 200 and reply.body:
            problems = discovery.violations(method, json.loads(reply.body))
            if problems:
                with self._lock:
                    self.violations += [f"{method.name}: {p}" for p in problems]
        return reply

    def _api(self, call: Call, parts: list[str]) -> Reply:
        match parts:
            case ["gmail", "v1", "users", _user, *rest] if rest and rest[-1] == "send":
                return error_reply(403, "touchbase's fake refuses to send", "forbidden")
            case ["gmail", "v1", "users", _user, *rest]:
                return self.gmail.handle(call, rest)
            case ["calendar", "v3", "calendars", calendar_id, "events"]:
                return self.calendar.handle(call, calendar_id)
        return error_reply(404, "Not Found", "notFound")

    def _batch(self, call: Call, auth: str | None) -> Reply:
        try:
            parts = parse_batch(call.headers.get("content-type", ""), call.body)
        except ValueError as exc:
            return error_reply(400, f"Bad batch: {exc}", "badRequest")
        if len(parts) > MAX_BATCH:
            return error_reply(400, f"Too many requests in a batch ({len(parts)})", "badRequest")
        replies = []
        for content_id, inner in parts:
            with self._lock:
                fault = self.faults.pick(("429", "500", "503", "403-user", "403-daily"))
            if fault:
                reply = _fault_reply(fault, self.faults.retry_after)
            else:
                reply = self._route(inner, inner.headers.get("authorization") or auth)
            self._record(inner, reply.status, in_batch=True)
            replies.append((content_id, reply))
        content_type, body = format_batch(replies)
        return Reply(200, body, {"Content-Type": content_type})


# events.list "syncToken": "it is not allowed to set showDeleted to False", and it cannot be
# combined with iCalUID, orderBy, privateExtendedProperty, q, sharedExtendedProperty, timeMin,
# timeMax, updatedMin (calendar.v3 discovery document).
_NOT_WITH_SYNC_TOKEN = ("privateExtendedProperty", "sharedExtendedProperty")


def _refuse(method: discovery.Method, call: Call) -> Reply | None:
    """Google's answer to a request its discovery document does not allow, or None."""
    unknown = discovery.unknown_parameters(method, call.query)
    if unknown:
        name = unknown[0]
        return error_reply(
            400,
            f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter.',
            "invalid",
        )
    if method.name == "events.list" and call.arg("syncToken"):
        if call.arg("showDeleted") == "false":
            return error_reply(400, "showDeleted=false is not allowed with syncToken", "invalid")
        bad = [name for name in _NOT_WITH_SYNC_TOKEN if call.arg(name)]
        if bad:
            return error_reply(400, f"Sync token cannot be used with {bad[0]}", "invalid")
    return None


class _Handler(BaseHTTPRequestHandler):
    owner: FakeGoogle
    protocol_version = "HTTP/1.1"  # keep-alive, as Google's front ends

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the fake keeps its own log

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        call = Call(self.command, url.path, parse_qs(url.query), headers, body)
        reply = self.owner.serve(call)
        if reply is None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle
