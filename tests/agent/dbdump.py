"""A database's content without row ids or timestamps of our own: what two runs must agree on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text


def content(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as connection:
        interactions = connection.execute(
            text(
                "select a.name, i.source_id, i.kind, i.occurred_at, i.ended_at, i.subject, "
                'i.message_id, i.in_reply_to, i."references", i.thread_id, i.folder, i.flags, '
                "i.removed_at, i.id from interactions i join accounts a on a.id = i.account_id"
            )
        ).all()
        parties: dict[int, list[tuple[Any, ...]]] = {}
        for row in connection.execute(
            text(
                "select interaction_id, address, role, name, response, resource, optional, "
                "is_self from participants"
            )
        ):
            parties.setdefault(row[0], []).append(tuple(row[1:]))
        quarantine = connection.execute(
            text(
                "select a.name, q.source_id, q.reason from quarantine q "
                "join accounts a on a.id = q.account_id"
            )
        ).all()
        cursors = connection.execute(
            text("select a.name, c.value from cursors c join accounts a on a.id = c.account_id")
        ).all()
    engine.dispose()
    return {
        "interactions": sorted(
            (tuple(str(v) for v in row[:-1]), tuple(sorted(map(str, parties.get(row[-1], [])))))
            for row in interactions
        ),
        "quarantine": sorted(map(tuple, quarantine)),
        "cursors": sorted(map(tuple, cursors)),
    }
