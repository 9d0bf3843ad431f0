"""Benchmark: contacts and decisions for 10,000 people and 1,000,000 interactions in SQLite.

    python bench/rules.py [--people 10000] [--interactions 1000000] [--db PATH]

Builds the database once through the real store (cached in /tmp, keyed by the sizes and the
schema), then, in a fresh process so the peak memory is the evaluation's own, runs exactly the
agent's path: agent.pipeline.evaluation.evaluate (agent.pipeline.history streams every
interaction from SQLite in (occurred_at, id) order, rules fold, assess and decide). Then a sync
that touched 100 people: their new interactions are stored and the whole evaluation runs again,
as the daemon's cycle does after a sync (issue 16 is to make that cost track the change).
CPU time is reported beside wall time, since the machine is shared; so is a calibration.
Prints figures; the LAST LINE is JSON. Targets (issue 3): under 10 s and 500 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.evaluation import evaluate
from touchbase.agent.pipeline.history import iter_interactions
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import (
    Flag,
    InteractionRecord,
    Kind,
    Page,
    Participant,
    Response,
    Role,
)

ME = "me@bench.example"


NOW = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
PAGE = 20_000
SCHEMA = "0003"  # the cached database is rebuilt when the stored form changes


def person(i: int) -> str:
    return f"person{i}@org{i % 500}.example"


def generate(people: int, count: int, seed: int = 7, start_id: int = 0) -> list[InteractionRecord]:
    """Mail and meetings with a skewed activity (a few close contacts, a long tail), threads
    with replies, Cc, bulk senders and meetings of two to eight people."""
    rnd = random.Random(seed)
    weights = [1.0 / (1 + i) ** 0.8 for i in range(people)]
    chosen = rnd.choices(range(people), weights=weights, k=count)
    records = []
    for n, who in enumerate(chosen, start_id):
        when = NOW - SPAN + timedelta(seconds=rnd.randrange(int(SPAN.total_seconds())))
        address = person(who)
        shape = rnd.random()
        topic = f"topic {who}-{rnd.randrange(20)}"
        if shape < 0.42:  # the owner writes, sometimes with a Cc
            parts = [Participant(ME, Role.FROM), Participant(address, Role.TO)]
            if rnd.random() < 0.2:
                parts.append(Participant(person(rnd.randrange(people)), Role.CC))
            subject = topic if rnd.random() < 0.5 else f"Re: {topic}"
            flags: frozenset[Flag] = frozenset()
        elif shape < 0.88:  # they write
            parts = [Participant(address, Role.FROM), Participant(ME, Role.TO)]
            subject = f"Re: {topic}" if rnd.random() < 0.6 else topic
            flags = frozenset()
        elif shape < 0.93:  # bulk and automated mail
            parts = [Participant(f"noreply@news{who % 50}.example", Role.FROM)]
            parts.append(Participant(ME, Role.TO))
            subject, flags = "Newsletter", frozenset({Flag.BULK})
        else:  # a meeting
            size = rnd.choice((1, 1, 1, 2, 3, 5, 7))
            parts = [Participant(ME, Role.ORGANIZER, response=Response.ACCEPTED)]
            parts.append(Participant(address, Role.ATTENDEE, response=Response.ACCEPTED))
            parts += [
                Participant(person(rnd.randrange(people)), Role.ATTENDEE) for _ in range(size - 1)
            ]
            records.append(
                InteractionRecord(
                    source_id=str(n),
                    kind=Kind.MEETING,
                    occurred_at=when,
                    ended_at=when + timedelta(minutes=30),
                    participants=tuple(parts),
                    subject=f"Meeting {topic}",
                    message_id=f"uid-{n}@bench",
                )
            )
            continue
        records.append(
            InteractionRecord(
                source_id=str(n),
                kind=Kind.MAIL,
                occurred_at=when,
                participants=tuple(parts),
                subject=subject,
                message_id=f"<{n}@bench.example>",
                flags=flags,
            )
        )
    return records


def build(db: Path, people: int, count: int) -> None:
    sessions = open_database(f"sqlite:///{db}")
    store = Store(sessions)
    account = store.ensure_account("bench", "files", NOW)
    run = store.start_run(account, NOW)
    for start in range(0, count, PAGE):
        page = generate(people, min(PAGE, count - start), seed=start, start_id=start)
        store.save_page(account, run, Page(page, cursor=str(start)), NOW)
        print(f"  stored {start + len(page):,} interactions", file=sys.stderr, flush=True)
    store.finish_run(run, "ok", NOW)
    # Fold the WAL back into the file before it is renamed and copied (its -wal file would not
    # follow the new name).
    with sessions() as session:
        session.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    bind = sessions.kw["bind"]
    bind.dispose()


def calibration_us() -> float:
    """How busy this machine is: `sum(range(1000))` in microseconds (about 10 on an idle
    2-core machine of this kind; other jobs sharing the cores make every figure slower)."""
    import timeit

    return round(min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6, 1)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


BARE_COLUMNS = (
    "SELECT id, account_id, kind, occurred_at, ended_at, subject, message_id, in_reply_to, "
    '"references", thread_id, folder, flags, parties FROM interactions'
)  # what touchbase.agent.pipeline.history.iter_interactions selects


def measure(db: Path, people: int, count: int) -> dict[str, float]:
    """In a fresh process: the agent's full evaluation (agent.pipeline.evaluation.evaluate:
    load through agent.pipeline.history, fold, assess, decide), then a sync touching 100 people
    and the evaluation a daemon cycle runs after it."""
    base = peak_mb()
    calibration = calibration_us()
    sessions = open_database(f"sqlite:///{db}")
    config = Config(me=Me(addresses=(ME,)))
    cpu = time.process_time()
    started = time.perf_counter()
    with sessions() as session:
        result = evaluate(session, config, [ME], NOW)
    done = time.perf_counter()
    full_cpu = time.process_time() - cpu
    full_peak = peak_mb()

    # Where the time goes: the load alone (agent.pipeline.history), and the fold without the load.
    cpu = time.process_time()
    with sessions() as session:
        loaded = sum(1 for _ in iter_interactions(session))
    load_cpu = time.process_time() - cpu

    # The floor: the loader's own query read with the bare sqlite3 module, rows dropped; once
    # in (occurred_at, id) order as the streamed fold needs, once in table order.
    bare = {}
    for label, order in (("ordered", " ORDER BY occurred_at, id"), ("unordered", "")):
        raw = sqlite3.connect(db)
        cpu = time.process_time()
        rows = raw.execute(BARE_COLUMNS + order)
        while rows.fetchmany(20_000):
            pass
        bare[label] = time.process_time() - cpu
        raw.close()

    # A sync touched 100 people: store their new interactions, re-evaluate only them.
    rnd = random.Random(1)
    touched = sorted(rnd.sample(range(people), 100))
    store = Store(sessions)
    account = store.ensure_account("bench", "files", NOW)
    run = store.start_run(account, NOW)
    fresh = [
        InteractionRecord(
            source_id=f"sync-{i}",
            kind=Kind.MAIL,
            occurred_at=NOW - timedelta(hours=1 + i),
            participants=(Participant(person(i), Role.FROM), Participant(ME, Role.TO)),
            subject="Re: catching up",
            message_id=f"<sync-{i}@bench.example>",
        )
        for i in touched
    ]
    store.save_page(account, run, Page(fresh, cursor="sync"), NOW)
    cpu = time.process_time()
    again = time.perf_counter()
    with sessions() as session:
        after = evaluate(session, config, [ME], NOW)
    refolded = time.perf_counter()
    refold_cpu = time.process_time() - cpu
    return {
        "people": len(result.contacts),
        "interactions": loaded,
        "total_s": round(done - started, 2),
        "total_cpu_s": round(full_cpu, 2),
        "load_cpu_s": round(load_cpu, 2),
        "bare_read_ordered_cpu_s": round(bare["ordered"], 2),
        "bare_read_unordered_cpu_s": round(bare["unordered"], 2),
        "fold_assess_decide_cpu_s": round(full_cpu - load_cpu, 2),
        "calibration_us": calibration,
        "peak_mb": round(full_peak, 1),
        "peak_mb_before": round(base, 1),
        "decisions": len(result.plan.decisions),
        "held": len(result.plan.held),
        "after_sync_100_people_s": round(refolded - again, 3),
        "after_sync_100_people_cpu_s": round(refold_cpu, 3),
        "decisions_after_sync": len(after.plan.decisions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="database file (default: cached in /tmp)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.db or Path(tempfile.gettempdir()) / (
        f"touchbase-bench-rules-{args.people}-{args.interactions}-{SCHEMA}.db"
    )
    if args.measure:
        print(json.dumps(measure(db, args.people, args.interactions)))
        return
    if not db.exists():
        print(f"building {db} ({args.interactions:,} interactions)...", file=sys.stderr)
        t = time.perf_counter()
        build(db.with_suffix(".tmp"), args.people, args.interactions)
        db.with_suffix(".tmp").rename(db)
        print(f"built in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    # A copy, so the simulated sync never changes the cached database.
    work = Path(tempfile.mkdtemp()) / "bench.db"
    shutil.copyfile(db, work)
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            "--db",
            str(work),
            "--people",
            str(args.people),
            "--interactions",
            str(args.interactions),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    work.unlink()
    print(f"people {result['people']:,}, interactions {result['interactions']:,}")
    print(
        f"bare sqlite3 read, no work CPU {result['bare_read_ordered_cpu_s']:.2f} s in time order, "
        f"{result['bare_read_unordered_cpu_s']:.2f} s in table order (the floor)"
    )
    print(f"load (touchbase.agent.pipeline.history)        CPU {result['load_cpu_s']:.2f} s")
    print(f"fold + assess + decide      CPU {result['fold_assess_decide_cpu_s']:.2f} s")
    print(
        f"evaluate     {result['total_s']:.2f} s, CPU {result['total_cpu_s']:.2f} s (target < 10 s)"
    )
    print(f"machine load: sum(range(1000)) takes {result['calibration_us']} us (idle: about 10)")
    print(f"peak memory  {result['peak_mb']:.0f} MB (target < 500 MB)")
    print(
        f"evaluate after a sync touching 100 people: {result['after_sync_100_people_s']:.3f} s, "
        f"CPU {result['after_sync_100_people_cpu_s']:.3f} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
