"""Import benchmark: a 100,000-message mbox through touchbase vs the stdlib's header parsing.

Usage: python bench/import.py [--messages N] [--keep DIR]

(a) baseline: `mailbox.mbox` + `email.parser.BytesHeaderParser`, reading the header fields
    touchbase reads, nothing stored;
(b) touchbase: `connectors.files.source.FileSource` pages stored into a fresh SQLite database by
    `touchbase.agent.pipeline.sync.sync_account` (the code path `touchbase import` uses).
Each runs in its own child process so its peak RSS is its own (touchbase's includes the worker
process that parses the next page while the last is stored: the sum of both peaks). CPU time
is printed beside wall time. Targets: (b) <= 1.5x (a) wall time, peak RSS < 300 MB. The last
line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIELDS = ("From", "To", "Cc", "Bcc", "Date", "Message-ID", "In-Reply-To", "References", "Subject")
_NAMES = [
    "Ann",
    "Bob",
    "Chen",
    "Dana",
    "Eli",
    "Fay",
    "Gus",
    "Hana",
    "Ivo",
    "Jo",
    "Kai",
    "Lea",
    "Max",
    "Nia",
    "Oto",
    "Pia",
    "Raj",
    "Sol",
    "Tia",
    "Uma",
]


def generate(path: Path, count: int, seed: int = 1) -> None:
    """A Takeout-like mbox: realistic header blocks (Received, MIME, threads), short bodies."""
    rng = random.Random(seed)
    people = [
        f"{n} {m}son <{n.lower()}.{m.lower()}@corp{i % 40}.example>"
        for i, (n, m) in enumerate((a, b) for a in _NAMES for b in _NAMES)
    ]
    start = datetime(2019, 1, 1, tzinfo=UTC)
    recent: list[str] = []
    with path.open("wb", buffering=1 << 20) as f:
        for n in range(count):
            when = start + timedelta(minutes=n * 7 + rng.randint(0, 5))
            sender = "Owner Person <owner@home.example>" if n % 3 == 0 else rng.choice(people)
            to = ", ".join(rng.sample(people, rng.choice((1, 1, 1, 2, 3, 5))))
            mid = f"<{n}.{rng.getrandbits(48):x}@mail.example>"
            lines = [
                f"From {rng.getrandbits(60)}@xxx {when.strftime('%a %b %d %H:%M:%S +0000 %Y')}",
                f"X-GM-THRID: {rng.getrandbits(60)}",
                f"X-Gmail-Labels: {'Sent' if n % 3 == 0 else 'Inbox,Category Personal'}",
                "Delivered-To: owner@home.example",
                f"Received: from mx{n % 9}.mail.example (mx.mail.example [10.0.{n % 250}.1])",
                f"\tby smtp.home.example with ESMTPS id {rng.getrandbits(40):x}",
                f"\tfor <owner@home.example>; {format_datetime(when)}",
                f"Received: by 2002:a05:{n % 999:x} with SMTP id {rng.getrandbits(32):x};"
                f" {format_datetime(when)}",
                f"From: {sender}",
                f"To: {to}",
            ]
            if n % 4 == 0:
                lines.append(f"Cc: {rng.choice(people)}")
            lines += [
                f"Subject: {'Re: ' if recent and n % 2 else ''}Project update {n % 977}",
                f"Date: {format_datetime(when)}",
                f"Message-ID: {mid}",
            ]
            if recent and n % 2:
                parent = rng.choice(recent)
                lines += [f"In-Reply-To: {parent}", f"References: {parent}"]
            lines += [
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=UTF-8",
                "Content-Transfer-Encoding: 7bit",
                "X-Mailer: bench 1.0",
                "",
                f"Hello, this is message {n}.",
                ">From the team: thanks (quoted, as mboxrd writers do).",
                "",
                "",
            ]
            recent = ([*recent, mid])[-50:]
            f.write("\n".join(lines).encode())


def _peak_mb() -> float:
    """This process's peak RSS plus its largest child's (touchbase's file-reading worker):
    both are alive at once, so their sum bounds what the import needs."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024  # KiB on Linux


def _cpu_s() -> float:
    """CPU time of this process and its reaped children (the worker), user + system."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def child_baseline(path: Path) -> dict[str, float]:
    import mailbox
    from email.parser import BytesHeaderParser

    parser = BytesHeaderParser()
    began = time.perf_counter()
    box = mailbox.mbox(str(path), create=False)
    count = 0
    for key in box.iterkeys():
        with box.get_file(key) as f:
            message = parser.parse(f)  # type: ignore[arg-type]
        values = [message.get_all(name) for name in FIELDS]
        count += bool(values)
    box.close()
    return {
        "seconds": time.perf_counter() - began,
        "cpu_s": _cpu_s(),
        "peak_mb": _peak_mb(),
        "count": count,
    }


def child_touchbase(path: Path, db: Path) -> dict[str, float]:
    from touchbase.agent.pipeline.db import open_database, sqlite_url
    from touchbase.agent.pipeline.store import Store
    from touchbase.agent.pipeline.sync import sync_account
    from touchbase.connectors.files.source import FileSource

    began = time.perf_counter()
    store = Store(open_database(sqlite_url(db)))
    account = store.ensure_account("import:bench", "files", datetime.now(UTC))
    result = sync_account(store, account, "import:bench", FileSource(path))
    seconds = time.perf_counter() - began
    assert result.status == "ok", result
    return {
        "seconds": seconds,
        "cpu_s": _cpu_s(),
        "peak_mb": _peak_mb(),
        "count": result.stored,
        "pages": result.pages,
        "quarantined": result.quarantined,
    }


def _run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="alternate baseline and touchbase this many times and keep each one's best run, so "
        "a burst of load on a shared machine does not decide the ratio (default 2)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        figures = (
            child_baseline(Path(rest[0]))
            if kind == "baseline"
            else child_touchbase(Path(rest[0]), Path(rest[1]))
        )
        print(json.dumps(figures))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        mbox = folder / "bench.mbox"
        began = time.perf_counter()
        generate(mbox, args.messages)
        size_mb = mbox.stat().st_size / 1e6
        print(
            f"generated {args.messages} messages, {size_mb:.0f} MB, "
            f"in {time.perf_counter() - began:.1f} s"
        )
        db = folder / "bench.sqlite"
        baselines, runs = [], []
        for round_ in range(1, max(args.rounds, 1) + 1):
            baseline = _run_child("baseline", str(mbox))
            print(
                f"round {round_}: baseline mailbox.mbox + BytesHeaderParser: "
                f"{baseline['seconds']:.2f} s (CPU {baseline['cpu_s']:.2f} s), "
                f"peak {baseline['peak_mb']:.0f} MB, "
                f"{baseline['count']} messages"
            )
            db.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            ours = _run_child("touchbase", str(mbox), str(db))
            print(
                f"round {round_}: touchbase import into a fresh SQLite: {ours['seconds']:.2f} s "
                f"(CPU {ours['cpu_s']:.2f} s, parent and worker), peak {ours['peak_mb']:.0f} MB, "
                f"{ours['count']} stored in {ours['pages']} pages"
            )
            baselines.append(baseline)
            runs.append(ours)
        baseline = min(baselines, key=lambda r: r["seconds"])
        ours = min(runs, key=lambda r: r["seconds"])
        ratio = ours["seconds"] / baseline["seconds"]
        ok = ratio <= 1.5 and ours["peak_mb"] < 300 and ours["count"] == args.messages
        print(f"ratio {ratio:.2f}x (target <= 1.5x), peak {ours['peak_mb']:.0f} MB (< 300 MB)")
        print(
            json.dumps(
                {
                    "bench": "import",
                    "messages": args.messages,
                    "mbox_mb": round(size_mb, 1),
                    "baseline_s": round(baseline["seconds"], 3),
                    "touchbase_s": round(ours["seconds"], 3),
                    "baseline_cpu_s": round(baseline["cpu_s"], 3),
                    "touchbase_cpu_s": round(ours["cpu_s"], 3),
                    "ratio": round(ratio, 3),
                    "baseline_peak_mb": round(baseline["peak_mb"], 1),
                    "touchbase_peak_mb": round(ours["peak_mb"], 1),
                    "stored": ours["count"],
                    "targets_met": ok,
                }
            )
        )


if __name__ == "__main__":
    main()
