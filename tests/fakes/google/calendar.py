"""The fake Calendar v3: events with sync tokens, following the incremental-sync guide.

https://developers.google.com/calendar/api/guides/sync: `nextSyncToken` only on the last page;
a syncToken may not be combined with timeMin, timeMax, q, orderBy, updatedMin or iCalUID (400);
an expired token answers 410 (reason fullSyncRequired); incremental results include cancelled
events. Events are stored as already-expanded instances (singleEvents=True), which is all
touchbase asks for; recurrence rules are not expanded here.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from datetime import datetime

from tests.fakes.google.wire import Call, Reply, error_reply, json_reply

_FORBIDDEN_WITH_SYNC = ("timeMin", "timeMax", "q", "orderBy", "updatedMin", "iCalUID")


def _encode(state: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode(token: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(token.encode()))
    return data


def _end(event: dict[str, object]) -> datetime | None:
    end = event.get("end")
    if not isinstance(end, dict):
        return None
    text = end.get("dateTime") or (str(end["date"]) + "T00:00:00Z" if end.get("date") else None)
    return datetime.fromisoformat(str(text)) if text else None


class FakeCalendar:
    """One user's calendars, keyed by calendar id ("primary" is the user's own)."""

    def __init__(self, address: str, time_zone: str = "UTC") -> None:
        self.address = address
        self.time_zone = time_zone
        self.events: dict[tuple[str, str], tuple[int, dict[str, object]]] = {}
        self.generation = 1  # bumping it makes every sync token handed out so far expire
        self._seq = itertools.count(1)
        self._last = 0
        self._lock = threading.RLock()

    def put_event(self, event: dict[str, object], calendar_id: str = "primary") -> str:
        """Add or replace an event resource (it must carry an `id`); it counts as changed."""
        with self._lock:
            event = dict(event)
            event.setdefault("kind", "calendar#event")
            event.setdefault("status", "confirmed")
            event.setdefault("iCalUID", f"{event['id']}@google.com")
            event.setdefault("eventType", "default")
            seq = next(self._seq)
            self._last = seq
            event["etag"] = f'"{seq}"'
            event["updated"] = "2024-01-01T00:00:00.000Z"
            self.events[(calendar_id, str(event["id"]))] = (seq, event)
            return str(event["id"])

    def cancel_event(self, event_id: str, calendar_id: str = "primary") -> None:
        with self._lock:
            _, event = self.events[(calendar_id, event_id)]
            self.put_event({**event, "status": "cancelled"}, calendar_id)

    def delete_event(self, event_id: str, calendar_id: str = "primary") -> None:
        """Delete outright: later incremental lists show a cancelled stub, full lists nothing."""
        with self._lock:
            self.put_event({"id": event_id, "status": "cancelled"}, calendar_id)
            _seq, stub = self.events[(calendar_id, event_id)]
            for key in ("iCalUID", "eventType"):
                stub.pop(key, None)

    def expire_sync_tokens(self) -> None:
        with self._lock:
            self.generation += 1

    def handle(self, call: Call, calendar_id: str) -> Reply:
        with self._lock:
            if call.method != "GET":
                return error_reply(403, "The fake calendar is read-only", "forbidden")
            return self._list(call, calendar_id)

    def _list(self, call: Call, calendar_id: str) -> Reply:
        sync = call.arg("syncToken")
        page_token = call.arg("pageToken")
        if sync:
            bad = [name for name in _FORBIDDEN_WITH_SYNC if call.arg(name)]
            if bad:
                return error_reply(400, f"Sync token cannot be used with {bad[0]}", "invalid")
            try:
                state = _decode(sync)
            except ValueError:
                return error_reply(400, "Invalid sync token value.", "invalid")
            if state.get("g") != self.generation:
                return error_reply(
                    410,
                    "Sync token is no longer valid, a full sync is required.",
                    "fullSyncRequired",
                )
        start = int(_decode(sync)["s"]) if sync else 0  # type: ignore[call-overload]
        snapshot = self._last
        after = start
        if page_token:
            try:
                token_state = _decode(page_token)
            except ValueError:
                return error_reply(400, "Invalid page token value.", "invalid")
            if token_state.get("g") != self.generation and sync:
                return error_reply(410, "Sync token is no longer valid.", "fullSyncRequired")
            after, snapshot = int(token_state["a"]), int(token_state["n"])  # type: ignore[call-overload]
        time_min = call.arg("timeMin")
        lower = datetime.fromisoformat(time_min) if time_min else None
        show_deleted = bool(sync) or call.arg("showDeleted") == "true"
        rows = sorted(
            (seq, event)
            for (cal, _), (seq, event) in self.events.items()
            if cal == calendar_id and after < seq <= snapshot
        )
        chosen = []
        for seq, event in rows:
            if event.get("status") == "cancelled" and not show_deleted:
                continue
            end = _end(event)
            if lower is not None and end is not None and end <= lower:
                continue  # timeMin bounds an event's end, exclusive (events.list reference)
            chosen.append((seq, event))
        size = max(1, min(2500, int(call.arg("maxResults") or 250)))
        page, more = chosen[:size], len(chosen) > size
        body: dict[str, object] = {
            "kind": "calendar#events",
            "etag": f'"{snapshot}"',
            "summary": self.address,
            "updated": "2024-01-01T00:00:00.000Z",
            "timeZone": self.time_zone,
            "accessRole": "owner",
            "defaultReminders": [],
            "items": [event for _, event in page],
        }
        if more:
            body["nextPageToken"] = _encode({"a": page[-1][0], "n": snapshot, "g": self.generation})
        else:
            body["nextSyncToken"] = _encode({"s": snapshot, "g": self.generation})
        return json_reply(body)
