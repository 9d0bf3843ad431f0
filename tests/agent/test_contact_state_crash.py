"""Killed anywhere, the contact state ends as an uninterrupted run's (issue 16).

A child process stores pages through the real Store and evaluates after each (so it is killed
inside a page, inside a partial refold or while writing the state), or runs a full refold after
a policy change (killed part-way through the fold). After a rerun, the persisted evaluation
equals an uninterrupted run's and a from-scratch fold.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import REPO
from touchbase.agent.pipeline import contact_state
from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.evaluation import Evaluation, evaluate
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

NOW = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
OWNER = "olivia@owner.example"
PAGES = 16
LATER = NOW + timedelta(days=1)  # after every moment the pages child evaluated at
PER_PAGE = 300


def _config(policy: str) -> Config:
    table = {"cc_weight": 0.25} if policy == "changed" else {}
    return Config(me=Me(name="Olivia", addresses=(OWNER,)), policy=table)


def _page(n: int) -> Page:
    rng = random.Random(n)
    records = []
    for k in range(PER_PAGE):
        serial = n * PER_PAGE + k
        person = f"p{rng.randrange(300)}@x{rng.randrange(20)}.example"
        at = NOW - timedelta(days=rng.randrange(900), minutes=rng.randrange(1440))
        if rng.random() < 0.15:
            records.append(
                InteractionRecord(
                    source_id=f"e{serial}",
                    kind=Kind.MEETING,
                    occurred_at=at + timedelta(days=rng.randrange(3)),  # some after NOW
                    ended_at=at + timedelta(days=rng.randrange(3), hours=1),
                    participants=(
                        Participant(OWNER, Role.ORGANIZER),
                        Participant(person, Role.ATTENDEE),
                    ),
                    subject=f"Sync {rng.randrange(5)}",
                    message_id=f"uid{serial}",
                )
            )
            continue
        sent = rng.random() < 0.5
        sender, to = (OWNER, person) if sent else (person, OWNER)
        records.append(
            InteractionRecord(
                source_id=f"m{serial}",
                kind=Kind.MAIL,
                occurred_at=at,
                participants=(Participant(sender, Role.FROM), Participant(to, Role.TO)),
                # Threads of one person each: another's reply in a shared thread is the
                # known gap (test_contact_state.py's xfail), not what this test is about.
                subject=f"{'Re: ' if rng.random() < 0.4 else ''}Topic {rng.randrange(5)} {person}",
                message_id=f"<m{serial}@t.example>",
                folder="sent" if sent else None,
            )
        )
    return Page(interactions=records, cursor=str(n))


def child(db: str, mode: str) -> None:
    """The killed process: 'pages' stores every page and evaluates after each; 'refold'
    evaluates under the changed policy (a full refold), saying when the fold has begun."""
    sessions = open_database(db)
    if mode == "refold":
        # Reported every 100 interactions and slowed a little: long enough to be killed in.
        contact_state.PROGRESS_EVERY = 100
        with sessions() as session:

            def progress(done: int, total: int) -> None:
                print(f"folding {done}/{total}", flush=True)
                time.sleep(0.005)

            evaluate(session, _config("changed"), (OWNER,), LATER, progress=progress)
        return
    store = Store(sessions)
    account = store.ensure_account("mail", "memory", NOW)
    for n in range(PAGES):
        run = store.start_run(account, NOW)
        store.save_page(account, run, _page(n), NOW)
        store.finish_run(run, "ok", NOW)
        print(f"page {n}", flush=True)
        with sessions() as session:
            evaluate(session, _config("default"), (OWNER,), NOW + timedelta(hours=n))


def _spawn(db: str, mode: str) -> subprocess.Popen[str]:
    code = f"from tests.agent.test_contact_state_crash import child; child({db!r}, {mode!r})"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_after(process: subprocess.Popen[str], lines: int, delay: float) -> bool:
    """Kill the child `delay` seconds after it printed `lines` lines; False if it ended."""
    assert process.stdout is not None
    for _ in range(lines):
        if not process.stdout.readline():
            break
    time.sleep(delay)
    killed = process.poll() is None
    if killed:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return killed


def _evaluate(db: str, policy: str, at: datetime, scratch: bool = False) -> Evaluation:
    sessions = open_database(db)
    try:
        with sessions() as session:
            return evaluate(session, _config(policy), (OWNER,), at, scratch=scratch)
    finally:
        sessions.kw["bind"].dispose()


def _finish(db: str, mode: str) -> None:
    process = _spawn(db, mode)
    _out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err


@pytest.mark.slow
def test_killed_mid_page_or_mid_refold_then_rerun_equals_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    clean, killed = f"sqlite:///{tmp_path / 'clean.db'}", f"sqlite:///{tmp_path / 'killed.db'}"
    _finish(clean, "pages")
    at = NOW + timedelta(hours=PAGES)
    once = _evaluate(clean, "default", at)

    rng = random.Random(20261202)
    kills = 0
    for attempt in range(3):
        process = _spawn(killed, "pages")
        kills += _kill_after(process, 1 + attempt * 5 + rng.randrange(4), rng.uniform(0, 0.3))
    assert kills >= 1, "the child finished before it could be killed"
    _finish(killed, "pages")  # the rerun: every page again (stored ones are duplicates)
    again = _evaluate(killed, "default", at)
    assert again.contacts == once.contacts
    assert again.plan == once.plan

    # A full refold (the policy changed) killed part-way, then run to the end.
    kills = 0
    for _ in range(2):
        kills += _kill_after(_spawn(killed, "refold"), 1 + rng.randrange(20), rng.uniform(0, 0.1))
    assert kills >= 1, "the refold finished before it could be killed"
    _finish(killed, "refold")
    _finish(clean, "refold")
    later = LATER
    refolded = _evaluate(killed, "changed", later)
    assert refolded.contacts == _evaluate(clean, "changed", later).contacts
    assert refolded.contacts == _evaluate(killed, "changed", later, scratch=True).contacts
    assert refolded.standings == _evaluate(killed, "changed", later, scratch=True).standings
