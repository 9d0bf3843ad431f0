"""agent/pipeline/sightings.py reads the owner's mail to a sighted address by interaction, never
by walking the owner's sent mail (issue 16: 436 of 521 s of a cProfiled plan at 1M)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from tests.agent.test_sightings import ME, OLD, T0, _record
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.sightings import sightings_for
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import Page
from touchbase.rules.contacts import fold
from touchbase.rules.people import Identities
from touchbase.rules.policy import load_policy
from touchbase.rules.types import FROM, MAIL, TO, Interaction, Party


def _steps(session: Session, contact: object) -> tuple[int, object]:
    """SQLite virtual machine steps (in thousands) spent by one sightings_for, and its result."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    ticks = [0]

    def tick() -> int:
        ticks[0] += 1
        return 0

    raw.set_progress_handler(tick, 1000)
    try:
        found = sightings_for(session, [contact], [ME])  # type: ignore[list-item]
    finally:
        raw.set_progress_handler(None, 0)
    return ticks[0], found


def test_owner_mail_elsewhere_costs_sightings_nothing(tmp_path: Path) -> None:
    """The same sightings cost the same work whether the owner sent 0 or 6,000 other mails."""
    engine = open_database(f"sqlite:///{tmp_path / 'touchbase.db'}")
    store = Store(engine)
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    base = [
        _record(1, -200, ME, OLD),
        _record(2, -199, OLD, ME),
        _record(3, -60, "carol@third.example", ME, "mark.breese@newco.example"),
        _record(4, -30, ME, "mbreese@newco.example"),
        _record(5, -20, "mbreese@newco.example", ME),
        # a thread at the new place: enough interactions that an IN list of them is no
        # longer what the planner starts from when the owner's addresses are filtered too
        *(
            _record(100 + n, -50 + n, "carol@third.example", "mark.breese@newco.example")
            for n in range(20)
        ),
    ]
    store.save_page(account, run, Page(base, cursor="1"), T0)
    store.finish_run(run, "ok", T0)
    run = store.start_run(account, T0)
    items = [
        Interaction(1, "mail", MAIL, T0 - timedelta(days=200), (Party(ME, FROM), Party(OLD, TO))),
    ]
    contact = fold(items, Identities.of([ME]), load_policy(), T0)[OLD]
    with engine() as session:
        before, found_before = _steps(session, contact)
    # The owner's everyday mail to other people: none of it is a sighting.
    others = [_record(10 + n, -300 + n / 100, ME, f"p{n % 500}@else.example") for n in range(6000)]
    store.save_page(account, run, Page(others, cursor="2"), T0)
    store.finish_run(run, "ok", T0)  # builds the address index a first sync leaves out
    with engine() as session:
        after, found_after = _steps(session, contact)
    assert found_after == found_before
    short = {s.address: s for s in found_after[OLD]}["mbreese@newco.example"]  # type: ignore[index]
    assert short.written == T0 - timedelta(days=30)
    # The old query walked the owner's 6,005 sent mails through the address index (about 60
    # thousand steps here); reading senders by interaction costs the same few either way.
    assert after <= before + 5, (before, after)


def test_their_own_mail_costs_sightings_nothing(tmp_path: Path) -> None:
    """Their own address lies in their prefixes' index ranges: the ranges are cut around it
    (SQLite), so 6,000 more mails of theirs cost the same work and change nothing found."""
    engine = open_database(f"sqlite:///{tmp_path / 'touchbase.db'}")
    store = Store(engine)
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    base = [
        _record(1, -200, ME, OLD),
        _record(2, -199, OLD, ME),
        _record(3, -60, "carol@third.example", ME, "mark.breese@newco.example"),
        _record(4, -30, ME, "mbreese@newco.example"),
        _record(5, -20, "mbreese@newco.example", ME),
        _record(6, -10, "mark.breesey@other.example", ME),
    ]
    store.save_page(account, run, Page(base, cursor="1"), T0)
    store.finish_run(run, "ok", T0)
    items = [
        Interaction(1, "mail", MAIL, T0 - timedelta(days=200), (Party(ME, FROM), Party(OLD, TO))),
    ]
    contact = fold(items, Identities.of([ME]), load_policy(), T0)[OLD]
    with engine() as session:
        before, found_before = _steps(session, contact)
    run = store.start_run(account, T0)
    theirs = [
        _record(10 + n, -300 + n / 100, *((OLD, ME) if n % 2 else (ME, OLD))) for n in range(6000)
    ]
    store.save_page(account, run, Page(theirs, cursor="2"), T0)
    store.finish_run(run, "ok", T0)
    with engine() as session:
        after, found_after = _steps(session, contact)
    assert found_after == found_before
    assert {s.address for s in found_after[OLD]} == {  # type: ignore[index]
        "mark.breese@newco.example",
        "mbreese@newco.example",
    }
    # Walked through, their 6,000 index entries cost about 30 thousand steps here.
    assert after <= before + 5, (before, after)
