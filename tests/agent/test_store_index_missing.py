"""A first sync killed before its end leaves the participants' address index out (it is built
when the run finishes, or at the start of the next run). Meanwhile every reader answers as it
would with the index: an index changes how fast a query runs, never what it returns. SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.evaluation import contacts_at
from touchbase.agent.pipeline.first_sync import build_indexes
from touchbase.agent.pipeline.history import load_interactions
from touchbase.agent.pipeline.rows import PARTICIPANTS
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
OWNER = "olivia@owner.example"
CONFIG = Config(me=Me(name="Olivia", addresses=(OWNER,)), policy={})
PEOPLE = ["ann@x.org", "bob@y.org", "cy@z.org"]


def mail(n: int) -> InteractionRecord:
    other = PEOPLE[n % 3]
    sender, to = (OWNER, other) if n % 2 else (other, OWNER)
    return InteractionRecord(
        source_id=f"m{n}",
        kind=Kind.MAIL,
        occurred_at=T0 - timedelta(days=n),
        participants=(Participant(sender, Role.FROM), Participant(to, Role.TO)),
        subject=f"Note {n}",
        message_id=f"<m{n}@t.example>",
        in_reply_to=f"<m{n + 1}@t.example>" if n % 4 == 0 else None,
    )


def has_index(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        names = {i["name"] for i in inspect(session.connection()).get_indexes(PARTICIPANTS.name)}
    return "ix_participants_address" in names


def answers(sessions: sessionmaker[Session]) -> dict[str, Any]:
    with sessions() as session:
        return {
            "ann": load_interactions(session, touching={"ann@x.org"}),
            "ann+threads": load_interactions(session, touching={"ann@x.org"}, threads=True),
            "all": load_interactions(session),
            "bob": contacts_at(session, CONFIG, (OWNER,), T0, touching={"bob@y.org"})[1],
            "everyone": contacts_at(session, CONFIG, (OWNER,), T0)[1],
        }


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    made = open_database(db_url)
    yield made
    made.kw["bind"].dispose()


def test_readers_answer_the_same_while_a_killed_first_sync_left_the_index_out(
    sessions: sessionmaker[Session],
) -> None:
    store = Store(sessions)
    account = store.ensure_account("a1", "memory", T0)
    run = store.start_run(account, T0)  # an empty store: the index is left out
    for page in range(3):
        records = [mail(n) for n in range(page * 10, page * 10 + 10)]
        store.save_page(account, run, Page(interactions=records, cursor=str(page)), T0)
    # Killed here: finish_run never comes.
    assert not has_index(sessions)
    without = answers(sessions)
    assert without["ann"] and "bob@y.org" in without["bob"]
    with sessions.begin() as session:
        build_indexes(session.connection())
    assert has_index(sessions)
    assert answers(sessions) == without


def test_the_next_run_builds_the_index_before_its_first_page(
    sessions: sessionmaker[Session],
) -> None:
    store = Store(sessions)
    account = store.ensure_account("a1", "memory", T0)
    run = store.start_run(account, T0)
    store.save_page(account, run, Page(interactions=[mail(1)], cursor="1"), T0)
    assert not has_index(sessions)
    store.start_run(account, T0)  # the restart: the store is not empty
    assert has_index(sessions)
