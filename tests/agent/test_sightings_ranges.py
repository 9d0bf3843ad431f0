"""sightings_for on SQLite cuts each prefix's index range around the known addresses inside it
(agent/pipeline/sightings.py `_split_batch`): it must find exactly what the uncut ranges with
the known addresses left out by NOT IN find (PostgreSQL's way), whatever the addresses."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import touchbase.agent.pipeline.sightings as sightings
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role
from touchbase.rules.contacts import Contact

T0 = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
ME = "me@example.com"
# Mailbox names that share prefixes (mark.breese@, markbreese@, mbrees...) and sort around
# one another: a dot, a dash, a digit, a letter after the prefix, an accented one.
LOCALS = ("mark.breese", "markbreese", "mbreese", "mbreesey", "m.breese", "mark-breese", "mbrees")
DOMAINS = ("old.example", "new.example", "a.example", "zz.example", "é.example")
ADDRESSES = st.builds(lambda local, domain: f"{local}@{domain}", st.sampled_from(LOCALS),
                      st.sampled_from(DOMAINS))  # fmt: skip
ROLES = (Role.FROM, Role.TO, Role.CC)

_TEMPLATE: dict[str, Path] = {}


def _fresh(tmp: Path) -> str:
    if "db" not in _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="touchbase-sightings-")) / "template.db"
        open_database(f"sqlite:///{template}").kw["bind"].dispose()
        _TEMPLATE["db"] = template
    tmp.mkdir(parents=True, exist_ok=True)
    target = tmp / f"s-{uuid.uuid4().hex}.db"
    shutil.copy(_TEMPLATE["db"], target)
    return f"sqlite:///{target}"


class Who(NamedTuple):
    """What sightings_for reads of a Contact."""

    person: str
    addresses: tuple[str, ...]


def _contact(person: str, addresses: tuple[str, ...]) -> Contact:
    return cast(Contact, Who(person, addresses))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mails=st.lists(st.tuples(ADDRESSES, ADDRESSES, st.sampled_from(ROLES)), max_size=25),
    people=st.lists(st.lists(ADDRESSES, min_size=1, max_size=3), min_size=1, max_size=4),
)
def test_cut_ranges_find_what_not_in_finds(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mails: list[tuple[str, str, Role]],
    people: list[list[str]],
) -> None:
    sessions = open_database(_fresh(tmp_path))
    store = Store(sessions)
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    records = [
        InteractionRecord(
            source_id=str(n),
            kind=Kind.MAIL,
            occurred_at=T0 + timedelta(hours=n),
            participants=(
                Participant(ME if role is not Role.FROM else a, Role.FROM),
                Participant(b, Role.TO if role is not Role.CC else Role.CC),
                Participant(ME, Role.TO),
            ),
            subject="hello",
            message_id=f"<{n}@x>",
        )
        for n, (a, b, role) in enumerate(mails)
    ]
    store.save_page(account, run, Page(records, cursor="1"), T0)
    store.finish_run(run, "ok", T0)
    contacts = [_contact(f"p{n}", tuple(dict.fromkeys(a))) for n, a in enumerate(people)]
    with sessions() as session:
        cut = sightings.sightings_for(session, contacts, [ME])
        monkeypatch.setattr(sightings, "_binary_order", lambda _session: False)
        whole = sightings.sightings_for(session, contacts, [ME])
    monkeypatch.undo()
    assert cut == whole
    sessions.kw["bind"].dispose()
