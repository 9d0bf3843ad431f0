"""agent/pipeline/sightings.py on SQLite and PostgreSQL: the addresses seen in headers under a
due person's prefixes, with first/last seen, their mail from it and the owner's mail to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.sightings import prefixes, sightings_for
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role
from touchbase.rules.contacts import fold
from touchbase.rules.people import Identities
from touchbase.rules.policy import load_policy
from touchbase.rules.types import FROM, MAIL, TO, Interaction, Party

ME = "me@example.com"
OLD = "mark.breese@oldco.example"
T0 = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)


def _record(n: int, days: float, sender: str, *to: str) -> InteractionRecord:
    return InteractionRecord(
        source_id=str(n),
        kind=Kind.MAIL,
        occurred_at=T0 + timedelta(days=days),
        participants=(Participant(sender, Role.FROM), *(Participant(a, Role.TO) for a in to)),
        message_id=f"<{n}@x>",
        subject="hello",
    )


def test_sightings_find_their_addresses_elsewhere_with_who_wrote_when(db_url: str) -> None:
    engine = open_database(db_url)
    store = Store(engine)
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    page = Page(
        [
            _record(1, -200, ME, OLD),
            _record(2, -199, OLD, ME),
            # a third party's farewell with the new address among its recipients
            _record(3, -60, "carol@third.example", ME, "mark.breese@newco.example"),
            # the owner writes to s + the first letters of the surname at the new place
            _record(4, -30, ME, "mbreese@newco.example"),
            _record(5, -20, "mbreese@newco.example", ME),
            # a different mailbox name sharing the prefix of the index range: not theirs
            _record(6, -10, "mark.breesey@other.example", ME),
        ],
        cursor="1",
    )
    store.save_page(account, run, page, T0)
    items = [
        Interaction(1, "mail", MAIL, T0 - timedelta(days=200), (Party(ME, FROM), Party(OLD, TO))),
    ]
    contact = fold(items, Identities.of([ME]), load_policy(), T0)[OLD]
    assert prefixes(contact) == {"mark.breese@", "markbreese@", "mbrees"}
    with engine() as session:
        found = sightings_for(session, [contact], [ME])
    seen = {s.address: s for s in found[OLD]}
    assert set(seen) == {"mark.breese@newco.example", "mbreese@newco.example"}
    moved = seen["mark.breese@newco.example"]
    assert (moved.first_seen, moved.wrote, moved.written) == (T0 - timedelta(days=60), None, None)
    short = seen["mbreese@newco.example"]
    assert short.written == T0 - timedelta(days=30) and short.wrote == T0 - timedelta(days=20)
    assert short.in_touch == T0 - timedelta(days=20)
