"""An in-memory account: a Source and a DraftSink with no I/O, for tests and the contract suite.

It behaves like a well-kept provider: an append-only log of interactions paged in order, a cursor
that is the position in that log, a generation that, when bumped, expires old cursors (like a
UIDVALIDITY change), and drafts kept by id. Faults can be injected: a TransientError after a given
number of pages, an "ambiguous" push that stores the draft and then reports a failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from touchbase.connectors.base import DraftMessage, InteractionRecord, Page, Quarantined
from touchbase.connectors.errors import CursorExpired, TransientError


@dataclass
class MemorySource:
    """A Source over a list. `log` may grow between pulls; `generation` expires cursors."""

    log: list[InteractionRecord | Quarantined] = field(default_factory=list)
    page_size: int = 3
    generation: int = 1
    fail_after_pages: int | None = None  # raise TransientError after yielding this many pages
    resyncs: int = 0

    def add(self, *records: InteractionRecord | Quarantined) -> None:
        self.log.extend(records)

    def pull(self, cursor: str | None) -> Iterator[Page]:
        start, resync = 0, False
        if cursor is not None:
            try:
                start = self._position(cursor)
            except CursorExpired:
                start, resync = 0, True
                self.resyncs += 1
        offsets = range(start, max(len(self.log), start + 1), self.page_size)
        for yielded, offset in enumerate(offsets):
            if self.fail_after_pages is not None and yielded >= self.fail_after_pages:
                raise TransientError("injected fault: connection dropped")
            chunk = self.log[offset : offset + self.page_size]
            end = offset + len(chunk)
            yield Page(
                interactions=[r for r in chunk if isinstance(r, InteractionRecord)],
                quarantined=[r for r in chunk if isinstance(r, Quarantined)],
                cursor=json.dumps({"generation": self.generation, "position": end}),
                resync=resync and yielded == 0,
            )

    def _position(self, cursor: str) -> int:
        state = json.loads(cursor)
        if state.get("generation") != self.generation:
            raise CursorExpired("generation changed")
        return int(state["position"])

    def close(self) -> None:
        pass


@dataclass
class MemorySink:
    """A DraftSink that keeps drafts in a dict and records every call made to it."""

    drafts: dict[str, DraftMessage] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    ambiguous_failures: int = 0  # the next N pushes store the draft, then raise TransientError
    hard_failures: int = 0  # the next N pushes fail before storing anything

    def push_draft(self, draft: DraftMessage) -> str:
        self.calls.append("push_draft")
        if self.hard_failures:
            self.hard_failures -= 1
            raise TransientError("injected fault: refused before storing")
        draft_id = f"draft-{len(self.drafts) + 1}"
        self.drafts[draft_id] = draft
        if self.ambiguous_failures:
            self.ambiguous_failures -= 1
            raise TransientError("injected fault: connection dropped after the draft was stored")
        return draft_id

    def find_draft(self, draft: DraftMessage) -> str | None:
        self.calls.append("find_draft")
        for draft_id, stored in self.drafts.items():
            if stored.message_id == draft.message_id:
                return draft_id
        return None


@dataclass
class MemorySecrets:
    """The Secrets protocol over a dict (the agent's keyring and owner-only files in life)."""

    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value
