"""Pages stored before any contact state exists (a first sync) carry no dirty marks, and the
state stays exactly a from-scratch fold anyway: the first evaluation folds everyone, and one
that folded while such a page was stored writes nothing (first_sync.unfolded). SQLite, PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.pipeline import contact_state, first_sync
from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.evaluation import contacts_at, identities, policy_for
from touchbase.agent.pipeline.first_sync import UNFOLDED
from touchbase.agent.pipeline.models import ContactDirty, ContactStateHeader
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
OWNER = "olivia@owner.example"
CONFIG = Config(me=Me(name="Olivia", addresses=(OWNER,)), policy={})


def mail(n: int, sender: str, to: str) -> InteractionRecord:
    return InteractionRecord(
        source_id=f"m{n}",
        kind=Kind.MAIL,
        occurred_at=T0 - timedelta(days=n),
        participants=(Participant(sender, Role.FROM), Participant(to, Role.TO)),
        subject=f"Note {n}",
        message_id=f"<m{n}@t.example>",
    )


def save(store: Store, *records: InteractionRecord) -> None:
    account = store.ensure_account("a1", "memory", T0)
    run = store.start_run(account, T0)
    store.save_page(account, run, Page(interactions=list(records), cursor=str(len(records))), T0)
    store.finish_run(run, "ok", T0)


def marks(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(ContactDirty)) or 0


def header(sessions: sessionmaker[Session]) -> tuple[str, int] | None:
    with sessions() as session:
        row = session.get(ContactStateHeader, first_sync._STATE_HEADER)
        return None if row is None else (row.fingerprint, row.generation)


def kept(session: Session) -> dict[str, Any]:
    """The contacts from the persisted state (brought up to date, written when it may)."""
    policy = policy_for(CONFIG, session)
    return contact_state.current(session, policy, identities(session, (OWNER,)), T0)[0]


def kept_and_fresh(sessions: sessionmaker[Session]) -> tuple[dict[str, Any], dict[str, Any]]:
    with sessions() as session:
        state = kept(session)
    with sessions() as session:
        fresh = contacts_at(session, CONFIG, (OWNER,), T0)[1]
    return state, {k: c for k, c in fresh.items() if c.excluded is None}


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    made = open_database(db_url)
    yield made
    made.kw["bind"].dispose()


def test_the_header_row_is_the_contact_states() -> None:
    assert first_sync._STATE_HEADER == contact_state._HEADER


def test_first_sync_pages_are_not_marked_and_the_first_evaluation_folds_them(
    sessions: sessionmaker[Session],
) -> None:
    store = Store(sessions)
    save(store, mail(1, OWNER, "ann@x.org"), mail(2, "bob@y.org", OWNER))
    save(store, mail(3, OWNER, "cy@z.org"))
    assert marks(sessions) == 0
    assert header(sessions) == (UNFOLDED, 2)  # one bump per page
    state_, fresh = kept_and_fresh(sessions)
    assert state_ == fresh and {"ann@x.org", "cy@z.org"} <= set(state_)
    state = header(sessions)
    assert state is not None and state[0] != UNFOLDED
    # Once a state exists, a page's people are marked as always, and refolded.
    save(store, mail(4, "dan@w.org", OWNER))
    assert marks(sessions) > 0
    state_, fresh = kept_and_fresh(sessions)
    assert state_ == fresh and "dan@w.org" in state_


@pytest.mark.parametrize("stored_before", [False, True])
def test_an_evaluation_folding_while_an_unmarked_page_is_stored_writes_nothing(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, stored_before: bool
) -> None:
    """The evaluation reads the interactions, a first-sync page is stored, then it writes: a
    state without that page (and no mark to fix it) must not be kept. With `stored_before`, an
    earlier page left the unfolded header already (the evaluation updates it), else there is
    none (the evaluation inserts it)."""
    store = Store(sessions)
    if stored_before:
        save(store, mail(1, OWNER, "ann@x.org"))
    # The late page's run starts first: a run into an empty store drops the address index,
    # which PostgreSQL would make wait for the evaluation's open transaction.
    account = store.ensure_account("a1", "memory", T0)
    run = store.start_run(account, T0)
    write = contact_state._write

    def late_page_then_write(*args: Any, **kwargs: Any) -> bool:
        late = Page(interactions=[mail(9, "dan@w.org", OWNER)], cursor="late")
        store.save_page(account, run, late, T0)
        return write(*args, **kwargs)

    monkeypatch.setattr(contact_state, "_write", late_page_then_write)
    with sessions() as session:
        early = kept(session)
    monkeypatch.undo()
    store.finish_run(run, "ok", T0)
    assert "dan@w.org" not in early  # folded before the page: right for its moment
    state = header(sessions)
    assert state is not None and state[0] == UNFOLDED  # nothing of the early fold was kept
    state_, fresh = kept_and_fresh(sessions)
    assert state_ == fresh and "dan@w.org" in state_
