"""Hostile-input benchmark (issue 13): each hostile file through `touchbase import`, under limits.

Usage: python bench/hostile.py [--keep DIR] [--only NAME]

For every file in HOSTILE (name, writer, baseline), written fresh into a temporary folder:
(a) baseline: a plain reading of the same file by the obvious library (for calendars,
    icalendar's `Calendar.from_ical(data, multiple=True)`, nothing expanded or stored);
(b) touchbase: `python -m touchbase.agent import FILE --json` into a fresh SQLite database
    (tests/hostile's run_import: the real console entry point).
Both run in a child process with RLIMIT_AS 1 GiB and a 60 s timeout (tests/hostile.run_limited);
wall time and peak RSS (wait4's ru_maxrss: the largest of the process and its workers) are
printed side by side, with CPU seconds (user + system; on a shared machine wall time also
measures the neighbours). The last line printed is JSON with `"ok": true` when every file imported
within 60 s and 1 GiB with no traceback.

To add a kind of file (mail, vCards), append to HOSTILE: a writer `(path, scale) -> None` and a
baseline snippet run as `python -c SNIPPET PATH`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile import GIB, run_import, run_limited
from tests.hostile import test_calendars as calendars
from tests.hostile import test_mail as mail

LIMIT_SECONDS = 60.0
# Mail: the stdlib reading every message of the mbox, or the one message file, whole.
MAILBOX = "import sys, mailbox; sum(1 for _ in mailbox.mbox(sys.argv[1]))"
EML = "import sys, email; email.message_from_binary_file(open(sys.argv[1], 'rb'))"
ICALENDAR = (
    "import sys, icalendar; "
    "icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read(), multiple=True)"
)


class Hostile:
    def __init__(
        self, name: str, write: Callable[..., None], baseline: str, scale: int = 1
    ) -> None:
        self.name, self.write, self.baseline, self.scale = name, write, baseline, scale


HOSTILE: list[Hostile] = [
    Hostile("every_second.ics", calendars.every_second, ICALENDAR),
    Hostile("every_minute.ics", calendars.every_minute, ICALENDAR),
    Hostile("zone_every_minute.ics", calendars.zone_every_minute, ICALENDAR),
    Hostile("garbage_zone.ics", calendars.garbage_zone, ICALENDAR),
    Hostile("endless_daily.ics", calendars.endless_daily, ICALENDAR),
    Hostile("plain_events_50mb.ics", calendars.plain_events, ICALENDAR, scale=10),
    Hostile("recent_events_50mb.ics", calendars.recent_events, ICALENDAR, scale=10),
    Hostile("tiny_messages_100k.mbox", mail.tiny_messages, MAILBOX),
    Hostile("endless_header.eml", mail.endless_header, EML),
    Hostile("huge_header_line.mbox", mail.huge_header_line, MAILBOX),
]


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def measure(item: Hostile, folder: Path) -> dict[str, Any]:
    path = folder / item.name
    item.write(path, item.scale)
    size = path.stat().st_size
    base = run_limited([sys.executable, "-c", item.baseline, str(path)], timeout=LIMIT_SECONDS)
    baseline = {
        "seconds": round(base.seconds, 2),
        "cpu_seconds": round(base.cpu_seconds, 2),
        "peak_mib": _mib(base.peak_kib),
        "status": "timeout"
        if base.timed_out
        else ("ok" if base.returncode == 0 else f"failed ({base.returncode})"),
    }
    row: dict[str, Any] = {"file": item.name, "bytes": size, "baseline": baseline}
    try:
        outcome = run_import(path, db=folder / f"{item.name}.db", timeout=LIMIT_SECONDS)
    except AssertionError as error:
        row["touchbase"] = {"ok": False, "error": str(error).splitlines()[0]}
        return row
    row["touchbase"] = {
        "seconds": round(outcome.seconds, 2),
        "cpu_seconds": round(outcome.cpu_seconds, 2),
        "peak_mib": _mib(outcome.peak_kib),
        "exit": outcome.returncode,
        "stored": len(outcome.interactions),
        "quarantined": len(outcome.quarantined),
        "ok": outcome.seconds < LIMIT_SECONDS and outcome.peak_kib * 1024 < GIB,
    }
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    parser.add_argument("--only", metavar="NAME", action="append", help="just this file")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="tb-bench-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    print(
        f"{'file':<24} {'MB':>6} | {'baseline s':>10} {'MiB':>7} {'':<10}| "
        f"{'touchbase s':>11} {'MiB':>7} {'stored':>7} {'quar.':>6}"
    )
    for item in HOSTILE:
        if args.only and item.name not in args.only:
            continue
        row = measure(item, folder)
        rows.append(row)
        base, ours = row["baseline"], row["touchbase"]
        line = (
            f"{row['file']:<24} {row['bytes'] / 1e6:>6.1f} | {base['seconds']:>10.2f} "
            f"{base['peak_mib']:>7.1f} {base['status']:<10}| "
        )
        if "error" in ours:
            line += f"FAILED: {ours['error']}"
        else:
            line += (
                f"{ours['seconds']:>11.2f} {ours['peak_mib']:>7.1f} {ours['stored']:>7} "
                f"{ours['quarantined']:>6}"
            )
        print(line, flush=True)
        if not args.keep:
            for leftover in folder.glob(f"{item.name}*"):
                os.unlink(leftover)
    ok = all(r["touchbase"].get("ok") for r in rows)
    print(json.dumps({"files": rows, "ok": ok}, separators=(",", ":")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
