"""Start-up benchmark (issue 16): how long `touchbase --help` and `touchbase --version` take,
against bare Python in the same run, and where the time of a few commands goes.

Usage: python bench/startup.py [--runs N] [--db URL [--at ISO-8601]] [--touchbase PATH]

Every figure is the median wall time of N runs (default 11) of a fresh process, with its output
sent to a pipe:

  python -c pass               the floor: the interpreter alone
  python -c "import argparse"  the floor for any argparse CLI
  touchbase --help             goal <= 0.25 s
  touchbase --version          goal <= 0.25 s

With --db (a database that already holds an import, e.g. allen-p; see bench/judgment.py for how
it is imported and which --me to give), also `status`, `people --json`, `plan` and `drafts` on it
(median of 3 runs), each split into the time spent importing modules (one extra run under
`python -X importtime`, whose own overhead is left out of the medians) and the rest. `people` and
`plan` are given --at when it is passed (an archive is judged as of its own time). Those commands
have their own goal (0.6 s, issue 16), which needs persisted contact state: it is reported, not
judged here.

Runs in a throwaway HOME and XDG folders, so no configuration of the person running it is read.
The last line printed is JSON; its "ok" is true exactly when --help and --version both take
at most 0.25 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 0.25
COMMAND_GOAL_S = 0.6  # issue 16's goal for commands: reported only (needs persisted state)
COMMANDS = (("status",), ("people", "--json"), ("plan",), ("drafts",))
AT_TAKERS = {"people", "plan"}
# `import time: self | cumulative | name`, nested names indented by two spaces per level.
IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)$", re.MULTILINE)


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, env=env, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: the command ran (e.g. plan stopped by a safety rule)
        raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return seconds


def median(argv: list[str], env: dict[str, str], runs: int) -> float:
    wall(argv, env)  # warm the file cache and .pyc files; not counted
    return statistics.median(wall(argv, env) for _ in range(runs))


def import_seconds(
    touchbase: str, args: list[str], env: dict[str, str]
) -> tuple[float, list[list[object]]]:
    """Seconds spent importing modules in one run, and the five costliest top-level imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", touchbase, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    top = [
        (name, int(cumulative) / 1e6)
        for cumulative, indent, name in IMPORT_LINE.findall(done.stderr)
        if not indent
    ]
    costliest = sorted(top, key=lambda item: -item[1])[:5]
    return sum(seconds for _name, seconds in top), [[n, round(s, 3)] for n, s in costliest]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per figure (median)")
    parser.add_argument("--db", metavar="URL", help="also time commands on this database")
    parser.add_argument("--at", metavar="ISO-8601", help="--at for people and plan")
    parser.add_argument(
        "--touchbase",
        default=str(Path(sys.executable).with_name("touchbase")),
        help="the console script (default: beside this Python)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="touchbase-startup-") as folder:
        return measure(args, Path(folder))


def measure(args: argparse.Namespace, home: Path) -> int:
    env = {
        **{k: v for k, v in os.environ.items() if k != "TOUCHBASE_DB"},
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "TOUCHBASE_SECRETS": "file",
    }
    figures: dict[str, float] = {}
    for label, argv in (
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("python -c 'import argparse'", [sys.executable, "-c", "import argparse"]),
        ("touchbase --help", [args.touchbase, "--help"]),
        ("touchbase --version", [args.touchbase, "--version"]),
    ):
        figures[label] = round(median(argv, env, args.runs), 4)
        print(f"{label:32} {figures[label]:7.3f} s  (median of {args.runs})", flush=True)
    commands: dict[str, dict[str, object]] = {}
    for words in COMMANDS if args.db else ():
        extra = ["--at", args.at] if args.at and words[0] in AT_TAKERS else []
        argv = ["--db", args.db, *words, *extra]
        seconds = median([args.touchbase, *argv], env, 3)
        imports, costliest = import_seconds(args.touchbase, argv, env)
        label = " ".join(words)
        commands[label] = {
            "wall_s": round(seconds, 3),
            "imports_s": round(imports, 3),
            "rest_s": round(max(seconds - imports, 0.0), 3),
            "costliest_imports_s": costliest,
        }
        print(
            f"touchbase {label:22} {seconds:7.3f} s  (median of 3; imports {imports:.3f} s, "
            f"the rest {max(seconds - imports, 0.0):.3f} s; goal {COMMAND_GOAL_S} s, not judged)",
            flush=True,
        )
    ok = all(figures[f"touchbase --{w}"] <= GOAL_S for w in ("help", "version"))
    print(
        json.dumps(
            {
                "bench": "startup",
                "runs": args.runs,
                "seconds": figures,
                "goal_s": GOAL_S,
                "commands": commands,
                "commands_goal_s": COMMAND_GOAL_S,
                "ok": ok,
            },
            sort_keys=True,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
