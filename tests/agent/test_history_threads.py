"""A person page's read (history.load_with_threads) loads exactly what a refold's does
(load_interactions with threads): their own interactions and the rest of their threads."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from tests.agent.draftfixtures import NOW, store_interactions
from touchbase.agent.pipeline import thread_mates
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.history import load_interactions, load_with_threads
from touchbase.connectors.base import InteractionRecord, Kind, Participant, Role

PEOPLE = [f"p{n}@example.com" for n in range(10)]


def _tangle(seed: int, count: int = 240) -> list[InteractionRecord]:
    """Mail in threads that cross people: replies by In-Reply-To and References to earlier
    messages (some never stored), provider thread ids shared across people, a message's copies
    under one Message-ID, and meetings whose calendar UID is an id some mail replies to."""
    rnd = random.Random(seed)
    ids: list[str] = ["<lost@example.com>"]  # a parent never stored
    records = []
    for n in range(count):
        at = NOW - timedelta(hours=count - n)
        people = rnd.sample(PEOPLE, rnd.choice((1, 1, 2, 3)))
        parties = (
            Participant(people[0], Role.FROM),
            *(Participant(p, Role.TO) for p in people[1:]),
        )
        if n % 17 == 0:
            uid = rnd.choice(ids)  # a meeting under a mail's id: no thread mate of anyone
            records.append(
                InteractionRecord(
                    f"e{n}", Kind.MEETING, at, parties, "Sync", at + timedelta(minutes=30), uid
                )
            )
            continue
        mid = rnd.choice(ids) if n % 23 == 0 else f"<{n}@example.com>"  # a copy now and then
        reply = rnd.choice(ids) if rnd.random() < 0.5 else None
        refs = tuple(rnd.sample(ids, min(len(ids), rnd.choice((0, 0, 1, 2)))))
        thread = f"t{rnd.randrange(12)}" if rnd.random() < 0.3 else None
        records.append(
            InteractionRecord(
                f"m{n}",
                Kind.MAIL,
                at,
                parties,
                f"Re: topic {n % 7}",
                message_id=mid,
                in_reply_to=reply,
                references=refs,
                thread_id=thread,
            )
        )
        ids.append(mid)
    return records


@pytest.mark.parametrize("chunk", [900, 3])
def test_a_person_page_reads_what_a_refold_reads(
    db_url: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thread_mates, "_IDS", chunk)  # 3: every IN list split, as at 1M
    sessions = open_database(db_url)
    # Two tangles in two accounts: the same Message-IDs in both (copies, or a reused id).
    store_interactions(sessions, _tangle(5))
    store_interactions(sessions, _tangle(11, 160), account="other")
    with sessions() as session:
        for n, address in enumerate(PEOPLE):
            touching = [address, PEOPLE[(n + 3) % len(PEOPLE)]] if n % 2 else [address]
            read = load_with_threads(session, touching)
            assert read == load_interactions(session, touching=touching, threads=True)
            # Something of others' threads came too, or the comparison proves little.
            assert len(read) > len(load_interactions(session, touching=touching))
        assert load_with_threads(session, ["nobody@example.com"]) == []
