"""CalDAV client benchmark: touchbase's own layer (requests + ElementTree) vs the caldav library.

    python bench/dav.py [--events 1000] [--page-size 250]

Starts a private Radicale (tests/servers/radicale.py), fills one calendar with one PUT of the
whole calendar (TESTING.md), then times, each on a fresh client: a first sync (discovery, the
list of members with their ETags, every event's data) and a no-change sync, both ways.
touchbase: `CalDavSource.pull(None)` then `pull(cursor)` (sync-collection + calendar-multiget
pages, recurrences expanded). caldav: principal -> calendars -> `objects_by_sync_token(
load_objects=True)`, then `objects_by_sync_token(token)` (its documented incremental sync). HTTP
requests are counted on the server's side of a counting proxy. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.connectors.dav_world import Secrets
from tests.servers.radicale import Radicale
from touchbase.connectors.base import AccountContext
from touchbase.connectors.dav import caldav as ours

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def calendar(events: int) -> str:
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"]
    for n in range(events):
        start = NOW - timedelta(hours=7 * n)
        stamp = start.strftime("%Y%m%dT%H%M%SZ")
        end = (start + timedelta(minutes=30)).strftime("%Y%m%dT%H%M%SZ")
        parts.append(
            f"BEGIN:VEVENT\r\nUID:ev{n}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{stamp}\r\n"
            f"DTEND:{end}\r\nSUMMARY:Meeting {n}\r\nORGANIZER:mailto:me@example.com\r\n"
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:p{n % 97}@example.com\r\nEND:VEVENT\r\n"
        )
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)


def touchbase_sync(server: Radicale, page_size: int) -> dict[str, float]:
    context = AccountContext("bench", Secrets(password="pw"))
    table = {"url": server.url, "username": "alice", "page_size": page_size}
    started = time.perf_counter()
    source = ours.open_account(table, context, now=lambda: NOW)
    pages = list(source.pull(None))
    full = time.perf_counter() - started
    meetings = sum(len(p.interactions) for p in pages)
    requests = source.client.requests
    cursor = pages[-1].cursor
    source.close()
    started = time.perf_counter()
    source = ours.open_account(table, context, now=lambda: NOW)
    again = sum(len(p.interactions) for p in source.pull(cursor))
    unchanged = time.perf_counter() - started
    return {
        "full_s": round(full, 3),
        "no_change_s": round(unchanged, 3),
        "meetings": meetings,
        "requests": requests,
        "no_change_meetings": again,
        "no_change_requests": source.client.requests,
    }


def library_sync(server: Radicale) -> dict[str, float]:
    import caldav

    started = time.perf_counter()
    client = caldav.DAVClient(url=server.url, username="alice", password="pw")
    (cal,) = client.principal().calendars()
    objects = cal.objects_by_sync_token(load_objects=True)
    data = [o.data for o in objects]
    full = time.perf_counter() - started
    token = objects.sync_token
    started = time.perf_counter()
    client = caldav.DAVClient(url=server.url, username="alice", password="pw")
    (cal,) = client.principal().calendars()
    changed = list(cal.objects_by_sync_token(sync_token=token, load_objects=True))
    unchanged = time.perf_counter() - started
    return {
        "full_s": round(full, 3),
        "no_change_s": round(unchanged, 3),
        "resources": len(data),
        "no_change_resources": len(changed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--page-size", type=int, default=250)
    args = parser.parse_args()
    server = Radicale({"alice": "pw"})
    try:
        cal = server.make_calendar("work")
        started = time.perf_counter()
        server.put_collection(cal, calendar(args.events))
        fill = time.perf_counter() - started
        # Radicale builds its item cache on the first read of a filled collection: one pass
        # each way warms it, then the order is swapped for the timed passes.
        touchbase_sync(server, args.page_size)
        library_sync(server)
        library = library_sync(server)
        touchbase = touchbase_sync(server, args.page_size)
    finally:
        server.stop()
    result = {"events": args.events, "fill_s": round(fill, 2), "touchbase": touchbase}
    result["caldav_library"] = library
    print(json.dumps(result))


if __name__ == "__main__":
    main()
