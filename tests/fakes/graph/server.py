"""A local fake of Microsoft Graph (mail and calendar delta, drafts) and its identity endpoint.

One threaded http.server on 127.0.0.1 and a free port: `/v1.0/...` is Graph, `/{tenant}/...` is
the identity platform (identity.py). Links it hands out are absolute and point at itself, as
Graph's do. Every request is logged; faults can be scripted (`inject`) or drawn at a rate
(`fault_rate`): 429 with Retry-After, 503, a dropped connection, a body cut short.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections import deque
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.fakes.graph.handler import Handler, Served, error
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
        # A 410 may carry a Location to restart from (delta-query-overview, "Synchronization
        # reset"); on, the fake names a fresh round of the same query there.
        self.gone_location = False
        # "there are more pages of data ... even if the current response contains an empty
        # result" (delta-query-overview): on, every page is preceded by an empty one.
        self.empty_pages = False
        # Delta "might return the same item more than once" across pages (delta-query-messages,
        # "Track changes to messages in a folder"): on, each page repeats the last of the one
        # before it.
        self.replay = False
        self.latency = latency
        self.ambiguous_posts = 0  # the next N POSTs store, then drop the connection
        self.inflight = 0
        self.max_inflight = 0
        self._script: deque[str] = deque()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
            return 405, error("ErrorAccessDenied", "touchbase must never send mail")
        with self.mailbox.lock:
            match = _MAIL_DELTA.match(lowered)
            if method == "GET" and match:
                return self.delta(match.group(1) or match.group(2), query, prefer)
            if method == "GET" and lowered == "/v1.0/me/calendarview/delta":
                return self.delta("calendar", query, prefer)
            if method == "GET" and lowered == "/v1.0/me/messages":
                return self.search(query.get("$filter", ""), query.get("$select"))
            if method == "GET" and lowered.startswith("/v1.0/me/messages/"):
                found = self.mailbox.find(unquote(path.split("/")[4]))
                if found is None:
                    return 404, error("ErrorItemNotFound", "The specified object was not found.")
                wanted = set((query.get("$select") or "id").split(",")) | set(KEPT)
                if "body" in wanted or "uniqueBody" in wanted:
                    return 400, error("BadRequest", "touchbase must never ask for a body")
                return 200, {k: v for k, v in found[1].items() if k in wanted}
            if method == "POST" and lowered == "/v1.0/me/messages":
                return 201, self.create_draft(body or {}, None)
            reply = _REPLY.match(path.lower())
            if method == "POST" and reply:
                original = self.mailbox.find(unquote(path.split("/")[4]))
                if original is None:
                    return 404, error("ErrorItemNotFound", "The specified object was not found.")
                return 201, self.create_draft((body or {}).get("message") or {}, original[1])
        return 400, error("BadRequest", f"the fake does not serve {method} {path}")

    def delta(self, name: str, query: dict[str, str], prefer: str) -> tuple[int, Any]:
        if name not in self.mailbox.collections:
            return 404, error("ErrorInvalidIdMalformed", "unknown folder")
        collection = self.mailbox.folder(name)
        calendar = name == "calendar"
        token = query.get("$skiptoken") or query.get("$deltatoken")
        if token is not None:
            state = decode_token(token)
            if state is None or state.get("c") != name:
                return 400, error("BadRequest", "malformed token")
            if state["g"] != self.mailbox.generation:
                if self.expiry_mode == "gone":
                    gone = error("resyncRequired", "Resync required. Replace any local items.")
                    if self.gone_location:
                        gone["@fake.headers"] = {"Location": self._restart_link(name, state)}
                    return 410, gone
                return 400, error("syncStateNotFound", "The sync state was not found.")
            if "$deltatoken" in query:
                state = {**state, "p": state["h"], "h": len(collection.log), "o": 0}
        else:
            refusal = _refuse_delta(calendar, query)
            if refusal is not None:
                return 400, refusal
            window = None
            if calendar:
                if "startDateTime" not in query or "endDateTime" not in query:
                    return 400, error("ErrorInvalidParameter", "startDateTime and endDateTime")
                window = [query["startDateTime"], query["endDateTime"]]
            state = {
                "c": name,
                "g": self.mailbox.generation,
                "p": 0,
                "h": len(collection.log),
                "o": 0,
                "s": query.get("$select"),
                "w": window,
                "f": _received_after(query.get("$filter")),
                "d": bool(query.get("$orderby")),
            }
        ids = self._round(collection, state)
        size = _page_size(prefer)
        first = max(0, state["o"] - 1) if self.replay else state["o"]
        chunk = ids[first : state["o"] + size]
        value = [self._shape(collection, item_id, state.get("s"), state) for item_id in chunk]
        root = (
            f"{self.url}/me/calendarView/delta"
            if calendar
            else f"{self.url}/me/mailfolders('{name}')/messages/delta"
        )
        kind = "event" if calendar else "message"
        body: dict[str, Any] = {"@odata.context": f"{self.url}/$metadata#Collection({kind})"}
        if self.empty_pages and not state.get("e"):
            body["@odata.nextLink"] = f"{root}?$skiptoken={encode_token({**state, 'e': 1})}"
            body["value"] = []
            return 200, body
        state = {k: v for k, v in state.items() if k != "e"}
        if state["o"] + size < len(ids):
            body["@odata.nextLink"] = (
                f"{root}?$skiptoken={encode_token({**state, 'o': state['o'] + size})}"
            )
        else:
            body["@odata.deltaLink"] = f"{root}?$deltatoken={encode_token({**state, 'o': 0})}"
        body["value"] = value
        return 200, body

    def _restart_link(self, name: str, state: dict[str, Any]) -> str:
        """Where a fresh round of the same query (window and $select kept) starts."""
        fresh = {
            "c": name,
            "g": self.mailbox.generation,
            "p": 0,
            "h": len(self.mailbox.folder(name).log),
            "o": 0,
            "s": state.get("s"),
            "w": state.get("w"),
        }
        root = (
            f"{self.url}/me/calendarView/delta"
            if name == "calendar"
            else f"{self.url}/me/mailfolders('{name}')/messages/delta"
        )
        return f"{root}?$skiptoken={encode_token(fresh)}"

    def _round(self, collection: Collection, state: dict[str, Any]) -> list[str]:
        # Fixed at first computation (memoised), so paging a round is stable while mail arrives.
        key = (state["p"], state["h"], json.dumps([state.get(k) for k in ("w", "f", "d")]))
        cache = collection.__dict__.setdefault("_pages", {})
        if key not in cache:
            ids = collection.changed(state["p"], state["h"])
            if state["p"] == 0:  # an initial round lists what exists, no tombstones
                ids = [i for i in ids if i in collection.items]
            if state.get("f"):
                op, bound = state["f"]
                ids = [i for i in ids if _received(collection, i, op, bound)][:MAX_FILTERED]
            if state.get("d"):
                ids.sort(key=lambda i: _received_at(collection, i), reverse=True)
            if state.get("w"):
                start, end = state["w"]
                # A later round reports an event changed out of the window as @removed
                # (event: delta, "calendarView delta": ...), an initial round leaves it out.
                if state["p"] == 0:
                    ids = [i for i in ids if _in_window(collection, i, start, end)]
            cache[key] = ids
        return list(cache[key])

    def _shape(
        self,
        collection: Collection,
        item_id: str,
        select: str | None,
        state: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        item = collection.items.get(item_id)
        window = (state or {}).get("w")
        if item is not None and window and not _in_window(collection, item_id, *window):
            item = None  # changed out of the window: a tombstone for this client
        if item is None:
            return {
                "@odata.type": "#microsoft.graph."
                + ("event" if collection.name == "calendar" else "message"),
                "id": item_id,
                "@removed": {"reason": collection.reasons.get(item_id, "deleted")},
            }
        # internetMessageHeaders is not returned by a delta query (message delta returns the
        # message properties but not that one; it needs a GET of the message).
        if not select:
            return {k: v for k, v in item.items() if k != "internetMessageHeaders"}
        wanted = (set(select.split(",")) | set(KEPT)) - {"internetMessageHeaders"}
        return {k: v for k, v in item.items() if k in wanted}

    def search(self, query: str, select: str | None = None) -> tuple[int, Any]:
        """List messages by $filter, each with the $select-ed properties (id alone without)."""
        wanted = set((select or "id").split(",")) | {"id"}
        if wanted & {"body", "uniqueBody", "bodyPreview"}:
            return 400, error("BadRequest", "touchbase must never ask for a body")
        key = _KEY_FILTER.fullmatch(query)
        mid = _MID_FILTER.match(query)
        if not key and not mid:
            return 400, error("ErrorInvalidUrlQueryFilter", f"unsupported filter {query}")
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
                    found.append({k: v for k, v in item.items() if k in wanted})
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


# "Use query parameters in a delta query for messages" (learn.microsoft.com/graph/
# delta-query-messages): $select, $top and $expand; "the only supported $filter expressions are
# $filter=receivedDateTime+ge+{value} or $filter=receivedDateTime+gt+{value}", which "returns
# only up to 5,000 messages"; "the only supported $orderby expression is
# $orderby=receivedDateTime+desc"; "there is no support for $search". calendarView delta
# (event-delta) takes startDateTime and endDateTime and no $select, $filter, $orderby, $search.
MAIL_DELTA_OPTIONS = frozenset({"$select", "$top", "$expand", "$filter", "$orderby"})
CALENDAR_DELTA_OPTIONS = frozenset({"startDateTime", "endDateTime", "$top"})
MAX_FILTERED = 5000
_RECEIVED = re.compile(r"^receivedDateTime (ge|gt) (\S+)$")


def _refuse_delta(calendar: bool, query: dict[str, str]) -> dict[str, Any] | None:
    """Graph's refusal of an initial delta request's query options, or None."""
    allowed = CALENDAR_DELTA_OPTIONS if calendar else MAIL_DELTA_OPTIONS
    for name in query:
        if name not in allowed:
            what = "calendarView delta" if calendar else "message delta"
            return error("BadRequest", f"{what} does not support the query option {name}")
    if calendar and ("startDateTime" not in query or "endDateTime" not in query):
        return error("ErrorInvalidParameter", "startDateTime and endDateTime are required")
    if "$filter" in query and _received_after(query["$filter"]) is None:
        return error("ErrorInvalidUrlQueryFilter", "only receivedDateTime ge/gt is supported")
    if "$orderby" in query and query["$orderby"] != "receivedDateTime desc":
        return error("BadRequest", "only $orderby=receivedDateTime desc is supported")
    return None


def _received_after(text: str | None) -> list[str] | None:
    found = _RECEIVED.match(text or "")
    return [found.group(1), found.group(2)] if found else None


def _received_at(collection: Collection, item_id: str) -> str:
    item = collection.items.get(item_id) or collection.gone.get(item_id) or {}
    return str(item.get("receivedDateTime") or "")


def _received(collection: Collection, item_id: str, op: str, bound: str) -> bool:
    at = datetime.fromisoformat(_received_at(collection, item_id) or "1970-01-01T00:00:00Z")
    limit = datetime.fromisoformat(bound)
    return at >= limit if op == "ge" else at > limit


def _in_window(collection: Collection, item_id: str, start: str, end: str) -> bool:
    item = collection.items.get(item_id) or collection.gone.get(item_id)
    if item is None:
        return False
    begins = item["start"]["dateTime"][:19] + "Z"
    return start <= begins < end


def _page_size(prefer: str) -> int:
    match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
    return min(int(match.group(1)), MAX_PAGE) if match else DEFAULT_PAGE
