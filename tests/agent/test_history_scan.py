"""A full scan of the stored interactions reads them with a small SQLite page cache (issue 16:
db.py's 64 MB for ingest only added to a full refold's peak) and gives the connection its
own back, whether the scan ran to its end or was left part-way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from touchbase.agent.pipeline import history
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.history import iter_interactions
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Role
from touchbase.connectors.base import Participant as P

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def _cache(session: object) -> int:
    raw = session.connection().connection.driver_connection  # type: ignore[attr-defined]
    return int(raw.execute("PRAGMA cache_size").fetchone()[0])


def test_a_full_scan_uses_a_small_page_cache_and_restores_it(tmp_path: Path) -> None:
    store = Store(open_database(f"sqlite:///{tmp_path / 'tb.db'}"))
    account = store.ensure_account("a", "memory", NOW)
    run = store.start_run(account, NOW)
    records = [
        InteractionRecord(
            source_id=f"m{n}",
            kind=Kind.MAIL,
            occurred_at=NOW - timedelta(hours=n),
            participants=(P("me@x.org", Role.FROM), P(f"p{n % 7}@y.org", Role.TO)),
            subject="plans",
            message_id=f"<{n}@x.org>",
        )
        for n in range(30)
    ]
    store.save_page(account, run, Page(records), NOW)
    with store.sessions() as session:
        configured = _cache(session)
        assert configured != -history._SCAN_CACHE_KB
        during = []
        items = []
        for item in iter_interactions(session):
            during.append(_cache(session))
            items.append(item)
        assert set(during) == {-history._SCAN_CACHE_KB}
        assert [i.occurred_at for i in items] == sorted(r.occurred_at for r in records)
        assert _cache(session) == configured
        scan = iter_interactions(session)
        next(scan)
        del scan  # left part-way: the generator is closed
        assert _cache(session) == configured
        touching = list(iter_interactions(session, touching={"p1@y.org"}))
        assert len(touching) == 5 and _cache(session) == configured
