"""A local fake of Microsoft Graph (mail and calendar delta, drafts) and its identity endpoint.

One threaded http.server on 127.0.0.1 and a free port: `/v1.0/...` is Graph, `/{tenant}/...` is
the identity platform (identity.py). Links it hands out are absolute and point at itself, as
Graph's do. Every request is logged; faults can be scripted (`inject`) or drawn at a rate
(`fault_rate`): 429 with Retry-After, 503, a dropped connection, a body cut short.
"""

from __future__ import annotations

import html
import json
import random
import re
import socket
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.graph.identity import TENANT, Identity, LoopbackSession
from tests.fakes.graph.mailbox import Collection, Mailbox, decode_token, encode_token, new_id

DEFAULT_PAGE = 10  # Graph's default page size for message delta
MAX_PAGE = 1000
FAULTS = ("429", "503", "drop", "truncate")
KEPT = ("id", "@odata.type", "@odata.etag")  # returned whatever $select says
_MAIL_DELTA = re.compile(r"^/v1\.0/me/mailfolders(?:/([^/(]+)|\('([^']+)'\))/messages/delta$")
_REPLY = re.compile(r"^/v1\.0/me/messages/([^/]+)/createreply$")
_KEY_FILTER = re.compile(
    r"singleValueExtendedProperties/Any\(ep: ep/id eq '((?:[^']|'')*)'"
    r" and ep/value eq '((?:[^']|'')*)'\)"
)
_MID_FILTER = re.compile(r"^internetMessageId eq '((?:[^']|'')*)'$")


@dataclass(frozen=True)
class Served:
    """One request as the fake saw it."""

    method: str
    path: str  # with the query string
    status: int
    fault: str = ""
    prefer: str = ""


class FakeGraph:
    """Start with `with FakeGraph() as fake:`; `fake.url` is the Graph root (…/v1.0)."""

    def __init__(self, *, fault_rate: float = 0.0, seed: int = 7, latency: float = 0.0) -> None:
        self.mailbox = Mailbox()
        self.identity = Identity()
        self.log: list[Served] = []
        self.fault_rate = fault_rate
        self.fault_kinds: tuple[str, ...] = FAULTS
        self.retry_after = "1"
        self.expiry_mode = "gone"  # or "syncStateNotFound"
        self.latency = latency
        self.ambiguous_posts = 0  # the next N POSTs store, then drop the connection
        self.inflight = 0
        self.max_inflight = 0
        self._script: deque[str] = deque()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = f"{self.base}/v1.0"
        self.authority = f"https://login.fake.test/{TENANT}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeGraph:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def http_client(self) -> LoopbackSession:
        """msal's http_client: its https authority requests land here."""
        return LoopbackSession(self.base)

    def inject(self, *faults: str) -> None:
        """Answer the next Graph requests with these faults, in order."""
        self._script.extend(faults)

    def paths(self) -> list[str]:
        return [entry.path for entry in self.log]

    def send_attempts(self) -> list[str]:
        return [p for p in self.paths() if re.search(r"/send(mail)?\b|\.send\b", p.lower())]

    # -- called by the handler -------------------------------------------------------------

    def next_fault(self, method: str) -> str:
        with self._lock:
            if self._script:
                return self._script.popleft()
            if method == "GET" and self.fault_rate and self._rng.random() < self.fault_rate:
                return self._rng.choice(self.fault_kinds)
        return ""

    def record(self, entry: Served) -> None:
        with self._lock:
            self.log.append(entry)

    def graph(
        self, method: str, path: str, query: dict[str, str], prefer: str, body: Any
    ) -> tuple[int, Any]:
        lowered = path.lower()
        if re.search(r"/send(mail)?$|\.send$", lowered):
            return 405, _error("ErrorAccessDenied", "touchbase must never send mail")
        with self.mailbox.lock:
            match = _MAIL_DELTA.match(lowered)
            if method == "GET" and match:
                return self.delta(match.group(1) or match.group(2), query, prefer)
            if method == "GET" and lowered == "/v1.0/me/calendarview/delta":
                return self.delta("calendar", query, prefer)
            if method == "GET" and lowered == "/v1.0/me/messages":
                return self.search(query.get("$filter", ""))
            if method == "POST" and lowered == "/v1.0/me/messages":
                return 201, self.create_draft(body or {}, None)
            reply = _REPLY.match(path.lower())
            if method == "POST" and reply:
                original = self.mailbox.find(unquote(path.split("/")[4]))
                if original is None:
                    return 404, _error("ErrorItemNotFound", "The specified object was not found.")
                return 201, self.create_draft((body or {}).get("message") or {}, original[1])
        return 400, _error("BadRequest", f"the fake does not serve {method} {path}")

    def delta(self, name: str, query: dict[str, str], prefer: str) -> tuple[int, Any]:
        if name not in self.mailbox.collections:
            return 404, _error("ErrorInvalidIdMalformed", "unknown folder")
        collection = self.mailbox.folder(name)
        calendar = name == "calendar"
        token = query.get("$skiptoken") or query.get("$deltatoken")
        if token is not None:
            state = decode_token(token)
            if state is None or state.get("c") != name:
                return 400, _error("BadRequest", "malformed token")
            if state["g"] != self.mailbox.generation:
                if self.expiry_mode == "gone":
                    return 410, _error(
                        "resyncRequired", "Resync required. Replace any local items."
                    )
                return 400, _error("syncStateNotFound", "The sync state was not found.")
            if "$deltatoken" in query:
                state = {**state, "p": state["h"], "h": len(collection.log), "o": 0}
        else:
            if calendar and "$select" in query:
                return 400, _error("BadRequest", "calendarView delta does not support $select")
            window = None
            if calendar:
                if "startDateTime" not in query or "endDateTime" not in query:
                    return 400, _error("ErrorInvalidParameter", "startDateTime and endDateTime")
                window = [query["startDateTime"], query["endDateTime"]]
            state = {
                "c": name,
                "g": self.mailbox.generation,
                "p": 0,
                "h": len(collection.log),
                "o": 0,
                "s": query.get("$select"),
                "w": window,
            }
        ids = self._round(collection, state)
        size = _page_size(prefer)
        chunk = ids[state["o"] : state["o"] + size]
        value = [self._shape(collection, item_id, state.get("s")) for item_id in chunk]
        root = (
            f"{self.url}/me/calendarView/delta"
            if calendar
            else f"{self.url}/me/mailfolders('{name}')/messages/delta"
        )
        kind = "event" if calendar else "message"
        body: dict[str, Any] = {"@odata.context": f"{self.url}/$metadata#Collection({kind})"}
        if state["o"] + size < len(ids):
            body["@odata.nextLink"] = (
                f"{root}?$skiptoken={encode_token({**state, 'o': state['o'] + size})}"
            )
        else:
            body["@odata.deltaLink"] = f"{root}?$deltatoken={encode_token({**state, 'o': 0})}"
        body["value"] = value
        return 200, body

    def _round(self, collection: Collection, state: dict[str, Any]) -> list[str]:
        # Fixed at first computation (memoised), so paging a round is stable while mail arrives.
        key = (state["p"], state["h"], json.dumps(state.get("w")))
        cache = collection.__dict__.setdefault("_pages", {})
        if key not in cache:
            ids = collection.changed(state["p"], state["h"])
            if state["p"] == 0:  # an initial round lists what exists, no tombstones
                ids = [i for i in ids if i in collection.items]
            if state.get("w"):
                start, end = state["w"]
                ids = [i for i in ids if _in_window(collection, i, start, end)]
            cache[key] = ids
        return list(cache[key])

    def _shape(self, collection: Collection, item_id: str, select: str | None) -> dict[str, Any]:
        item = collection.items.get(item_id)
        if item is None:
            return {
                "@odata.type": "#microsoft.graph."
                + ("event" if collection.name == "calendar" else "message"),
                "id": item_id,
                "@removed": {"reason": "deleted"},
            }
        if not select:
            return dict(item)
        wanted = set(select.split(",")) | set(KEPT)
        return {k: v for k, v in item.items() if k in wanted}

    def search(self, query: str) -> tuple[int, Any]:
        key = _KEY_FILTER.fullmatch(query)
        mid = _MID_FILTER.match(query)
        if not key and not mid:
            return 400, _error("ErrorInvalidUrlQueryFilter", f"unsupported filter {query}")
        found = []
        for collection in self.mailbox.collections.values():
            for item in collection.items.values():
                if key:
                    pid, value = (g.replace("''", "'") for g in key.groups())
                    props = item.get("singleValueExtendedProperties") or []
                    hit = any(p["id"] == pid and p["value"] == value for p in props)
                else:
                    hit = item.get("internetMessageId") == mid.group(1).replace("''", "'")  # type: ignore[union-attr]
                if hit:
                    found.append({"id": item["id"]})
        return 200, {
            "@odata.context": f"{self.url}/$metadata#users('me')/messages(id)",
            "value": found,
        }

    def create_draft(
        self, fields: dict[str, Any], original: dict[str, Any] | None
    ) -> dict[str, Any]:
        item_id = new_id(self.mailbox.ids)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        draft: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.message",
            "id": item_id,
            "createdDateTime": now,
            "receivedDateTime": now,
            "sentDateTime": None,
            "isDraft": True,
            "internetMessageId": f"<{item_id[:12]}@fake.outlook.test>",
            "conversationId": new_id(self.mailbox.ids, "AAQkAG"),
            "subject": "",
            "toRecipients": [],
            "ccRecipients": [],
            "parentFolderId": "drafts",
        }
        if original is not None:
            draft["subject"] = "RE: " + str(original.get("subject") or "")
            draft["toRecipients"] = [original["from"]]
            draft["conversationId"] = original["conversationId"]
        draft.update(fields)
        self.mailbox.folder("drafts").upsert(draft)
        return {k: v for k, v in draft.items() if k != "singleValueExtendedProperties"}


def _in_window(collection: Collection, item_id: str, start: str, end: str) -> bool:
    item = collection.items.get(item_id) or collection.gone.get(item_id)
    if item is None:
        return False
    begins = item["start"]["dateTime"][:19] + "Z"
    return start <= begins < end


def _page_size(prefer: str) -> int:
    match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
    return min(int(match.group(1)), MAX_PAGE) if match else DEFAULT_PAGE


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": "fake"}}}


class _Handler(BaseHTTPRequestHandler):
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
                    _error("TooManyRequests" if fault == "429" else "ServiceUnavailable", "fault"),
                    headers,
                )
                return
            if fault == "drop":
                fake.record(Served(method, self.path, 0, fault, prefer))
                self.close_connection = True
                return
            if fault == "expire":
                fake.record(Served(method, self.path, 410, fault, prefer))
                self._reply(410, _error("resyncRequired", "Resync required."))
                return
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token not in fake.identity.access_tokens:
                fake.record(Served(method, self.path, 401, "", prefer))
                self._reply(
                    401, _error("InvalidAuthenticationToken", "Access token is empty or invalid.")
                )
                return
            body_in = (
                json.loads(raw)
                if raw and "json" in (self.headers.get("Content-Type") or "")
                else None
            )
            status, body = fake.graph(method, parts.path, query, prefer, body_in)
            if method == "POST" and status == 201 and fake.ambiguous_posts:
                fake.ambiguous_posts -= 1
                fault = "drop"
            fake.record(Served(method, self.path, status if fault != "drop" else 0, fault, prefer))
            if fault == "drop":
                self.close_connection = True
                return
            self._reply(status, body, truncate=fault == "truncate")
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
