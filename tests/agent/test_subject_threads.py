"""Which subject threads new mail moves (moved_subjects): mark_page marks the people of a
subject thread only when a new message comes first in it, or a reply joins a thread a new
message began, so that a common subject is not read at every message under it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.agent.draftfixtures import NOW, mail, store_interactions
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.thread_mates import moved_subjects, thread_mates
from touchbase.connectors.base import Flag

OWNER = "me@example.com"


@pytest.fixture
def sessions(db_url: str) -> Iterator[Any]:
    made = open_database(db_url)
    yield made
    made.kw["bind"].dispose()


def test_only_mail_that_can_change_a_subject_thread_moves_it(sessions: Any, db_url: str) -> None:
    day = timedelta(days=1)
    store_interactions(
        sessions,
        [
            mail(1, NOW - 10 * day, sender="a@x.org", to=[OWNER], subject="Re: catching up"),
            mail(2, NOW - 9 * day, sender="b@x.org", to=[OWNER], subject="RE: Catching  up"),
            mail(3, NOW - 5 * day, sender="b@x.org", to=[OWNER], subject="Hello"),
            mail(4, NOW - 7 * day, sender=OWNER, to=["c@x.org"], subject="Budget"),
            mail(
                5,
                NOW - 20 * day,
                sender=OWNER,
                to=["d@x.org"],
                subject="Lunch",
                flags=frozenset({Flag.DRAFT}),
            ),
            mail(6, NOW - 3 * day, sender="d@x.org", to=[OWNER], subject="Lunch"),
        ],
    )
    with sessions() as session:
        connection = session.connection()
        moved = moved_subjects(
            connection,
            [
                ("catching up", NOW - day, True),  # a thread begun by a reply: nobody's
                ("hello", NOW - day, False),  # a new message after the first
                ("budget", NOW - day, True),  # a reply in a thread a new message began
                ("lunch", NOW - 4 * day, False),  # first: the draft does not count
                ("unheard of", NOW, False),  # nothing stored: nobody else to mark
            ],
        )
        assert moved == {"budget", "lunch"}
        # Before the thread's first: a new message may start it (the owner's) ...
        assert moved_subjects(connection, [("catching up", NOW - 11 * day, False)]) == {
            "catching up"
        }
        # ... a reply begins it as the reply after it did: nobody's.
        assert moved_subjects(connection, [("catching up", NOW - 11 * day, True)]) == set()
        # A reply first where a new message began: the owner's thread becomes nobody's.
        assert moved_subjects(connection, [("hello", NOW - 6 * day, True)]) == {"hello"}
        # Both replies under the subject, whatever their prefix and spacing; not "Hello".
        assert len(thread_mates(connection, [], [], ["catching up"])) == 2
