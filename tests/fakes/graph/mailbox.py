"""The fake mailbox behind the fake Graph: collections with a change log, delta rounds, drafts.

A delta round covers the changes in log positions (start, end]; its items are the ids changed there,
in the order of their last change, each shown as it is now (or as a tombstone). Tokens are
stateless (base64url JSON), so a nextLink can be followed again after a restart, as Graph allows.
Bumping `generation` makes every token handed out before unknown (410 / syncStateNotFound).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def new_id(counter: itertools.count[int], prefix: str = "AAMkAG") -> str:
    # Shaped like Graph ids (base64 of an Exchange entry id, "=" padded). One counter per
    # mailbox, so two fakes filled the same way hand out the same ids (fault-free vs faulty runs).
    return base64.b64encode(f"{prefix}-{next(counter):08d}-fake".encode()).decode()


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_token(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, sort_keys=True).encode()).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def recipient(address: str, name: str = "") -> dict[str, Any]:
    return {"emailAddress": {"name": name or address.split("@")[0].title(), "address": address}}


@dataclass
class Collection:
    """A delta-tracked collection: current items, removed items' last state, a change log."""

    name: str
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    gone: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # removed id -> "deleted" | "changed"
    _rounds: dict[tuple[int, int], list[str]] = field(default_factory=dict)

    def upsert(self, item: dict[str, Any]) -> None:
        self.items[item["id"]] = item
        self.gone.pop(item["id"], None)
        self.log.append(item["id"])

    def remove(self, item_id: str, reason: str = "deleted") -> None:
        self.gone[item_id] = self.items.pop(item_id)
        self.reasons[item_id] = reason
        self.log.append(item_id)

    def changed(self, start: int, end: int) -> list[str]:
        """Ids changed in log positions (start, end], ordered by their last change there."""
        key = (start, end)
        if key not in self._rounds:
            last: dict[str, int] = {}
            for position in range(start, end):
                last[self.log[position]] = position
            self._rounds[key] = sorted(last, key=last.__getitem__)
        return self._rounds[key]


@dataclass
class Mailbox:
    """Everything the fake Graph serves for its one user."""

    collections: dict[str, Collection] = field(default_factory=dict)
    generation: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        for name in ("sentitems", "inbox", "drafts", "calendar"):
            self.collections.setdefault(name, Collection(name))

    def folder(self, name: str) -> Collection:
        return self.collections[name.lower()]

    def add_message(
        self,
        folder: str,
        *,
        sender: str,
        to: tuple[str, ...],
        subject: str,
        date: datetime,
        message_id: str | None = None,
        cc: tuple[str, ...] = (),
        bcc: tuple[str, ...] = (),
        conversation: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        inference: str = "focused",
    ) -> dict[str, Any]:
        """A message resource shaped like Graph's (with a body, which a client must not select).

        `headers` are extra internet headers (List-Id...); `inference` is Outlook's Focused /
        Other sorting (inferenceClassification)."""
        item_id = new_id(self.ids)
        message = {
            "@odata.type": "#microsoft.graph.message",
            "@odata.etag": f'W/"{new_id(self.ids, "CQAAAB")}"',
            "id": item_id,
            "createdDateTime": graph_time(date),
            "lastModifiedDateTime": graph_time(date),
            "receivedDateTime": graph_time(date),
            "sentDateTime": graph_time(date),
            "hasAttachments": False,
            "internetMessageId": message_id or f"<{item_id[:12]}@fake.outlook.test>",
            "subject": subject,
            "bodyPreview": "Body text that must never be fetched",
            "importance": "normal",
            "conversationId": conversation or new_id(self.ids, "AAQkAG"),
            "isRead": True,
            "isDraft": folder == "drafts",
            "inferenceClassification": inference,
            "internetMessageHeaders": [
                {
                    "name": "Message-ID",
                    "value": message_id or f"<{item_id[:12]}@fake.outlook.test>",
                },
                *({"name": n, "value": v} for n, v in headers),
            ],
            "body": {"contentType": "text", "content": "Body text that must never be fetched"},
            "sender": recipient(sender),
            "from": recipient(sender),
            "toRecipients": [recipient(a) for a in to],
            "ccRecipients": [recipient(a) for a in cc],
            "bccRecipients": [recipient(a) for a in bcc],
            "replyTo": [],
            "parentFolderId": folder,
        }
        with self.lock:
            self.folder(folder).upsert(message)
        return message

    def add_event(
        self,
        *,
        subject: str,
        start: datetime,
        end: datetime,
        organizer: str,
        attendees: list[dict[str, Any]] | None = None,
        is_organizer: bool = False,
        cancelled: bool = False,
        all_day: bool = False,
    ) -> dict[str, Any]:
        """An event (one occurrence) shaped like calendarView's, times in UTC."""
        event = {
            "@odata.type": "#microsoft.graph.event",
            "@odata.etag": f'W/"{new_id(self.ids, "EZ9r3c")}"',
            "id": new_id(self.ids, "AAMkADVx"),
            "iCalUId": new_id(self.ids, "040000008200E0"),
            "subject": subject,
            "body": {"contentType": "html", "content": ""},
            "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
            "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
            "isAllDay": all_day,
            "isCancelled": cancelled,
            "isOrganizer": is_organizer,
            "type": "singleInstance",
            "attendees": attendees or [],
            "organizer": recipient(organizer),
        }
        with self.lock:
            self.folder("calendar").upsert(event)
        return event

    def update(self, folder: str, item_id: str, **changes: Any) -> None:
        with self.lock:
            collection = self.folder(folder)
            collection.upsert({**collection.items[item_id], **changes})

    def remove(self, folder: str, item_id: str) -> None:
        with self.lock:
            self.folder(folder).remove(item_id)

    def move(self, folder: str, item_id: str, to: str) -> None:
        """Move a message (archive it): it leaves `folder`'s delta as `@removed` with reason
        "changed" ("delta query for messages": moved out of the folder) and keeps its immutable
        id in `to` (https://learn.microsoft.com/graph/outlook-immutable-id)."""
        with self.lock:
            item = self.folder(folder).items[item_id]
            self.folder(folder).remove(item_id, "changed")
            self.collections.setdefault(to.lower(), Collection(to.lower()))
            self.folder(to).upsert({**item, "parentFolderId": to})

    def expire(self) -> None:
        with self.lock:
            self.generation += 1

    def find(self, item_id: str) -> tuple[str, dict[str, Any]] | None:
        for name, collection in self.collections.items():
            if item_id in collection.items:
                return name, collection.items[item_id]
        return None
