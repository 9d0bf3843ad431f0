"""The fake Gmail v1 mailbox: messages, labels, history, drafts; answers as the discovery doc says.

Behaviour copied from the API reference (https://developers.google.com/gmail/api/reference/rest):
messages.list returns ids and threadIds only, newest first, up to 500 a page; a token holding
gmail.metadata may not use `q` (403) nor format=full/raw; history.list answers 404 for a
startHistoryId it no longer keeps; drafts are messages labelled DRAFT.
"""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

from tests.fakes.google.wire import Call, Reply, error_reply, json_reply

_ID_BASE = 0x18C0_0000_0000_0000  # real Gmail ids are 16 hex digits
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    label_ids: list[str]
    internal_ms: int
    headers: list[tuple[str, str]]
    history_id: int
    seq: int
    size: int = 2048


@dataclass(frozen=True)
class Change:
    """One history record: a message added, or labels added to / removed from one."""

    history_id: int
    message_id: str
    kind: str  # "messageAdded", "labelAdded", "labelRemoved" (history.list historyTypes)
    labels: tuple[str, ...]  # the message's labels (messageAdded) or the labels changed


def _token(n: int) -> str:
    return base64.urlsafe_b64encode(f"p{n}".encode()).decode().rstrip("=")


def _untoken(token: str) -> int:
    padded = token + "=" * (-len(token) % 4)
    text = base64.urlsafe_b64decode(padded).decode()
    if not text.startswith("p"):
        raise ValueError(token)
    return int(text[1:])


def _page_size(call: Call, default: int) -> int:
    return max(1, min(500, int(call.arg("maxResults") or default)))


class FakeGmail:
    """One mailbox (the fake serves any userId as this one)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.messages: dict[str, StoredMessage] = {}
        self.history: list[Change] = []
        # ListHistoryResponse: history messages "will typically only have id and threadId
        # populated" (gmail.v1 discovery document). True strips labelIds as Gmail may.
        self.minimal_history = False
        self.history_id = 1000
        self.history_floor = 0  # startHistoryId below this answers 404
        self.drafts: dict[str, str] = {}  # draft id -> message id
        self.refusals: dict[str, list[Reply]] = {}  # message id -> the next answers to its get
        self._seq = itertools.count(1)
        self._lock = threading.RLock()

    # ---- filling the mailbox -------------------------------------------------------------
    def add_message(
        self,
        headers: list[tuple[str, str]],
        labels: tuple[str, ...] = ("SENT",),
        *,
        thread_id: str | None = None,
        internal_date: datetime | None = None,
    ) -> str:
        """Store a message with these headers; returns its Gmail id. Adds a history record."""
        with self._lock:
            seq = next(self._seq)
            msg_id = f"{_ID_BASE + seq:016x}"
            if internal_date is None:
                internal_date = _header_date(headers) or datetime(2024, 1, 1, tzinfo=UTC)
            self.history_id += 1
            self.messages[msg_id] = StoredMessage(
                id=msg_id,
                thread_id=thread_id or msg_id,
                label_ids=list(labels),
                internal_ms=int(internal_date.timestamp() * 1000),
                headers=list(headers),
                history_id=self.history_id,
                seq=seq,
            )
            self.history.append(Change(self.history_id, msg_id, "messageAdded", tuple(labels)))
            return msg_id

    def change_labels(
        self, msg_id: str, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()
    ) -> None:
        """Add and remove labels (archive = remove INBOX; a draft sent = add SENT)."""
        with self._lock:
            msg = self.messages[msg_id]
            for kind, labels in (("labelAdded", add), ("labelRemoved", remove)):
                if not labels:
                    continue
                self.history_id += 1
                if kind == "labelAdded":
                    msg.label_ids += [lb for lb in labels if lb not in msg.label_ids]
                else:
                    msg.label_ids = [lb for lb in msg.label_ids if lb not in labels]
                msg.history_id = self.history_id
                self.history.append(Change(self.history_id, msg_id, kind, labels))

    def add_raw(self, raw: bytes, labels: tuple[str, ...], thread_id: str | None = None) -> str:
        parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
        headers = [(name, str(value)) for name, value in parsed.items()]
        return self.add_message(headers, labels, thread_id=thread_id)

    def delete_message(self, msg_id: str) -> None:
        with self._lock:
            self.messages.pop(msg_id, None)

    def expire_history(self) -> None:
        """Forget every history record so far: older startHistoryIds now answer 404.

        History lapses only after the mailbox moved on (label changes, reads...), so the
        mailbox's historyId advances too.
        """
        with self._lock:
            self.history_id += 100
            self.history_floor = self.history_id

    # ---- the API -------------------------------------------------------------------------
    def handle(self, call: Call, rest: list[str]) -> Reply:
        """`rest` is the path after /gmail/v1/users/{userId}/."""
        with self._lock:
            match (call.method, rest):
                case ("GET", ["profile"]):
                    return self._profile()
                case ("GET", ["messages"]):
                    return self._list_messages(call)
                case ("GET", ["messages", msg_id]):
                    return self._get_message(call, msg_id)
                case ("GET", ["history"]):
                    return self._history(call)
                case ("GET", ["threads", thread_id]):
                    return self._get_thread(call, thread_id)
                case ("POST", ["drafts"]):
                    return self._create_draft(call)
                case ("GET", ["drafts"]):
                    return self._list_drafts(call)
                case ("GET", ["drafts", draft_id]):
                    return self._get_draft(call, draft_id)
            return error_reply(404, "Not Found", "notFound")

    def _profile(self) -> Reply:
        threads = {m.thread_id for m in self.messages.values()}
        return json_reply(
            {
                "emailAddress": self.address,
                "messagesTotal": len(self.messages),
                "threadsTotal": len(threads),
                "historyId": str(self.history_id),
            }
        )

    def _list_messages(self, call: Call) -> Reply:
        if call.arg("q"):
            return error_reply(403, "Metadata scope does not support 'q' parameter", "forbidden")
        labels = set(call.query.get("labelIds", []))
        wanted = [
            m
            for m in self.messages.values()
            if labels <= set(m.label_ids)
            and (call.arg("includeSpamTrash") == "true" or not {"SPAM", "TRASH"} & set(m.label_ids))
        ]
        wanted.sort(key=lambda m: m.seq, reverse=True)
        token = call.arg("pageToken")
        if token:
            try:
                below = _untoken(token)
            except ValueError:
                return error_reply(400, "Invalid pageToken", "invalid")
            wanted = [m for m in wanted if m.seq < below]
        size = _page_size(call, 100)
        page, more = wanted[:size], len(wanted) > size
        body: dict[str, object] = {"resultSizeEstimate": len(page)}
        if page:
            body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if more:
            body["nextPageToken"] = _token(page[-1].seq)
        return json_reply(body)

    def _message_resource(self, msg: StoredMessage, call: Call) -> dict[str, object]:
        fmt = (call.arg("format") or "full").lower()
        resource: dict[str, object] = {
            "id": msg.id,
            "threadId": msg.thread_id,
            "labelIds": list(msg.label_ids),
            "historyId": str(msg.history_id),
            "internalDate": str(msg.internal_ms),
            "sizeEstimate": msg.size,
        }
        if fmt == "metadata":
            wanted = {h.lower() for h in call.query.get("metadataHeaders", [])}
            headers = [
                {"name": name, "value": value}
                for name, value in msg.headers
                if not wanted or name.lower() in wanted
            ]
            resource["payload"] = {
                "partId": "",
                "mimeType": "text/plain",
                "filename": "",
                "headers": headers,
            }
        return resource

    def refuse(self, msg_id: str, reason: str, *, times: int = 1, status: int = 403) -> None:
        """Answer the next `times` gets of `msg_id` with this error (a batch part's refusal)."""
        reply = error_reply(status, f"Refused: {reason}", reason, domain="usageLimits")
        self.refusals.setdefault(msg_id, []).extend([reply] * times)

    def _get_message(self, call: Call, msg_id: str) -> Reply:
        if self.refusals.get(msg_id):
            return self.refusals[msg_id].pop(0)
        fmt = (call.arg("format") or "full").lower()
        if fmt in ("full", "raw"):
            return error_reply(
                403, f"Metadata scope doesn't allow format {fmt.upper()}", "forbidden"
            )
        msg = self.messages.get(msg_id)
        if msg is None:
            return error_reply(404, "Requested entity was not found.", "notFound")
        return json_reply(self._message_resource(msg, call))

    def _get_thread(self, call: Call, thread_id: str) -> Reply:
        """threads.get: the thread's messages, oldest first, shaped as messages.get shapes them
        (format=full and raw are refused under the metadata scope, as for a message)."""
        fmt = (call.arg("format") or "full").lower()
        if fmt in ("full", "raw"):
            return error_reply(
                403, f"Metadata scope doesn't allow format {fmt.upper()}", "forbidden"
            )
        found = sorted(
            (m for m in self.messages.values() if m.thread_id == thread_id),
            key=lambda m: m.internal_ms,
        )
        if not found:
            return error_reply(404, "Requested entity was not found.", "notFound")
        return json_reply(
            {
                "id": thread_id,
                "historyId": str(max(m.history_id for m in found)),
                "messages": [self._message_resource(m, call) for m in found],
            }
        )

    def _history(self, call: Call) -> Reply:
        start_text = call.arg("startHistoryId")
        if not start_text or not start_text.isdigit():
            return error_reply(400, "Invalid startHistoryId", "invalidArgument")
        start = int(start_text)
        if start < self.history_floor:
            return error_reply(404, "Requested entity was not found.", "notFound")
        types = set(call.query.get("historyTypes") or HISTORY_TYPES)
        label = call.arg("labelId")
        records = [
            c
            for c in self.history
            if c.history_id > start
            and c.kind in types
            and (label is None or label in self._labels_now(c))
        ]
        token = call.arg("pageToken")
        if token:
            try:
                after = _untoken(token)
            except ValueError:
                return error_reply(400, "Invalid pageToken", "invalid")
            records = [r for r in records if r.history_id > after]
        size = _page_size(call, 100)
        page, more = records[:size], len(records) > size
        body: dict[str, object] = {"historyId": str(self.history_id)}
        if page:
            body["history"] = [self._record(c) for c in page]
        if more:
            body["nextPageToken"] = _token(page[-1].history_id)
        return json_reply(body)

    def _labels_now(self, change: Change) -> tuple[str, ...]:
        msg = self.messages.get(change.message_id)
        return tuple(msg.label_ids) if msg else change.labels

    def _record(self, change: Change) -> dict[str, object]:
        """One History resource (gmail.v1 discovery document, schema History)."""
        message: dict[str, object] = {
            "id": change.message_id,
            "threadId": self._thread(change.message_id),
        }
        if not self.minimal_history:
            message["labelIds"] = list(self._labels_now(change))
        record: dict[str, object] = {"id": str(change.history_id), "messages": [message]}
        if change.kind == "messageAdded":
            record["messagesAdded"] = [{"message": message}]
        elif change.kind == "labelAdded":
            record["labelsAdded"] = [{"message": message, "labelIds": list(change.labels)}]
        else:
            record["labelsRemoved"] = [{"message": message, "labelIds": list(change.labels)}]
        return record

    def _thread(self, msg_id: str) -> str:
        msg = self.messages.get(msg_id)
        return msg.thread_id if msg else msg_id

    def _create_draft(self, call: Call) -> Reply:
        message = call.json().get("message")
        if not isinstance(message, dict) or not message.get("raw"):
            return error_reply(400, "Missing draft message", "invalidArgument")
        raw_text = str(message["raw"])
        raw = base64.urlsafe_b64decode(raw_text + "=" * (-len(raw_text) % 4))
        thread = message.get("threadId")
        thread_id = str(thread) if thread and str(thread) in self._threads() else None
        msg_id = self.add_raw(raw, ("DRAFT",), thread_id=thread_id)
        draft_id = f"r{int(msg_id, 16) % 10**19}"
        self.drafts[draft_id] = msg_id
        msg = self.messages[msg_id]
        return json_reply(
            {
                "id": draft_id,
                "message": {"id": msg_id, "threadId": msg.thread_id, "labelIds": ["DRAFT"]},
            }
        )

    def _threads(self) -> set[str]:
        return {m.thread_id for m in self.messages.values()}

    def _list_drafts(self, call: Call) -> Reply:
        if call.arg("q"):
            return error_reply(403, "Metadata scope does not support 'q' parameter", "forbidden")
        items = sorted(self.drafts.items(), key=lambda d: self.messages[d[1]].seq, reverse=True)
        token = call.arg("pageToken")
        if token:
            below = _untoken(token)
            items = [d for d in items if self.messages[d[1]].seq < below]
        size = _page_size(call, 100)
        page, more = items[:size], len(items) > size
        body: dict[str, object] = {"resultSizeEstimate": len(page)}
        if page:
            body["drafts"] = [
                {"id": d, "message": {"id": m, "threadId": self.messages[m].thread_id}}
                for d, m in page
            ]
        if more:
            body["nextPageToken"] = _token(self.messages[page[-1][1]].seq)
        return json_reply(body)

    def _get_draft(self, call: Call, draft_id: str) -> Reply:
        msg_id = self.drafts.get(draft_id)
        if msg_id is None or msg_id not in self.messages:
            return error_reply(404, "Requested entity was not found.", "notFound")
        resource = self._message_resource(self.messages[msg_id], call)
        return json_reply({"id": draft_id, "message": resource})


def _header_date(headers: list[tuple[str, str]]) -> datetime | None:
    for name, value in headers:
        if name.lower() == "date":
            try:
                return parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
    return None
