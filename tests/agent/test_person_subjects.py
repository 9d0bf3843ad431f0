"""A person's timeline carries each interaction's own subject, noted as the fold reads the
interactions: no statement reads them again however long the history (issue 16: the busiest
person of bench/rules.py's 1M interactions has 35,117, which were read as eight id lists of
5,000, then in one statement)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from tests.agent.draftfixtures import ME, NOW, mail, store_interactions
from touchbase.agent.pipeline.config import Config
from touchbase.agent.service import Service

OWNER = ME.addresses[0]
LONG = 5_200  # past one id list of the old reader (5,000)


@contextmanager
def subject_reads(service: Service) -> Iterator[list[str]]:
    """The statements that read subjects by interaction id, as they are sent."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("SELECT interactions.id, interactions.subject"):
            seen.append(statement)

    event.listen(service.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(service.engine, "before_cursor_execute", note)


def test_a_long_history_has_every_subject_without_reading_them_again(db_url: str) -> None:
    service = Service(Config(me=ME), db_url, lambda: NOW)
    start = NOW - timedelta(days=3 * 365)
    step = timedelta(days=3 * 365) / LONG
    records = [
        mail(n, start + n * step, sender=OWNER, to=["ada@example.com"], subject=f"Budget {n}")
        if n % 2
        else mail(n, start + n * step, sender="ada@example.com", to=[OWNER], subject=f"Re: {n}")
        for n in range(LONG)
    ]
    # Someone else's mail, with its own subject, at a moment of its own.
    records.append(mail(LONG, NOW - timedelta(days=2), sender=OWNER, to=["bob@example.com"]))
    store_interactions(service.sessions, records)
    expected = {r.occurred_at: r.subject for r in records[:LONG]}

    with subject_reads(service) as reads:
        view = service.person("Ada@Example.com", NOW)

    assert len(view.timeline) == LONG
    assert {m.at: m.subject for m in view.timeline} == expected
    assert reads == []  # the old readers sent one statement per 5,000 ids, then one
