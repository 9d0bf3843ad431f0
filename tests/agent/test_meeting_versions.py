"""One event stored through several accounts is one meeting, the newest version standing (issue
14.4, agent/pipeline/meeting_versions.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.history import load_interactions
from touchbase.agent.pipeline.models import InteractionRow
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord as Record
from touchbase.connectors.base import Kind, Page, Role
from touchbase.connectors.base import Participant as P
from touchbase.rules.contacts import fold
from touchbase.rules.people import Identities
from touchbase.rules.policy import load_policy

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
_events = count()


def copy(uid: str, version: str | None, days_ago: int) -> Record:
    start = NOW - timedelta(days=days_ago)
    return Record(
        source_id=uid,
        kind=Kind.MEETING,
        occurred_at=start,
        ended_at=start + timedelta(hours=1),
        participants=(P("me@x.org", Role.ORGANIZER), P("ann@y.org", Role.ATTENDEE)),
        subject=f"Sync {days_ago}",
        version=version,
    )


def standing(store: Store, uid: str) -> list[tuple[str | None, datetime]]:
    """(version, start) of the copies of `uid` not superseded."""
    with store.sessions() as s:
        rows = s.scalars(select(InteractionRow).where(InteractionRow.source_id == uid)).all()
        return [(r.version, r.occurred_at) for r in rows if "superseded" not in r.flags.split(",")]


def save(store: Store, account: str, *records: Record) -> None:
    acc = store.ensure_account(account, "files", NOW)
    store.save_page(acc, store.start_run(acc, NOW), Page(interactions=list(records)), NOW)


def test_an_older_copy_stored_later_in_another_account_does_not_count(db_url: str) -> None:
    store = Store(open_database(db_url))
    save(store, "b", copy("moved@w", "0000000002 ", days_ago=3))
    save(store, "a", copy("moved@w", "0000000001 ", days_ago=8))
    assert standing(store, "moved@w") == [("0000000002 ", NOW - timedelta(days=3))]
    with store.sessions() as s:
        items = load_interactions(s)
    contacts = fold(items, Identities.of(["me@x.org"]), load_policy({}), NOW)
    assert contacts["ann@y.org"].meeting_count == 1
    assert contacts["ann@y.org"].last_met == NOW - timedelta(days=3, hours=-1)
    # The older copy edited to a newer version, re-read by its own account: now it stands.
    save(store, "a", copy("moved@w", "0000000003 ", days_ago=1))
    assert [v for v, _ in standing(store, "moved@w")] == ["0000000003 "]


def test_meetings_without_a_version_are_left_alone(db_url: str) -> None:
    store = Store(open_database(db_url))
    save(store, "gcal", copy("uid-1", None, days_ago=3))
    save(store, "files", copy("uid-1", "0000000001 ", days_ago=8))
    assert len(standing(store, "uid-1")) == 2  # a provider id is no UID: nothing to settle


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcd"), st.integers(0, 3), st.integers(1, 20)),
        min_size=1,
        max_size=8,
    )
)
def test_in_any_order_of_imports_exactly_the_newest_copy_stands(
    db_url: str, saves: list[tuple[str, int, int]]
) -> None:
    """Accounts re-reading their copy (each save is an account's current file) in any order:
    one copy stands, the newest of what each account holds now; on a tie, the first stored."""
    store = Store(open_database(db_url))
    uid = f"e{next(_events)}@w"
    held: dict[str, tuple[str, int]] = {}
    for account, sequence, days_ago in saves:
        version = f"{sequence:010d} "
        save(store, f"{uid}-{account}", copy(uid, version, days_ago))
        held[account] = (version, days_ago)
    stands = standing(store, uid)
    assert len(stands) == 1
    assert stands[0][0] == max(v for v, _ in held.values())
