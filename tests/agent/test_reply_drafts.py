"""Reply drafts end to end (issue 11, H5): a Maildir imported through the real CLI, the plan from
the store (agent/pipeline/drafts/owed.py reads each owed message's headers), drafts created.

Each correspondent has a history with the owner (two exchanges each way), then writes last:
only the ones whose mail deserves an answer get a reply draft, in their thread.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.agent.draftfixtures import exchanges
from touchbase.agent.cli.main import main
from touchbase.agent.demo.mailbox import OWNER, OWNER_NAME, _Writer
from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.pipeline.models import Draft
from touchbase.agent.service import Service

NOW = datetime(2025, 6, 12, 15, 0, tzinfo=UTC)  # a Thursday
ME = (OWNER_NAME, OWNER)
ANN = ("Ann Lee", "ann.lee@acme.example")  # asks the owner alone: a reply
BOB = ("Bob Ray", "bob.ray@acme.example")  # his mail was forwarded on by the owner: handled
CAT = ("Cat Poe", "cat.poe@acme.example")  # answers the owner's own question: nothing asked
DAN = ("Dan Fox", "dan.fox@acme.example")  # the owner is only in Cc, To someone else
EVE = ("Eve Kim", "eve.kim@acme.example")  # to the owner's other mailbox, Cc the owner: a reply
FAY = ("Fay Orr", "fay.orr@acme.example")  # a joke forwarded: nothing to answer
HAL = ("Hal Moss", "hal.moss@acme.example")  # forwarded from the owner's personal mailbox
HOME = (OWNER_NAME, "owner.at.home@mail.example")  # carries the owner's name, not configured


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Service:
    """The mailbox imported into SQLite and into PostgreSQL (owed.py's queries run on both)."""
    folder = tmp_path / "replies"
    w = _Writer(folder / "Maildir", random.Random(5))
    for who in (ANN, BOB, CAT, DAN, EVE, FAY, HAL):
        exchanges(w, ME, who, NOW)
    asked = NOW - timedelta(days=6)  # a Friday: four business days before NOW
    w.write(ANN, [ME], "RE: RE: Budget for the Lisbon office", asked, body="Can you?\n")
    w.write(BOB, [ME], "Quarterly volumes", asked, body="Numbers\n")
    w.write(
        ME,
        [("Gus", "gus@acme.example")],
        "FW: Quarterly volumes",
        asked + timedelta(hours=1),
        body="Gus?\n",
    )
    mine = w.write(ME, [CAT], "Venue options", asked - timedelta(days=2), body="Which one?\n")
    w.write(CAT, [ME], "Re: Venue options", asked, body="The second.\n", parent=mine)
    w.write(DAN, [("Gus", "gus@acme.example")], "Venue budget", asked, body="Gus,\n", cc=[ME])
    w.write(
        EVE, [("Alex", "alex.morgan@home.example")], "Board seat", asked, body="Alex,\n", cc=[ME]
    )
    w.write(FAY, [ME], "Fw: too funny", asked, body="Ha\n")
    # The owner passed Hal's request from his personal mailbox to his work one (allen-p: a
    # builder's request forwarded from "phillip allen" <pallen70@hotmail.com>): handled.
    w.write(HAL, [ME], "Lease renewal", asked, body="Sign?\n")
    w.write(HOME, [ME], "Fwd: Lease renewal", asked + timedelta(hours=20), body="Fwd\n")
    db = db_url
    assert main(["--db", db, "import", str(folder / "Maildir"), "--me", OWNER]) == 0
    config = Config(me=Me(name=OWNER_NAME, addresses=(OWNER,)), database_url=db)
    return Service(config, db)


def test_only_mail_that_asks_the_owner_gets_a_reply_in_its_thread(service: Service) -> None:
    plan = service.people(NOW).plan
    replies = {d.address: d for d in plan.decisions if d.kind == "reply"}
    assert set(replies) == {ANN[1], EVE[1]}
    ann = replies[ANN[1]]
    assert ann.reply_to is not None
    assert ann.reply_to.subject == "RE: RE: Budget for the Lisbon office"
    assert any("you answer them" in r for r in ann.reasons)
    made = service.apply(plan, NOW)
    with service.sessions() as session:
        drafts = [session.get(Draft, i) for i in made.created]
        mine = [d for d in drafts if d is not None and d.kind == "reply"]
        draft = next(d for d in mine if ANN[1] in d.to_addresses)
        assert draft.subject == "Re: Budget for the Lisbon office"
        assert draft.in_reply_to == ann.reply_to.message_id
        assert draft.references and draft.references.split()[-1] == draft.in_reply_to
        assert draft.body.startswith("Hi Ann,\n") and draft.body.rstrip().endswith("\nAlex")
        assert "the budget for the Lisbon office" in draft.body  # as a sentence says it
        assert "sorry" not in draft.body.lower()
