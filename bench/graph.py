"""Outlook connector benchmark: full and no-change delta sync of 20,000 sent messages.

Runs against the local fake Graph (tests/fakes/graph) with a fixed latency added to every request
(default 20 ms, standing in for the round trip to Microsoft). Prints requests and wall time per
sync and page size; the last line is JSON.

    python bench/graph.py [--messages 20000] [--latency 0.02] [--page-sizes 200,1000]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import sys
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import NOW, MemorySecrets
from touchbase.connectors.base import AccountContext
from touchbase.connectors.graph.account import open_account


def serve(messages: int, latency: float, conn: Connection) -> None:
    """The fake Graph in its own process, so it does not share the connector's GIL."""
    with FakeGraph(latency=latency) as fake:
        began = time.perf_counter()
        fill(fake, messages)
        conn.send((fake.url, time.perf_counter() - began))
        while (command := conn.recv()) != "stop":
            conn.send(len(fake.log) if command == "count" else fake.send_attempts())


def fill(fake: FakeGraph, messages: int) -> None:
    start = NOW - timedelta(days=365)
    for n in range(messages):
        fake.mailbox.add_message(
            "sentitems",
            sender="me@example.org",
            to=(f"person{n % 1500}@example.com",),
            cc=(f"team{n % 40}@example.com",) if n % 3 == 0 else (),
            subject=f"Message {n}",
            date=start + timedelta(minutes=25 * n),
            message_id=f"<bench-{n}@example.org>",
        )


def served(conn: Connection) -> int:
    conn.send("count")
    return int(conn.recv())


def sync(
    url: str, conn: Connection, page_size: int, cursor: str | None
) -> tuple[dict[str, Any], str | None]:
    account = open_account(
        {"client_id": "bench", "graph_url": url, "page_size": page_size},
        AccountContext("bench", MemorySecrets()),
        token=lambda: "test-token",
    )
    account.now = lambda: NOW
    before = served(conn)
    items = pages = 0
    began, cpu = time.perf_counter(), time.process_time()
    for page in account.pull(cursor):
        pages += 1
        items += len(page.interactions)
        cursor = page.cursor
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    account.close()
    result = {
        "requests": served(conn) - before,
        "wall_s": round(wall, 3),
        "client_cpu_s": round(cpu, 3),  # the connector's own work (the machine may be shared)
        "pages": pages,
        "interactions": items,
    }
    return result, cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--page-sizes", default="200,1000")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    runs: dict[str, Any] = {}
    conn, child_end = multiprocessing.Pipe()
    child = multiprocessing.Process(target=serve, args=(args.messages, args.latency, child_end))
    child.start()
    try:
        url, fill_s = conn.recv()
        print(f"filled {args.messages} sent messages in {fill_s:.2f}s")
        for size in (int(s) for s in args.page_sizes.split(",")):
            full, cursor = sync(url, conn, size, None)
            again, _ = sync(url, conn, size, cursor)
            assert full["interactions"] == args.messages, full
            assert again["interactions"] == 0, again
            runs[f"page_size_{size}"] = {"full": full, "no_change": again}
            print(
                f"page size {size:>5}: full sync {full['requests']:>4} requests "
                f"{full['wall_s']:>7.2f}s ({args.messages / full['wall_s']:,.0f} msg/s, "
                f"client CPU {full['client_cpu_s']:.2f}s); "
                f"no-change sync {again['requests']} requests {again['wall_s']:.3f}s"
            )
        conn.send("sends")
        assert conn.recv() == [], "a send endpoint was requested"
    finally:
        conn.send("stop")
        child.join(10)
    print(
        json.dumps(
            {
                "bench": "graph",
                "messages": args.messages,
                "latency_s": args.latency,
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "runs": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
