"""Graph delta rounds for several collections, behind one cursor.

A delta round starts at a collection's `/delta` URL, follows `@odata.nextLink` page by page and
ends with an `@odata.deltaLink`, the start of the next round
(https://learn.microsoft.com/graph/delta-query-overview). The cursor is JSON holding, per stream,
the link to request next:

    {"v": 1, "streams": {"sent": {"kind": "next" | "delta", "link": URL, ...}, ...}}

Mid-round pages carry the nextLink of the page after them, so a restart resumes exactly after the
last stored page; the last page carries the deltaLink. When Graph no longer knows a link (410 Gone,
syncStateNotFound) that stream starts one fresh round (at the 410's Location when it names one)
and its first page is marked `resync`; for the calendar that round sweeps (connectors/base.py
Sweep): meetings in its window it does not list again are tombstoned when it completes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from touchbase.connectors.base import InteractionRecord, Page, Quarantined, Sweep
from touchbase.connectors.errors import BadRecord, ConnectorError, CursorExpired
from touchbase.connectors.graph.http import GraphClient

log = logging.getLogger(__name__)
CURSOR_VERSION = 1


@dataclass(frozen=True)
class Round:
    """Where a fresh round starts: a path or URL, its query and any state to keep with it."""

    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stream:
    """One delta-tracked collection (a mail folder, the calendar view).

    `fresh` builds a new round; `stale` says whether a saved deltaLink should be dropped for a
    fresh round (the calendar window moved on); `convert` maps one resource.
    """

    name: str
    fresh: Callable[[], Round]
    convert: Callable[[Mapping[str, Any]], InteractionRecord]
    headers: Mapping[str, str] = field(default_factory=dict)
    stale: Callable[[Mapping[str, str]], bool] = lambda saved: False
    # The `folder` of its records when a resync must sweep (meetings); None for mail, which is
    # never tombstoned. A round's window is its state's "start" / "end".
    sweep_folder: str | None = None
    # A second look at one converted resource (mail/bulk.py: list headers of "Other" mail).
    refine: Callable[[Mapping[str, Any], InteractionRecord], InteractionRecord] | None = None


def read_cursor(cursor: str | None) -> tuple[dict[str, dict[str, str]], bool]:
    """The per-stream state, and whether the cursor was unusable (which means a full resync)."""
    if cursor is None:
        return {}, False
    try:
        state = json.loads(cursor)
        streams = state["streams"]
        if state.get("v") != CURSOR_VERSION or not isinstance(streams, dict):
            raise ValueError("unknown cursor version")
        return {str(k): dict(v) for k, v in streams.items()}, False
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("unreadable Graph cursor: starting a full resync")
        return {}, True


def pull_streams(client: GraphClient, streams: list[Stream], cursor: str | None) -> Iterator[Page]:
    """Every stream's pages in turn; each page's cursor covers all streams.

    The first request of every stream goes out at once (a no-change sync costs one round trip,
    not one per stream), and each stream fetches one page ahead while the current one is mapped
    and stored. The client's gate keeps it to 4 requests in flight per mailbox.
    """
    state, unusable = read_cursor(cursor)
    pool = ThreadPoolExecutor(max_workers=client.max_concurrency, thread_name_prefix="graph")
    try:
        starts = [_start(stream, state.get(stream.name)) for stream in streams]
        firsts = [
            pool.submit(client.get, url, params=params or None, headers=stream.headers)
            for stream, (url, params, _) in zip(streams, starts, strict=True)
        ]
        for stream, start, first in zip(streams, starts, firsts, strict=True):
            if unusable and stream.sweep_folder:  # an unreadable cursor resyncs every stream
                start[2]["sweep"] = "started"
            yield from _pull_one(client, pool, stream, state, start, first, resync=unusable)
            unusable = False  # the resync is recorded once, on the first page
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


Start = tuple[str, dict[str, str], dict[str, str]]  # url, query, state kept with the links


def _start(stream: Stream, saved: dict[str, str] | None) -> Start:
    if saved is None or (saved.get("kind") == "delta" and stream.stale(saved)):
        return _fresh(stream)
    return saved["link"], {}, {k: v for k, v in saved.items() if k not in ("kind", "link")}


def _fresh(stream: Stream) -> Start:
    start = stream.fresh()
    return start.url, dict(start.params), dict(start.extra)


def _pull_one(
    client: GraphClient,
    pool: ThreadPoolExecutor,
    stream: Stream,
    state: dict[str, dict[str, str]],
    start: Start,
    first: Future[dict[str, Any]],
    *,
    resync: bool,
) -> Iterator[Page]:
    url, params, extra = start
    ahead: Future[dict[str, Any]] | None = first
    restarted = False
    while True:
        try:
            if ahead is not None:
                fetching, ahead = ahead, None
                body = fetching.result()
            else:
                body = client.get(url, params=params or None, headers=stream.headers)
        except CursorExpired as exc:
            if restarted:
                # A fresh round expiring too is not "the cursor got old": fail the run
                # rather than loop (DESIGN.md contract 2, lieer's lesson).
                raise ConnectorError(f"{stream.name}: a fresh delta round expired: {exc}") from exc
            log.warning("%s: delta state expired (%s); one full resync", stream.name, exc)
            restarted, resync = True, True
            url, params, extra = _restart(client, stream, getattr(exc, "location", None))
            if stream.sweep_folder:
                extra["sweep"] = "started"
            continue
        next_link = body.get("@odata.nextLink")
        delta_link = body.get("@odata.deltaLink")
        sweeping = extra.pop("sweep", None)
        if isinstance(next_link, str) and next_link:
            # An empty page may still carry a nextLink: "there are more pages of data to
            # retrieve in the session, even if the current response contains an empty result"
            # (https://learn.microsoft.com/graph/delta-query-overview).
            kept = {**extra, "sweep": "on"} if sweeping else extra
            state[stream.name] = {"kind": "next", "link": next_link, **kept}
            ahead = pool.submit(client.get, next_link, headers=stream.headers)
        elif isinstance(delta_link, str) and delta_link:
            state[stream.name] = {"kind": "delta", "link": delta_link, **extra}
        else:
            raise ConnectorError(f"{stream.name}: a delta page with neither link")
        interactions, quarantined, removed = _records(stream, body)
        yield Page(
            interactions=interactions,
            quarantined=quarantined,
            removed=removed,
            cursor=json.dumps({"v": CURSOR_VERSION, "streams": state}, sort_keys=True),
            resync=resync,
            sweep=_sweep(stream, extra, sweeping, done=state[stream.name]["kind"] == "delta"),
        )
        if sweeping:
            extra["sweep"] = "on"
        resync = False
        if state[stream.name]["kind"] == "delta":
            return
        url, params = state[stream.name]["link"], {}


def _restart(client: GraphClient, stream: Stream, location: str | None) -> Start:
    """Where a resync starts: the 410's Location when Graph gave one on its own host
    (https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset), else a
    fresh round. A calendar Location keeps the window it names."""
    url, params, extra = _fresh(stream)
    if not location:
        return url, params, extra
    link, base = urlsplit(client.url(location)), urlsplit(client.base_url)
    if (link.scheme, link.netloc) != (base.scheme, base.netloc):
        log.warning("%s: ignoring a Location on another host: %s", stream.name, link.netloc)
        return url, params, extra
    query = dict(parse_qsl(link.query))
    for key, name in (("startDateTime", "start"), ("endDateTime", "end")):
        if key in query and name in extra:
            extra[name] = query[key]
    return link.geturl(), {}, extra


def _sweep(
    stream: Stream, extra: Mapping[str, str], sweeping: str | None, *, done: bool
) -> Sweep | None:
    """The page's Sweep marker when this round is a resync of a stream with meetings."""
    if not sweeping or stream.sweep_folder is None:
        return None
    return Sweep(
        stream.name,
        stream.sweep_folder,
        since=_moment(extra.get("start")),
        until=_moment(extra.get("end")),
        started=sweeping == "started",
        done=done,
    )


def _moment(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _records(
    stream: Stream, body: Mapping[str, Any]
) -> tuple[list[InteractionRecord], list[Quarantined], list[str]]:
    """A page's interactions, quarantined records and tombstoned ids."""
    interactions: list[InteractionRecord] = []
    quarantined: list[Quarantined] = []
    removed: list[str] = []
    items = body.get("value")
    if not isinstance(items, list):
        raise ConnectorError(f"{stream.name}: a delta page without a value array")
    for item in items:
        if not isinstance(item, dict):
            quarantined.append(Quarantined("", f"{stream.name}: not an object"))
            continue
        item_id = item.get("id")
        if "@removed" in item:
            if isinstance(item_id, str) and item_id:
                removed.append(item_id)
            continue
        try:
            record = stream.convert(item)
            interactions.append(stream.refine(item, record) if stream.refine else record)
        except BadRecord as exc:
            quarantined.append(Quarantined(str(item_id or ""), f"{stream.name}: {exc}"))
    return interactions, quarantined, removed
