"""One sync engine for CalDAV and CardDAV: per collection, sync-collection then multiget pages.

Cursor (JSON, the connector's alone): `{"v": 1, "c": {collection: state}}`, where a collection's
state holds `t`, the sync token of its last complete sync (None before the first), and `i`, per
member path what the connector keeps of it (its ETag first). A page carries the state with the
members it fetched and the old token; only the collection's last page carries the new token.
So a kill mid-sync repeats the same change list from the old token, and members whose ETag is
already stored are not fetched again: nothing lost, nothing doubled.

An expired token (403/409 DAV:valid-sync-token, RFC 6578 3.2) resyncs that collection once from
an empty token and reconciles: a member the full listing no longer names is forgotten (its
meetings tombstoned) on the collection's last page. A collection gone from the server (deleted,
or no longer found by discovery) is forgotten the same way. A member whose ETag is unchanged is
not fetched, so a resync costs one listing and the changed members. A server without
sync-collection (RFC 3253 DAV:supported-report refused, or 501) is listed whole by PROPFIND each
time, its token kept as "", and reconciled the same way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from touchbase.connectors.base import ContactRecord, InteractionRecord, Page, Quarantined
from touchbase.connectors.dav.collection import Kind, discover, multiget, sync_collection
from touchbase.connectors.dav.http import DavClient, Gone
from touchbase.connectors.errors import CursorExpired

log = logging.getLogger(__name__)

VERSION = 1
State = dict[str, Any]  # one collection's part of the cursor


@dataclass
class Converted:
    """What one fetched member became, and what the cursor keeps of it (`item`, ETag first)."""

    item: list[Any]
    interactions: list[InteractionRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)


def load(cursor: str | None) -> tuple[dict[str, State], bool]:
    """The collections' states, and whether the cursor was unreadable (a resync then)."""
    if cursor is None:
        return {}, False
    try:
        value = json.loads(cursor)
        if value.get("v") == VERSION and isinstance(value.get("c"), dict):
            return value["c"], False
    except (ValueError, AttributeError):
        pass
    return {}, True


def dump(states: dict[str, State]) -> str:
    return json.dumps({"v": VERSION, "c": states}, separators=(",", ":"), sort_keys=True)


class DavSource:
    """A Source over every collection of one kind that the account's URL leads to."""

    kind: Kind

    def __init__(self, client: DavClient, *, account: str, page_size: int) -> None:
        self.client = client
        self.account = account
        self.page_size = page_size

    # -- what CalDAV and CardDAV do differently --------------------------------------------------

    def begin(self) -> None:
        """Called once at the start of each pull (CalDAV fixes its window here)."""

    def convert(self, state: State, path: str, etag: str, data: str) -> Converted:
        raise NotImplementedError

    def forget(self, path: str, item: list[Any]) -> list[str]:
        """The source ids to tombstone for a member that is gone."""
        return []

    def refresh(self, state: State) -> list[str]:
        """Unchanged members to fetch again all the same (CalDAV: a window moved on)."""
        return []

    def finish(self, state: State) -> None:
        """The collection synced completely (CalDAV records its window's end)."""

    # -- the engine -------------------------------------------------------------------------------

    def pull(self, cursor: str | None) -> Iterator[Page]:
        states, unreadable = load(cursor)
        if unreadable:
            log.warning("account %s: unreadable cursor; one full resync", self.account)
        self.begin()
        collections = discover(self.client, self.kind)
        resync = unreadable
        for path in sorted(set(states) - set(collections)):
            log.info("account %s: %s %s is gone; forgetting it", self.account, self.kind.name, path)
            yield Page(removed=self._forget_all(states.pop(path)), cursor=dump(states))
        yielded = False
        for path in collections:
            for page in self._collection(path, states, resync):
                resync = resync and not page.resync
                yielded = True
                yield page
        if not yielded:
            yield Page(cursor=dump(states), resync=resync)

    def close(self) -> None:
        self.client.close()

    def _forget_all(self, state: State) -> list[str]:
        return [i for path, item in state.get("i", {}).items() for i in self.forget(path, item)]

    def _collection(self, path: str, states: dict[str, State], resync: bool) -> Iterator[Page]:
        state = states.setdefault(path, {"t": None, "i": {}})
        token = state["t"]
        try:
            try:
                changes = sync_collection(self.client, path, token or None)
            except CursorExpired:
                log.info("account %s: %s: sync token expired; one full resync", self.account, path)
                changes = sync_collection(self.client, path, None)
                resync = True
        except Gone:
            log.info("account %s: %s %s is gone; forgetting it", self.account, self.kind.name, path)
            yield Page(removed=self._forget_all(states.pop(path)), cursor=dump(states))
            return
        items: dict[str, list[Any]] = state["i"]
        full = resync or not token  # "": a server without sync-collection lists all each time
        if full:  # reconcile: what the whole listing no longer names is gone
            gone = [p for p in items if p not in changes.changed]
        else:
            gone = [p for p in changes.removed if p in items]
        todo = [p for p, tag in changes.changed.items() if not tag or items.get(p, [""])[0] != tag]
        planned = set(todo) | set(gone)
        todo += [p for p in self.refresh(state) if p in items and p not in planned]
        for start in range(0, len(todo), self.page_size):
            batch = todo[start : start + self.page_size]
            found = multiget(self.client, path, self.kind, batch)
            page = Page(cursor=None, resync=resync)
            for member in batch:
                got = found.get(member)
                if got is None:  # deleted since it was listed
                    if member in items and member not in gone:
                        gone.append(member)
                    continue
                converted = self.convert(state, member, *got)
                old = set(self.forget(member, items.get(member, [""])))
                page.removed.extend(sorted(old - set(self.forget(member, converted.item))))
                items[member] = converted.item
                page.interactions.extend(converted.interactions)
                page.contacts.extend(converted.contacts)
                page.quarantined.extend(converted.quarantined)
            yield _with_cursor(page, dump(states))
            resync = False
        removed = [i for member in gone for i in self.forget(member, items.pop(member, [""]))]
        state["t"] = changes.token
        self.finish(state)
        yield Page(removed=removed, cursor=dump(states), resync=resync)


def _with_cursor(page: Page, cursor: str) -> Page:
    return Page(
        interactions=page.interactions,
        cursor=cursor,
        quarantined=page.quarantined,
        removed=page.removed,
        resync=page.resync,
        contacts=page.contacts,
    )


def describe_cursor(cursor: str | None) -> list[str]:
    """One line per collection for `touchbase status`: what the cursor holds, no event data."""
    states, unreadable = load(cursor)
    if unreadable:
        return ["unreadable cursor: the next sync lists every collection again"]
    lines = []
    for path in sorted(states):
        state = states[path]
        members = len(state.get("i", {}))
        synced = "synced" if state.get("t") is not None else "first sync not finished"
        lines.append(f"{path}: {members} entries, {synced}")
    return lines or ["no collection synced yet"]
