"""Judgment benchmark (issue 11): touchbase's decisions and drafts on two real mailboxes, checked
against counts made without touchbase's code.

Usage: python bench/judgment.py [--corpora DIR] [--mailbox NAME] [--at NAME=ISO-8601]
                                [--owner NAME=ADDRESS] [--touchbase PATH] [--keep DIR]

For each mailbox of ../shared/corpora/enron/maildir (allen-p, germany-c), at a moment just after
its mail ends, with only the owner's busiest address configured:

- the independent side: bench/_twoway.py (stdlib only) counts, with all of the owner's aliases
  from the answer key, who is a **two-way relationship** (the owner wrote to them >= 2 times and
  they wrote in >= 2 times, distinct messages, up to the moment);
- touchbase, only through its command line's JSON, in a throwaway HOME and SQLite database:
  `import`, then `people --json`, `people --due --json`, `plan --json`, `drafts create --json`,
  all `--at` the moment; run twice: with the shipped pacing (what a user sees) and with pacing
  lifted (max_drafts_per_run/per_day = 1000) so the shares cover every decision.

Figures and goals (judged on the run with pacing lifted, per mailbox; overall sums both):
  check-in decisions that go to two-way relationships   >= 90%
  the due list that are two-way relationships           >= 70%
  owner addresses (any alias in the key) listed as people  0
  drafts to first.last@ addresses greeting by first name >= 80%
  drafts with an empty or bare "Re:" subject, or quoting more than 60 characters   0
A share with nothing to count (no check-ins, no drafts) is not judged for one mailbox (at a given
moment a mailbox may rightly owe no check-in: everyone was in touch lately), but overall it does
not meet its goal: deciding nothing anywhere is not good judgment. A person counts as a two-way
relationship when any of the addresses touchbase gives that person is one.

Every draft is written to bench/out/judgment/<mailbox>.<pacing>.drafts.jsonl (no reasons) for a
blind judge (../shared/JUDGING.md). The last line printed is JSON; its "ok" is true exactly when
every goal is met.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import _twoway  # bench/_twoway.py: the independent counter (the script's folder is on sys.path)

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


@dataclass(frozen=True)
class Mailbox:
    name: str
    owner: str  # the busiest address, the only one touchbase is told about
    owner_name: str
    at: str  # just after the mailbox's last mail


MAILBOXES = {
    "allen-p": Mailbox(
        "allen-p", "phillip.allen@enron.com", "Phillip Allen", "2002-01-15T15:00:00+00:00"
    ),
    "germany-c": Mailbox(
        "germany-c", "chris.germany@enron.com", "Chris Germany", "2002-07-01T15:00:00+00:00"
    ),
}
PACINGS = {
    "shipped": "",
    "lifted": "\n[policy]\nmax_drafts_per_run = 1000\nmax_drafts_per_day = 1000\n",
}
GOALS = {  # figure: (comparison, bound)
    "checkin_two_way_share": (">=", 0.90),
    "due_two_way_share": (">=", 0.70),
    "owner_as_people": ("==", 0),
    "first_name_greeting_share": (">=", 0.80),
    "bad_subject_drafts": ("==", 0),
}
STEPS = ("import", "people", "people --due", "plan", "drafts create")

# first.last@: two or more alphabetic words joined by single dots (k..allen@ is not one). The
# first word must be at least two letters to be a first name rather than an initial.
FIRST_LAST = re.compile(r"^([a-z]{2,})(?:\.[a-z]+)+$")
GREETING = re.compile(r"^\s*(?:hi|hello|dear)\s+([^\s,!]+)\s*[,!]", re.IGNORECASE)
QUOTED = re.compile(r"\"([^\"\n]*)\"|\u201c([^\u201d\n]*)\u201d")
REPLY_PREFIX = re.compile(r"^\s*(?:re|fwd?)\s*:\s*", re.IGNORECASE)
MAX_QUOTE = 60


class StepFailed(Exception):
    """A touchbase command exited non-zero, timed out or printed something other than JSON."""


# --- running touchbase ----------------------------------------------------------------------


def find_touchbase(given: str | None) -> list[str]:
    if given:
        return [given]
    for candidate in (Path(sys.executable).parent / "touchbase", REPO / ".venv/bin/touchbase"):
        if candidate.exists():
            return [str(candidate)]
    found = shutil.which("touchbase")
    return [found] if found else [sys.executable, "-m", "touchbase.agent"]


@dataclass
class Sandbox:
    """A throwaway user: HOME and XDG folders, a config file and a SQLite database in one folder."""

    folder: Path
    command: list[str]
    timeout: float
    seconds: dict[str, float] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        home = self.folder / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHBASE_")}
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_STATE_HOME=str(home / ".local/state"),
        )
        return env

    def run(self, step: str, *args: str) -> Any:
        """Run one touchbase command and return its parsed JSON output."""
        argv = [
            *self.command,
            "--config",
            str(self.folder / "config.toml"),
            "--db",
            f"sqlite:///{self.folder / 'touchbase.db'}",
            *args,
        ]
        began = time.perf_counter()
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                env=self.env(),
                cwd=self.folder,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired as e:
            raise StepFailed(f"`{step}` timed out after {self.timeout:.0f} s") from e
        except OSError as e:
            raise StepFailed(f"`{step}` could not start ({' '.join(argv[:1])}): {e}") from e
        finally:
            self.seconds[step] = time.perf_counter() - began
        stem = self.folder / step.replace(" ", "_").replace("--", "")
        Path(f"{stem}.out").write_text(done.stdout)
        Path(f"{stem}.err").write_text(done.stderr)
        stderr = done.stderr.strip()[-2000:]
        if done.returncode != 0:
            raise StepFailed(f"`{step}` exited {done.returncode}; stderr:\n{stderr}")
        try:
            return json.loads(done.stdout)
        except json.JSONDecodeError as e:
            raise StepFailed(
                f"`{step}` printed no JSON ({e}); stdout starts {done.stdout[:300]!r};"
                f" stderr:\n{stderr}"
            ) from e


def config_text(box: Mailbox, pacing: str) -> str:
    return (
        f"[me]\nname = {json.dumps(box.owner_name)}\naddresses = [{json.dumps(box.owner)}]\n"
        f'time_zone = "America/Chicago"\n{PACINGS[pacing]}'
    )


def run_touchbase(box: Mailbox, maildir: Path, pacing: str, sandbox: Sandbox) -> dict[str, Any]:
    shutil.rmtree(sandbox.folder / "home", ignore_errors=True)  # a --keep folder used before
    for suffix in ("", "-wal", "-shm", "-journal"):
        (sandbox.folder / f"touchbase.db{suffix}").unlink(missing_ok=True)
    (sandbox.folder / "home").mkdir(parents=True, exist_ok=True)
    (sandbox.folder / "config.toml").write_text(config_text(box, pacing))
    imported = _list(sandbox.run("import", "import", "--json", str(maildir)), "import")
    bad = [r for r in imported if isinstance(r, dict) and r.get("status") != "ok"]
    if bad or not imported:
        raise StepFailed(f"`import` did not succeed: {json.dumps(imported)[:1000]}")
    at = ("--at", box.at)
    return {
        "imported": imported,
        "people": _list(sandbox.run("people", "people", "--json", *at), "people"),
        "due": _list(sandbox.run("people --due", "people", "--due", "--json", *at), "due"),
        "plan": _list(sandbox.run("plan", "plan", "--json", *at), "plan"),
        "drafts": _list(
            sandbox.run("drafts create", "drafts", "create", "--json", *at), "drafts create"
        ),
    }


def _list(value: Any, step: str) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise StepFailed(f"`{step}` printed JSON that is not a list of objects: {value!r:.300}")
    return value


# --- the figures -----------------------------------------------------------------------------


def _addresses(entry: dict[str, Any]) -> set[str]:
    found = {str(a).lower() for a in entry.get("addresses") or []}
    for key in ("address", "person"):
        if isinstance(entry.get(key), str) and "@" in entry[key]:
            found.add(entry[key].lower())
    return found


def _first_to(draft: dict[str, Any]) -> str:
    to = draft.get("to") or []
    return parseaddr(str(to[0]))[1].lower() if to else ""


def expected_first_names(address: str, truth: dict[str, _twoway.Tally]) -> set[str]:
    """The first names a greeting may use: the local part's first word, or the first word of
    the display name the person uses on their own From (the independent side's)."""
    names = set()
    match = FIRST_LAST.match(address.split("@", 1)[0])
    if match:
        names.add(match.group(1))
    tally = truth.get(address)
    if tally and tally.name:
        name = tally.name.strip().strip("\"'")
        given = name.split(",", 1)[1] if "," in name else name  # "Grigsby, Mike"
        words = re.findall(r"[A-Za-z]{2,}", given)
        if words:
            names.add(words[0].lower())
    return names


def subject_faults(draft: dict[str, Any]) -> list[str]:
    subject = str(draft.get("subject") or "")
    faults = []
    bare = subject
    while match := REPLY_PREFIX.match(bare):
        bare = bare[match.end() :]
    if not bare.strip():
        faults.append(f"empty or bare subject {subject!r}")
    for text in (subject, str(draft.get("body") or "")):
        for a, b in QUOTED.findall(text):
            quoted = a or b
            if len(quoted.strip()) > MAX_QUOTE:
                faults.append(f"quotes {len(quoted.strip())} characters: {quoted[:80]!r}")
    return faults


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(out: dict[str, Any], truth: dict[str, _twoway.Tally], aliases: set[str]) -> dict:
    two_way = {a for a, t in truth.items() if t.two_way}
    by_person = {p.get("person"): _addresses(p) for p in out["people"]}

    def is_two_way(entry: dict[str, Any]) -> bool:
        return bool((_addresses(entry) | by_person.get(entry.get("person"), set())) & two_way)

    checkins = [d for d in out["plan"] if d.get("kind") == "check-in"]
    owner_people = sorted({a for p in out["people"] for a in _addresses(p) & aliases})
    greeted_cases, greeted, bad = 0, 0, []
    for draft in out["drafts"]:
        address = _first_to(draft)
        if FIRST_LAST.match(address.split("@", 1)[0]):
            greeted_cases += 1
            first_line = next((s for s in str(draft.get("body") or "").splitlines() if s), "")
            match = GREETING.match(first_line)
            names = expected_first_names(address, truth)
            if match and match.group(1)[:1].isupper() and match.group(1).lower() in names:
                greeted += 1
        faults = subject_faults(draft)
        if faults:
            bad.append({"to": address, "subject": draft.get("subject"), "faults": faults})
    decided = {
        a for d in out["plan"] for a in _addresses(d) | by_person.get(d.get("person"), set())
    }
    due = {a for p in out["due"] for a in _addresses(p)}
    return {
        "people": len(out["people"]),
        "people_named": sum(bool(str(p.get("name") or "").strip()) for p in out["people"]),
        "due": len(out["due"]),
        "due_two_way": sum(map(is_two_way, out["due"])),
        "decisions": len(out["plan"]),
        "decisions_by_kind": dict(Counter(str(d.get("kind")) for d in out["plan"])),
        "checkins": len(checkins),
        "checkins_two_way": sum(map(is_two_way, checkins)),
        "owner_as_people": len(owner_people),
        "owner_as_people_addresses": owner_people,
        "drafts": len(out["drafts"]),
        "drafts_by_kind": dict(Counter(str(d.get("kind")) for d in out["drafts"])),
        "first_last_drafts": greeted_cases,
        "first_last_greeted": greeted,
        "bad_subject_drafts": len(bad),
        "bad_subject_examples": bad[:5],
        "two_way_truth": len(two_way),
        "two_way_due": len(two_way & due),
        "two_way_decided": len(two_way & decided),
        # Life events (issue 18) as `people --json` reports them: dead addresses, moves.
        "events_by_kind": dict(
            Counter(str(e.get("kind")) for p in out["people"] for e in p.get("events") or ())
        ),
        "undeliverable_two_way": sum(
            bool(set(p.get("undeliverable") or {}) & two_way) for p in out["people"]
        ),
    }


def with_shares(f: dict[str, Any]) -> dict[str, Any]:
    f["checkin_two_way_share"] = ratio(f["checkins_two_way"], f["checkins"])
    f["due_two_way_share"] = ratio(f["due_two_way"], f["due"])
    f["first_name_greeting_share"] = ratio(f["first_last_greeted"], f["first_last_drafts"])
    return f


def goals_met(f: dict[str, Any], *, empty_ok: bool = False) -> dict[str, bool]:
    """Each goal met or not; a share with nothing to count is met only when `empty_ok`."""
    met = {}
    for name, (op, bound) in GOALS.items():
        value = f.get(name)
        if value is None:
            met[name] = empty_ok
            continue
        met[name] = value >= bound if op == ">=" else value == bound
    return met


def total(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summed: dict[str, Any] = {}
    for f in runs:
        for key, value in f.items():
            if isinstance(value, bool) or not isinstance(value, int):
                continue
            summed[key] = summed.get(key, 0) + value
    for by_kind in ("decisions_by_kind", "drafts_by_kind", "events_by_kind"):
        kinds: Counter[str] = Counter()
        for f in runs:
            kinds.update(f.get(by_kind) or {})
        summed[by_kind] = dict(kinds)
    return with_shares(summed)


# --- output ----------------------------------------------------------------------------------


def write_drafts(folder: Path, box: str, pacing: str, drafts: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{box}.{pacing}.drafts.jsonl"
    with path.open("w") as f:
        for n, d in enumerate(drafts, 1):
            case = {
                "case": f"{box}-{pacing}-{n:03d}",
                "mailbox": box,
                "created_at": d.get("created_at"),
                "to": d.get("to"),
                "kind": d.get("kind"),
                "subject": d.get("subject"),
                "body": d.get("body"),
            }
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    return path


def _pct(part: int | None, whole: int | None) -> str:
    if part is None or whole is None:
        return "-"
    return f"{part}/{whole} = {100 * part / whole:.0f}%" if whole else f"{part}/0 n/a"


ROWS = (  # label, how to show a figures dict, goal
    ("people", lambda f: str(f["people"]), ""),
    ("people with a name", lambda f: _pct(f["people_named"], f["people"]), ""),
    ("owner addresses as people", lambda f: str(f["owner_as_people"]), "0"),
    ("due list", lambda f: str(f["due"]), ""),
    ("due: two-way", lambda f: _pct(f["due_two_way"], f["due"]), ">= 70%"),
    ("decisions (plan)", lambda f: str(f["decisions"]), ""),
    (
        "  by kind",
        lambda f: " ".join(f"{k}:{v}" for k, v in sorted(f["decisions_by_kind"].items())) or "-",
        "",
    ),
    ("check-ins: two-way", lambda f: _pct(f["checkins_two_way"], f["checkins"]), ">= 90%"),
    ("drafts created", lambda f: str(f["drafts"]), ""),
    (
        "first.last@ greeted by name",
        lambda f: _pct(f["first_last_greeted"], f["first_last_drafts"]),
        ">= 80%",
    ),
    ("bad subject / long quote", lambda f: str(f["bad_subject_drafts"]), "0"),
    (
        "life events",
        lambda f: " ".join(f"{k}:{v}" for k, v in sorted(f["events_by_kind"].items())) or "-",
        "",
    ),
    ("two-way (independent)", lambda f: str(f["two_way_truth"]), ""),
    ("  of them due", lambda f: str(f["two_way_due"]), ""),
    ("  of them given a decision", lambda f: str(f["two_way_decided"]), ""),
)


def print_table(columns: list[tuple[str, dict[str, Any] | None]]) -> None:
    width = 30
    cells = [[label] + [show(f) if f else "failed" for _, f in columns] for label, show, _ in ROWS]
    goals = [goal for _, _, goal in ROWS]
    sizes = [width] + [
        max(len(name), *(len(row[i + 1]) for row in cells)) for i, (name, _) in enumerate(columns)
    ]
    header = ["", *(name for name, _ in columns)]
    print("  ".join(h.ljust(s) for h, s in zip(header, sizes, strict=True)) + "  goal")
    for row, goal in zip(cells, goals, strict=True):
        print("  ".join(c.ljust(s) for c, s in zip(row, sizes, strict=True)) + f"  {goal}")


# --- main ------------------------------------------------------------------------------------


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or name not in MAILBOXES:
            sys.exit(f"{flag} wants NAME=VALUE with NAME one of {', '.join(MAILBOXES)}: {value!r}")
        pairs[name] = rest
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpora", type=Path, default=REPO.parent / "shared" / "corpora", help="shared corpora"
    )
    parser.add_argument("--mailbox", action="append", choices=list(MAILBOXES), help="repeatable")
    parser.add_argument("--at", action="append", default=[], help="NAME=ISO-8601, the moment")
    parser.add_argument("--owner", action="append", default=[], help="NAME=ADDRESS configured")
    parser.add_argument("--touchbase", help="the touchbase command (default: the venv's)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per command")
    parser.add_argument("--out", type=Path, default=BENCH / "out" / "judgment")
    parser.add_argument("--keep", type=Path, help="keep each run's HOME, config, database here")
    args = parser.parse_args()
    ats, owners = _pairs(args.at, "--at"), _pairs(args.owner, "--owner")
    for name, value in ats.items():
        try:
            if datetime.fromisoformat(value).tzinfo is None:
                raise ValueError("no UTC offset")
        except ValueError as e:
            sys.exit(f"--at {name}={value}: not an aware ISO-8601 moment ({e})")
    boxes = [
        Mailbox(b.name, owners.get(b.name, b.owner), b.owner_name, ats.get(b.name, b.at))
        for b in (MAILBOXES[n] for n in (args.mailbox or MAILBOXES))
    ]
    maildirs = args.corpora / "enron" / "maildir"
    keys = args.corpora / "enron" / "derived"
    missing = [
        str(path)
        for b in boxes
        for path in (maildirs / b.name, keys / f"reference_last_contact_{b.name}.json")
        if not path.exists()
    ]
    if missing:
        why = f"corpora not found: no {', '.join(missing)}"
        print(f"skipped: {why}")
        print(json.dumps({"bench": "judgment", "ok": False, "skipped": why}))
        return

    command = find_touchbase(args.touchbase)
    began = time.perf_counter()
    result: dict[str, Any] = {
        "bench": "judgment",
        "touchbase": " ".join(command),
        # the commit under test, when it is this checkout's (--touchbase may run another copy)
        "checkout": checkout() if args.touchbase is None else None,
        "mailboxes": {},
    }
    errors: list[str] = []
    runs: dict[str, dict[str, dict[str, Any] | None]] = {p: {} for p in PACINGS}
    with tempfile.TemporaryDirectory(prefix="touchbase-judgment-") as tmp:
        root = args.keep or Path(tmp)
        for box in boxes:
            key = json.loads((keys / f"reference_last_contact_{box.name}.json").read_text())
            aliases = {a.lower() for a in key["owner_aliases"]}
            t0 = time.perf_counter()
            truth = _twoway.count(maildirs / box.name, aliases, datetime.fromisoformat(box.at))
            truth_s = time.perf_counter() - t0
            entry: dict[str, Any] = {
                "at": box.at,
                "owner_configured": box.owner,
                "owner_aliases": sorted(aliases),
                "independent_s": round(truth_s, 2),
                "independent_skipped_dates": len(_twoway.SKIPPED),
            }
            print(
                f"{box.name}: at {box.at}, configured {box.owner}; independent count "
                f"({', '.join(sorted(aliases))}): {sum(t.two_way for t in truth.values())} two-way "
                f"of {len(truth)} correspondents, {truth_s:.1f} s"
            )
            for pacing in PACINGS:
                sandbox = Sandbox(root / f"{box.name}.{pacing}", command, args.timeout)
                try:
                    out = run_touchbase(box, maildirs / box.name, pacing, sandbox)
                except StepFailed as e:
                    errors.append(f"{box.name} ({pacing} pacing): {e}")
                    print(f"{box.name} ({pacing} pacing): FAILED: {e}")
                    runs[pacing][box.name] = None
                    (args.out / f"{box.name}.{pacing}.drafts.jsonl").unlink(missing_ok=True)
                    entry[pacing] = {"error": str(e), "seconds": _rounded(sandbox.seconds)}
                    continue
                f = with_shares(figures(out, truth, aliases))
                f["seconds"] = _rounded(sandbox.seconds)
                f["drafts_file"] = str(write_drafts(args.out, box.name, pacing, out["drafts"]))
                runs[pacing][box.name] = f
                entry[pacing] = f
                steps = ", ".join(f"{s} {sandbox.seconds.get(s, 0):.1f} s" for s in STEPS)
                print(f"{box.name} ({pacing} pacing): {steps}")
            lifted = runs["lifted"].get(box.name)
            entry["goals_met"] = (
                goals_met(lifted, empty_ok=True) if lifted else dict.fromkeys(GOALS, False)
            )
            result["mailboxes"][box.name] = entry

    overall = {
        p: total([f for f in runs[p].values() if f]) if all(runs[p].values()) else None
        for p in PACINGS
    }
    result["overall"] = {p: f for p, f in overall.items()}
    result["overall"]["goals_met"] = (
        goals_met(overall["lifted"]) if overall["lifted"] else dict.fromkeys(GOALS, False)
    )
    for pacing, title in (
        ("lifted", "pacing lifted: every decision (the goals are judged here)"),
        ("shipped", "shipped pacing: what a user sees"),
    ):
        print(f"\n{title}")
        print_table(
            [(b.name, runs[pacing].get(b.name)) for b in boxes] + [("overall", overall[pacing])]
        )
    print()
    for name, entry in [*result["mailboxes"].items(), ("overall", result["overall"])]:
        unmet = [g for g, met in entry["goals_met"].items() if not met]
        verdict = "all met" if not unmet else "unmet: " + ", ".join(unmet)
        print(f"{name}: goals (pacing lifted) {verdict}")
    for error in errors:  # each in full above; here its first and last lines
        lines = [line for line in error.splitlines() if line.strip()]
        print(f"error: {lines[0]}" + (f" ... {lines[-1].strip()}" if len(lines) > 1 else ""))
    result["errors"] = errors
    result["seconds"] = round(time.perf_counter() - began, 1)
    result["ok"] = not errors and all(
        all(entry["goals_met"].values())
        for entry in [*result["mailboxes"].values(), result["overall"]]
    )
    print(
        f"checkout {result['checkout'] or 'not this one (--touchbase)'};"
        f" drafts for a blind judge: {args.out}/*.drafts.jsonl;"
        f" total {result['seconds']} s"
    )
    print(json.dumps(result, default=str))


def checkout() -> str | None:
    """The commit measured, "+dirty" when rules/, agent/ or connectors/ have uncommitted edits
    (others work in this checkout; the venv's editable install runs what is on disk)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "rules", "agent", "connectors"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _rounded(seconds: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in seconds.items()}


if __name__ == "__main__":
    main()
