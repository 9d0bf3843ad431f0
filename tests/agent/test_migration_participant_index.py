"""Migration 0013 puts the interaction id into the participants' address index (issue 16).

Every read by address wants the interactions the address is on; with the id in the index key,
SQLite answers from the index alone (a covering index) instead of visiting a table row per hit.
Both a migrated database and a new one must end with that shape, and the rows read by address
must be the same before and after.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect, select

from touchbase.agent.pipeline.db import alembic_config, open_database
from touchbase.agent.pipeline.models import ParticipantRow
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _records() -> list[InteractionRecord]:
    return [
        InteractionRecord(
            source_id=str(n),
            kind=Kind.MAIL,
            occurred_at=T0 + timedelta(hours=n),
            participants=(
                Participant("me@x.org", Role.FROM),
                Participant(f"p{n % 3}@y.org", Role.TO),
            ),
            subject=f"Note {n}",
            message_id=f"<{n}@x>",
        )
        for n in range(9)
    ]


def _address_index(engine: object) -> list[str | None]:
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("participants")}
    return list(indexes["ix_participants_address"]["column_names"])


def _on(store: Store, address: str) -> list[int]:
    with store.sessions() as session:
        query = select(ParticipantRow.interaction_id).where(ParticipantRow.address == address)
        return sorted(session.scalars(query))


def test_the_address_index_holds_the_interaction_id_migrated_or_new(db_url: str) -> None:
    sessions = open_database(db_url)
    engine = sessions.kw["bind"]
    assert _address_index(engine) == ["address", "interaction_id"]  # a new database
    store = Store(sessions)
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    store.save_page(account, run, Page(_records(), cursor="1"), T0)
    store.finish_run(run, "ok", T0)
    before = {a: _on(store, a) for a in ("p0@y.org", "p1@y.org", "me@x.org")}
    assert [len(v) for v in before.values()] == [3, 3, 9]

    command.downgrade(alembic_config(engine), "0012")
    assert _address_index(engine) == ["address"]
    command.upgrade(alembic_config(engine), "head")
    assert _address_index(engine) == ["address", "interaction_id"]
    assert {a: _on(store, a) for a in before} == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            plan = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT interaction_id FROM participants WHERE address = ?",
                ("p0@y.org",),
            ).all()
        assert any("COVERING INDEX ix_participants_address" in str(row) for row in plan), plan
    engine.dispose()


def test_a_missing_address_index_is_built_by_the_migration(db_url: str) -> None:
    """A first sync killed before its end leaves the deferred index missing; the upgrade must
    neither fail on it nor leave it missing."""
    sessions = open_database(db_url)
    engine = sessions.kw["bind"]
    command.downgrade(alembic_config(engine), "0012")
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_participants_address")
    command.upgrade(alembic_config(engine), "head")
    assert _address_index(engine) == ["address", "interaction_id"]
    engine.dispose()
