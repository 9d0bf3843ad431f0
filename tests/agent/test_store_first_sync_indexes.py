"""Which indexes a first sync leaves out, and when it must not (issue 16). An empty store with no
contact state folded takes its first pages without the participants' address index and the
interactions' Message-ID, In-Reply-To, thread and date indexes, and gets them back when the run
ends; a store whose state was folded (before the sync, or during it) keeps them for the pages
that mark their people, whose thread look-ups use them. Readers answer the same either way.
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, update
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import need
from tests.servers.postgres import PostgresServer
from touchbase.agent.pipeline import contact_state, first_sync
from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.evaluation import contacts_at, identities, policy_for
from touchbase.agent.pipeline.first_sync import DEFERRED_INDEXES
from touchbase.agent.pipeline.models import ContactStateHeader
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
OWNER = "olivia@owner.example"
CONFIG = Config(me=Me(name="Olivia", addresses=(OWNER,)), policy={})
LEFT_OUT = {
    "ix_participants_address",
    "ix_interactions_message_id",
    "ix_interactions_in_reply_to",
    "ix_interactions_thread_id",
    "ix_interactions_occurred_at",
    "ix_interactions_subject_key",
}


def mail(n: int) -> InteractionRecord:
    other = ("ann@x.org", "bob@y.org", "cy@z.org")[n % 3]
    sender, to = (OWNER, other) if n % 2 else (other, OWNER)
    return InteractionRecord(
        source_id=f"m{n}",
        kind=Kind.MAIL,
        occurred_at=T0 - timedelta(days=n),
        participants=(Participant(sender, Role.FROM), Participant(to, Role.TO)),
        subject=f"Note {n}",
        message_id=f"<m{n}@t.example>",
        in_reply_to=f"<m{n + 1}@t.example>" if n % 2 else None,
    )


def present(sessions: sessionmaker[Session]) -> set[str]:
    """Which of LEFT_OUT exist now."""
    with sessions() as session:
        inspector = inspect(session.connection())
        names = {
            index["name"]
            for table in ("participants", "interactions")
            for index in inspector.get_indexes(table)
        }
    return names & LEFT_OUT


def fold(sessions: sessionmaker[Session]) -> None:
    """An evaluation: the contact state is folded and written (its header's fingerprint)."""
    with sessions() as session:
        policy = policy_for(CONFIG, session)
        contact_state.current(session, policy, identities(session, (OWNER,)), T0)
    with sessions() as session:
        row = session.get(ContactStateHeader, first_sync._STATE_HEADER)
        assert row is not None and row.fingerprint != first_sync.UNFOLDED


def page(store: Store, account: int, run: int, numbers: range) -> None:
    records = [mail(n) for n in numbers]
    store.save_page(account, run, Page(interactions=records, cursor=str(numbers.stop)), T0)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    made = open_database(db_url)
    yield made
    made.kw["bind"].dispose()


def test_the_deferred_indexes_are_the_ones_named() -> None:
    assert {index.name for index in DEFERRED_INDEXES} == LEFT_OUT


def test_a_first_sync_into_an_unfolded_store_leaves_them_out_until_it_ends(
    sessions: sessionmaker[Session],
) -> None:
    store = Store(sessions)
    account = store.ensure_account("a1", "memory", T0)
    assert present(sessions) == LEFT_OUT
    run = store.start_run(account, T0)
    assert present(sessions) == set()
    page(store, account, run, range(0, 10))
    page(store, account, run, range(10, 20))
    assert present(sessions) == set()
    store.finish_run(run, "ok", T0)
    assert present(sessions) == LEFT_OUT


def test_a_store_folded_before_its_first_sync_keeps_them(
    sessions: sessionmaker[Session],
) -> None:
    """`touchbase plan` before any sync folds an empty state: the first sync's pages mark their
    people, and those marks look threads up by Message-ID."""
    store = Store(sessions)
    account = store.ensure_account("a1", "memory", T0)
    fold(sessions)
    run = store.start_run(account, T0)
    assert present(sessions) == LEFT_OUT
    page(store, account, run, range(0, 10))
    assert present(sessions) == LEFT_OUT
    store.finish_run(run, "ok", T0)


def test_a_state_folded_during_a_first_sync_gets_them_back_before_the_next_page(
    sessions: sessionmaker[Session],
) -> None:
    store = Store(sessions)
    account = store.ensure_account("a1", "memory", T0)
    run = store.start_run(account, T0)
    page(store, account, run, range(0, 10))
    assert present(sessions) == set()
    fold(sessions)  # an evaluation between two pages writes its state
    page(store, account, run, range(10, 20))
    assert present(sessions) == LEFT_OUT
    store.finish_run(run, "ok", T0)
    with sessions() as session:
        everyone = contacts_at(session, CONFIG, (OWNER,), T0)[1]
    assert {"ann@x.org", "bob@y.org", "cy@z.org"} <= set(everyone)


def test_readers_answer_the_same_without_them(sessions: sessionmaker[Session]) -> None:
    """A first sync killed half-way leaves them out; every reader answers as it will once they
    are built."""
    store = Store(sessions)
    account = store.ensure_account("a1", "memory", T0)
    run = store.start_run(account, T0)
    page(store, account, run, range(0, 30))
    assert present(sessions) == set()  # killed here: finish_run never comes

    def answers() -> object:
        with sessions() as session:
            return contacts_at(session, CONFIG, (OWNER,), T0)[1]

    without = answers()
    restarted = store.start_run(account, T0)  # the restart builds them first
    assert present(sessions) == LEFT_OUT
    assert answers() == without
    store.finish_run(restarted, "ok", T0)


def test_the_restart_of_a_folded_store_does_not_drop_them(
    sessions: sessionmaker[Session],
) -> None:
    store = Store(sessions)
    account = store.ensure_account("a1", "memory", T0)
    run = store.start_run(account, T0)
    page(store, account, run, range(0, 5))
    store.finish_run(run, "ok", T0)
    with sessions.begin() as session:
        session.execute(
            update(ContactStateHeader).values(fingerprint=first_sync.UNFOLDED)
        )  # unfolded, but not empty: nothing to leave out
    again = store.start_run(account, T0)
    assert present(sessions) == LEFT_OUT
    store.finish_run(again, "ok", T0)


def test_runs_starting_at_once_take_turns_at_the_indexes(postgres: PostgresServer | None) -> None:
    """Two runs starting at once on an empty store (PostgreSQL): the second waits for the
    first's whole look-and-change (an advisory lock until the transaction ends) instead of each
    reading the table and then asking for ACCESS EXCLUSIVE on it, which deadlocked on a fresh CI
    run. Shown without timing: while the first holds its turn, the second is a waiting lock.
    (SQLite's write lock, taken by the run's first write, already serialises them.)"""
    import threading

    from sqlalchemy import text

    need(postgres is not None, "PostgreSQL is not installed (apt-get install postgresql)")
    assert postgres is not None
    engine = open_database(postgres.new_database()).kw["bind"]
    done = threading.Event()

    def second() -> None:
        with engine.connect() as other, other.begin():
            first_sync.defer_or_build_indexes(other)
        done.set()

    thread = threading.Thread(target=second)
    with engine.connect() as first, first.begin():
        first_sync.defer_or_build_indexes(first)
        thread.start()
        with engine.connect() as watch:
            waiting = 0
            for _ in range(600):  # until the second run is seen waiting (or 60 s)
                waiting = watch.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND NOT granted AND classid = :c"
                    ),
                    {"c": first_sync.INDEX_CLASS},
                ).scalar_one()
                if waiting:
                    break
                done.wait(0.1)
        assert waiting == 1 and not done.is_set()
    thread.join(30)
    assert done.is_set()
