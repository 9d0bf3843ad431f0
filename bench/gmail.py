"""Gmail full and incremental sync against the local fake with latency: HTTP requests and wall time.

Usage: python bench/gmail.py [--messages 20000] [--latency-ms 20] [--baseline-sample 500]

Compares touchbase's full sync (list 500 ids a page, metadata gets in batches of 50) with the
naive way (one messages.get request per message). The naive way is measured on a sample of
`--baseline-sample` messages and extrapolated linearly to all of them (it is linear: one request
per message), which keeps the bench to about a minute. Quota pacing is switched off for the
measurement (the fake enforces no quota); the time Gmail's 15,000 units/min per-user quota would
add is printed separately. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.google import FakeGoogle
from tests.fakes.google.client import settings, signed_in
from touchbase.connectors.google import gmail
from touchbase.connectors.google.batch import GMAIL_UNITS_PER_MINUTE, UNITS
from touchbase.connectors.headers import FIELDS

TARGET = 45  # messages per HTTP request, at least (issue 6)


def fill(fake: FakeGoogle, count: int) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for n in range(count):
        when = start + timedelta(minutes=97 * n)
        headers = [
            ("From", "Me <me@example.org>"),
            ("To", f"Person {n % 3000} <person{n % 3000}@example.com>"),
            ("Subject", f"Re: project {n % 700}"),
            ("Date", format_datetime(when)),
            ("Message-ID", f"<bench-{n}@example.org>"),
        ]
        if n % 4 == 0:
            headers.append(("Cc", f"team{n % 50}@example.com, boss@example.com"))
        if n % 3 == 0:
            headers.append(("In-Reply-To", f"<bench-{n - 1}@example.org>"))
        fake.gmail.add_message(headers, ("SENT",))


def api_requests(fake: FakeGoogle) -> int:
    """Top-level HTTP requests to the API (the OAuth token refresh is left out)."""
    return sum(1 for s in fake.log if not s.in_batch and s.path != "/token")


def touchbase_full(fake: FakeGoogle, folder: Path) -> tuple[int, float, int, str | None]:
    source = gmail.open_account(
        settings(fake, folder, quota_units_per_minute=10_000_000), signed_in(fake)
    )
    source.http.ensure_token()
    fake.reset_log()
    began = time.perf_counter()
    count, cursor = 0, None
    for page in source.pull(None):
        count += len(page.interactions)
        cursor = page.cursor or cursor
    return api_requests(fake), time.perf_counter() - began, count, cursor


def touchbase_incremental(fake: FakeGoogle, folder: Path, cursor: str | None) -> tuple[int, float]:
    source = gmail.open_account(settings(fake, folder), signed_in(fake))
    source.http.ensure_token()
    fake.reset_log()
    began = time.perf_counter()
    new = sum(len(page.interactions) for page in source.pull(cursor))
    assert new == 0
    return api_requests(fake), time.perf_counter() - began


def baseline(fake: FakeGoogle, folder: Path, sample: int) -> tuple[int, float]:
    """List ids, then one messages.get per message, through the same transport."""
    source = gmail.open_account(settings(fake, folder), signed_in(fake))
    source.http.ensure_token()
    users = source.service.users()
    fake.reset_log()
    began = time.perf_counter()
    ids: list[str] = []
    token = None
    while len(ids) < sample:
        listed = (
            users.messages()
            .list(userId="me", labelIds=["SENT"], maxResults=500, pageToken=token)
            .execute()
        )
        ids += [m["id"] for m in listed.get("messages", [])]
        token = listed.get("nextPageToken")
        if not token:
            break
    for msg_id in ids[:sample]:
        users.messages().get(
            userId="me", id=msg_id, format="metadata", metadataHeaders=list(FIELDS)
        ).execute()
    return api_requests(fake), time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--baseline-sample", type=int, default=500)
    args = parser.parse_args()
    n = args.messages
    with tempfile.TemporaryDirectory() as tmp, FakeGoogle(latency=args.latency_ms / 1000) as fake:
        folder = Path(tmp)
        fill(fake, n)
        full_requests, full_seconds, synced, cursor = touchbase_full(fake, folder)
        assert synced == n, f"synced {synced} of {n}"
        inc_requests, inc_seconds = touchbase_incremental(fake, folder, cursor)
        sample = min(args.baseline_sample, n)
        base_requests, base_seconds = baseline(fake, folder, sample)
        assert fake.send_attempts() == []
    lists = -(-n // 500)
    base_total_requests = lists + n
    base_total_seconds = base_seconds / base_requests * base_total_requests
    units = n * UNITS["messages.get"] + lists * UNITS["messages.list"] + UNITS["getProfile"]
    quota_floor = max(0.0, (units - GMAIL_UNITS_PER_MINUTE) / GMAIL_UNITS_PER_MINUTE * 60)
    per_request = n / full_requests
    print(f"Gmail full sync of {n:,} sent messages, {args.latency_ms:g} ms added per HTTP request")
    print(f"{'':34}{'HTTP requests':>14}{'wall time':>12}{'msgs/request':>14}")
    print(
        f"{'touchbase (batches of 50)':34}{full_requests:>14,}{full_seconds:>11.1f}s"
        f"{per_request:>14.1f}"
    )
    print(
        f"{'one request per message':34}{base_total_requests:>14,}{base_total_seconds:>11.1f}s"
        f"{n / base_total_requests:>14.1f}   (measured on {sample:,}: {base_requests:,} requests"
        f" in {base_seconds:.1f}s, extrapolated)"
    )
    print(f"{'incremental sync, nothing new':34}{inc_requests:>14,}{inc_seconds:>11.2f}s")
    print(
        f"Gmail's per-user quota ({GMAIL_UNITS_PER_MINUTE:,} units/min, {units:,} units needed) "
        f"would pace a real full sync to at least {quota_floor:.0f}s, either way."
    )
    print(
        json.dumps(
            {
                "bench": "gmail",
                "messages": n,
                "latency_ms": args.latency_ms,
                "touchbase_full": {
                    "http_requests": full_requests,
                    "seconds": round(full_seconds, 2),
                    "messages_per_request": round(per_request, 1),
                },
                "one_request_per_message": {
                    "http_requests": base_total_requests,
                    "seconds": round(base_total_seconds, 1),
                    "extrapolated_from": sample,
                    "sample_requests": base_requests,
                    "sample_seconds": round(base_seconds, 2),
                },
                "incremental_no_change": {
                    "http_requests": inc_requests,
                    "seconds": round(inc_seconds, 3),
                },
                "quota_floor_seconds": round(quota_floor),
                "target_messages_per_request": TARGET,
                "meets_target": per_request >= TARGET and inc_requests <= 2,
            }
        )
    )


if __name__ == "__main__":
    main()
