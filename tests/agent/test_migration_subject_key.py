"""Migration 0012 gives stored mail the subject key the store writes at insert (issue 16).

The reply lookups find mail by the key alone (agent/pipeline/drafts/owed.py), so a row whose
key differs from what subject_key gives its subject would never be found: the backfill (an SQL
function on SQLite, batches joined in on PostgreSQL) must agree with the store, row for row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect, select, update

from touchbase.agent.pipeline.db import alembic_config, open_database
from touchbase.agent.pipeline.models import InteractionRow
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.subject_keys import subject_key
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role
from touchbase.rules.threads import strip_subject

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
SUBJECTS = (
    "Budget",
    "RE: re:  Budget",
    "Fwd: Budget for  Lisbon",
    "Ünïcode Straße",
    "Re:",  # nothing left once stripped: no key
    "   ",
    "",
    None,
    "Re[2]: tab\tand\u00a0space",
)


def _records() -> list[InteractionRecord]:
    return [
        InteractionRecord(
            source_id=str(n),
            kind=Kind.MEETING if n % 4 == 3 else Kind.MAIL,
            occurred_at=T0 + timedelta(hours=n),
            ended_at=T0 + timedelta(hours=n, minutes=30) if n % 4 == 3 else None,
            participants=(Participant("me@x.org", Role.FROM), Participant("ann@y.org", Role.TO)),
            subject=subject,
            message_id=f"<{n}@x>",
        )
        for n, subject in enumerate(SUBJECTS * 3)
    ]


def _keys(store: Store) -> dict[str | None, set[int | None]]:
    with store.sessions() as session:
        rows = session.execute(select(InteractionRow.subject, InteractionRow.subject_key)).all()
    found: dict[str | None, set[int | None]] = {}
    for subject, key in rows:
        found.setdefault(subject, set()).add(key)
    return found


def test_the_store_and_the_migration_give_every_row_its_subject_key(db_url: str) -> None:
    sessions = open_database(db_url)
    store = Store(sessions)
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    store.save_page(account, run, Page(_records(), cursor="1"), T0)
    store.finish_run(run, "ok", T0)
    expected = {subject: {subject_key(subject)} for subject in SUBJECTS}
    assert _keys(store) == expected  # at insert
    assert {s: k for s, (k,) in expected.items() if k is None} == {
        s: None for s in SUBJECTS if not strip_subject(s)
    }
    engine = sessions.kw["bind"]
    command.downgrade(alembic_config(engine), "0011")
    assert "subject_key" not in {c["name"] for c in inspect(engine).get_columns("interactions")}
    command.upgrade(alembic_config(engine), "head")
    assert _keys(store) == expected  # backfilled
    indexes = {index["name"] for index in inspect(engine).get_indexes("interactions")}
    assert "ix_interactions_subject_key" in indexes
    # A row written outside the store gets its key from the column's default.
    with sessions.begin() as session:
        session.execute(update(InteractionRow).values(subject_key=None))
        session.add(
            InteractionRow(
                account_id=account,
                source_id="orm",
                kind="mail",
                occurred_at=T0,
                subject="Re: Budget",
                stored_at=T0,
            )
        )
    with sessions() as session:
        added = session.scalar(select(InteractionRow).where(InteractionRow.source_id == "orm"))
        assert added is not None and added.subject_key == subject_key("Budget")
    engine.dispose()
