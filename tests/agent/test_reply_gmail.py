"""Reply drafts for Gmail addresses written with dots (issue 16 review of owed.py).

Gmail ignores dots and +tags in its local parts, so touchbase compares addresses in normal form
(rules/addresses.normalise: "Jane.Doe@gmail.com" is "janedoe@gmail.com"). The store keeps each
address as the header wrote it. The reply lookups (agent/pipeline/drafts/owed.py) compare the
stored form with the normal form of the owner's and the person's addresses: a person writing
from a dotted Gmail address must still get their reply, and one answering the owner's own mail
must still be seen as answering it, whichever of them writes with dots.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.agent.draftfixtures import exchanges
from touchbase.agent.cli.main import main
from touchbase.agent.demo.mailbox import _Writer
from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.service import Service

NOW = datetime(2025, 6, 12, 15, 0, tzinfo=UTC)  # a Thursday
ME = ("Jane Doe", "Jane.Doe@gmail.com")
ANN = ("Ann Lee", "Ann.Lee@gmail.com")  # asks the owner alone: a reply
CAT = ("Cat Poe", "cat.poe@gmail.com")  # answers the owner's question (by its subject): nothing
DON = ("Don Hay", "d.o.n.hay@gmail.com")  # answers the owner's question (In-Reply-To): nothing


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Service:
    folder = tmp_path / "gmail"
    w = _Writer(folder / "Maildir", random.Random(5))
    for who in (ANN, CAT, DON):
        exchanges(w, ME, who, NOW)
    asked = NOW - timedelta(days=6)
    w.write(ANN, [ME], "Budget for the Lisbon office", asked, body="Can you?\n")
    # The owner's mail is stored without the dots the configured address has.
    w.write(
        ("Jane Doe", "janedoe@gmail.com"),
        [CAT],
        "Venue options",
        asked - timedelta(days=2),
        body="?\n",
    )
    w.write(CAT, [ME], "Re: Venue options", asked, body="The second.\n")
    mine = w.write(
        ME, [("Don Hay", "donhay@gmail.com")], "Which room", asked - timedelta(days=1), body="?\n"
    )
    w.write(DON, [ME], "Re: Which room", asked, body="The big one.\n", parent=mine)
    assert main(["--db", db_url, "import", str(folder / "Maildir"), "--me", ME[1]]) == 0
    config = Config(me=Me(name=ME[0], addresses=(ME[1],)), database_url=db_url)
    return Service(config, db_url)


def test_dotted_gmail_addresses_get_their_reply_and_answers_are_seen(service: Service) -> None:
    plan = service.people(NOW).plan
    replies = {d.address: d for d in plan.decisions if d.kind == "reply"}
    assert set(replies) == {"annlee@gmail.com"}, replies
    ann = replies["annlee@gmail.com"]
    assert ann.reply_to is not None and ann.reply_to.subject == "Budget for the Lisbon office"
