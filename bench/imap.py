"""IMAP sync benchmark: touchbase full and no-change sync vs a bare imaplib fetch, 100k mails.

    python bench/imap.py [--messages 100000] [--contacts 2000]

Starts a private Dovecot (tests/servers/dovecot.py), writes the sent messages straight into its
Maildir, warms the server's index with one bare pass, then times side by side in one run:
a bare imaplib UID FETCH of the same header fields in chunks (the floor), touchbase's full sync
as fetch + parse into interactions (the connector) and as the agent's `sync_account` into an
empty SQLite store (the whole of a first `touchbase sync`, the participants' address index
built at the end), and the no-change sync on a fresh connection, both the connector's alone and
`sync_account`'s with the store. Client CPU seconds are printed beside wall time (a loaded
machine inflates wall time). Peak RSS is the process's high-water mark. Targets (issue 16):
the first sync with the store <= 4x the bare fetch of the same run, no-change sync < 0.2 s
(issue 5: peak RSS < 300 MB); `ok` in the JSON checks exactly those. The last line is JSON.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import logging
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers.dovecot import PASSWORD, Dovecot
from touchbase.connectors.base import AccountContext
from touchbase.connectors.headers import FIELDS
from touchbase.connectors.imap.account import open_account

log = logging.getLogger("bench.imap")
CHUNK = 5000


class Secrets:
    def get(self, name: str) -> str | None:
        return PASSWORD if name == "password" else None

    def set(self, name: str, value: str) -> None:
        raise NotImplementedError


def messages(count: int, contacts: int, seed: int = 5) -> Iterator[tuple[bytes, datetime]]:
    """Sent mail shaped like a real Sent folder: a few thousand people, replies, some Cc."""
    rng = random.Random(seed)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    step = timedelta(seconds=(10 * 365 * 86400) / count)
    for n in range(count):
        when = start + step * n
        friend = rng.randrange(contacts)
        lines = [
            "From: Pat Owner <pat@example.org>",
            f"To: Friend {friend} <friend{friend}@example.com>",
        ]
        if rng.random() < 0.2:
            other = rng.randrange(contacts)
            lines.append(f'Cc: friend{other}@example.com, "Team {other % 50}" <team@example.net>')
        lines += [
            f"Subject: {'Re: ' if n % 3 == 0 else ''}Project update {n} for friend {friend}",
            f"Date: {format_datetime(when)}",
            f"Message-ID: <{n}.{friend}@mail.example.org>",
        ]
        if n % 3 == 0 and n:
            lines.append(f"In-Reply-To: <{n - 1}.x@mail.example.com>")
            lines.append(f"References: <{n - 2}.x@mail.example.com> <{n - 1}.x@mail.example.com>")
        lines += [
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "X-Mailer: bench",
            "",
            "Hello,\r\n\r\nA body of a few lines that no sync should ever read.\r\n" * 3,
        ]
        yield "\r\n".join(lines).encode(), when


CPU: dict[str, float] = {}  # this process's CPU seconds per measured step (load-independent)


def bare_fetch(server: Dovecot, user: str) -> tuple[float, int]:
    """The floor: imaplib, the same header fields plus INTERNALDATE, chunks of 5,000 UIDs."""
    started, cpu = time.perf_counter(), time.process_time()
    imap = imaplib.IMAP4(server.host, server.port, timeout=60)
    imap.login(user, PASSWORD)
    _, data = imap.select("Sent", readonly=True)
    total = int(data[0] or 0)
    fields = " ".join(f.upper() for f in FIELDS)
    got = 0
    for low in range(1, total + 1, CHUNK):
        _, rows = imap.uid(
            "FETCH",
            f"{low}:{low + CHUNK - 1}",
            f"(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ({fields})])",
        )
        got += sum(1 for row in rows if isinstance(row, tuple))
    imap.logout()
    CPU["bare"] = min(CPU.get("bare", 1e9), time.process_time() - cpu)
    return time.perf_counter() - started, got


def _settings(server: Dovecot, user: str) -> dict[str, object]:
    """The bench account's table, as a config file would give it."""
    return {
        "host": server.host,
        "port": server.port,
        "username": user,
        "security": "plain",
        "page_size": CHUNK,
        "timeout": 60,
    }


def touchbase_sync(
    server: Dovecot, user: str, cursor: str | None
) -> tuple[float, int, int, str | None]:
    """Fetch and parse only: the connector's own cost."""
    started, cpu = time.perf_counter(), time.process_time()
    account = open_account(_settings(server, user), AccountContext(name="bench", secrets=Secrets()))
    found = bad = 0
    for page in account.pull(cursor):
        found += len(page.interactions)
        bad += len(page.quarantined)
        cursor = page.cursor or cursor
    account.close()
    CPU["touchbase" if found else "no-change"] = time.process_time() - cpu
    return time.perf_counter() - started, found, bad, cursor


def stored_sync(server: Dovecot, user: str, folder: Path) -> tuple[float, int, int, Path]:
    """The whole of `touchbase sync` for the account into an empty SQLite store, page by page.
    Returns the database too."""
    from touchbase.agent.pipeline.db import open_database, sqlite_url
    from touchbase.agent.pipeline.store import Store
    from touchbase.agent.pipeline.sync import sync_account

    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "touchbase.db"
    store = Store(open_database(sqlite_url(database)))
    account_id = store.ensure_account("bench", "imap", datetime.now(UTC))
    started, cpu = time.perf_counter(), _cpu()
    source = open_account(_settings(server, user), AccountContext(name="bench", secrets=Secrets()))
    result = sync_account(store, account_id, "bench", source)
    assert result.status == "ok", result
    store.sessions.kw["bind"].dispose()
    CPU["stored"] = _cpu() - cpu
    return time.perf_counter() - started, result.stored, result.quarantined, database


def _cpu() -> float:
    """This process's CPU seconds, every thread, plus its reaped children's (a pull worker)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def stored_no_change(server: Dovecot, user: str, database: Path) -> float:
    """`sync_account` again on the synced store: a fresh connection finds nothing new."""
    from touchbase.agent.pipeline.db import open_database, sqlite_url
    from touchbase.agent.pipeline.store import Store
    from touchbase.agent.pipeline.sync import sync_account

    store = Store(open_database(sqlite_url(database)))
    account_id = store.ensure_account("bench", "imap", datetime.now(UTC))
    started = time.perf_counter()
    source = open_account(_settings(server, user), AccountContext(name="bench", secrets=Secrets()))
    result = sync_account(store, account_id, "bench", source)
    elapsed = time.perf_counter() - started
    assert result.status == "ok" and result.stored == 0, result
    store.sessions.kw["bind"].dispose()
    return elapsed


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument(
        "--dir",
        default="/dev/shm" if os.path.isdir("/dev/shm") else "/tmp",
        help="where the server and the database live (tmpfs keeps disk noise out)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    server = Dovecot(root=Path(tempfile.mkdtemp(prefix="touchbase-bench-", dir=args.dir))).start()
    try:
        user = server.add_user()
        started = time.perf_counter()
        count = server.write_messages(user, "Sent", messages(args.messages, args.contacts))
        fill = time.perf_counter() - started
        print(f"wrote {count} messages into Maildir in {fill:.2f}s")

        warm, _ = bare_fetch(server, user)  # builds Dovecot's index and cache: both paths warm
        print(f"warm-up bare fetch (index build) {warm:.2f}s")
        bare1, got = bare_fetch(server, user)
        full, found, bad, cursor = touchbase_sync(server, user, None)
        bare2, _ = bare_fetch(server, user)
        stored_s, stored, quarantined, database = stored_sync(server, user, server.root / "w")
        bare3, _ = bare_fetch(server, user)
        bare = min(bare1, bare2, bare3)
        nochange = min(touchbase_sync(server, user, cursor)[0] for _ in range(3))
        nochange_stored = min(stored_no_change(server, user, database) for _ in range(3))
        assert got == count and found + bad == count, (got, found, bad, count)
        ratio = full / bare
        stored_ratio = stored_s / bare
        rss = peak_rss_mb()
        runs = f"runs {bare1:.2f}, {bare2:.2f}, {bare3:.2f}"
        print(f"bare imaplib fetch      {bare:.2f}s ({got} messages; {runs})")
        print(f"touchbase fetch+parse   {full:.2f}s ({found} interactions, {bad} quarantined)")
        print(f"ratio fetch+parse/bare  {ratio:.2f}x (the connector alone)")
        cpu_bare, cpu_tb = CPU["bare"], CPU["touchbase"]
        print(f"client CPU bare / tb    {cpu_bare:.2f}s / {cpu_tb:.2f}s (server CPU not counted)")
        print(
            f"touchbase sync + SQLite {stored_s:.2f}s ({stored} stored, {quarantined} quarantined)"
        )
        print(f"ratio with store/bare   {stored_ratio:.2f}x (issue 16's target: <= 4x)")
        cpu_stored = CPU["stored"]
        print(
            f"client CPU bare / sync+store {cpu_bare:.2f}s / {cpu_stored:.2f}s "
            f"({cpu_stored / cpu_bare:.2f}x; a loaded machine inflates wall time, not this)"
        )
        print(f"no-change sync          {nochange * 1000:.1f} ms (connector; target < 200 ms)")
        print(f"no-change sync + store  {nochange_stored * 1000:.1f} ms (target < 200 ms)")
        print(f"peak RSS                {rss:.0f} MB (target < 300 MB)")
        result = {
            "bench": "imap",
            "messages": count,
            "bare_fetch_s": round(bare, 3),
            "full_sync_s": round(full, 3),
            "ratio": round(ratio, 2),
            "stored_sync_s": round(stored_s, 3),
            "stored_ratio": round(stored_ratio, 2),
            "client_cpu_bare_s": round(cpu_bare, 3),
            "client_cpu_sync_s": round(cpu_tb, 3),
            "client_cpu_stored_s": round(cpu_stored, 3),
            "no_change_s": round(nochange, 4),
            "no_change_stored_s": round(nochange_stored, 4),
            "peak_rss_mb": round(rss, 1),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            # Issue 16's targets: the first sync (fetch + parse + store) against the bare fetch
            # of this run, and the no-change sync with and without the store; issue 5's memory.
            "ok": stored_ratio <= 4 and max(nochange, nochange_stored) < 0.2 and rss < 300,
        }
        print(json.dumps(result))
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
