"""Dead addresses from Outlook (issue 18): a bounce-looking message's internetMessageHeaders are
looked up (never its body or attachments); X-Failed-Recipients names the failed address, and an
Exchange NDR's In-Reply-To names the returned message, whose sole recipient failed. Through the
real Graph client against the strict fake, then the store, the rules and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.contract import drain, interactions
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import GraphWorld
from touchbase.agent.cli.main import main
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.base import Flag, InteractionRecord, Role
from touchbase.connectors.bounces import looks_like_bounce, original_ids, sole_recipient

ME = "olivia@owner.example"
JANE = "jane.doe@acme.example"
BOB = "bob@globex.example"
CARL = "carl@initech.example"
EXCHANGE = "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@owner.example"
AT = "2024-06-01T12:00:00+00:00"


def exchange_ndr(fake: FakeGraph, original: str, when: datetime, subject: str) -> None:
    """An Exchange Online NDR as Graph shows it: From "Microsoft Outlook", To the owner, and the
    returned message's id in In-Reply-To and References; the failed address is only in the
    report part (a body Graph hands out whole, never read here)."""
    fake.mailbox.add_message(
        "inbox",
        sender=EXCHANGE,
        to=(ME,),
        subject=f"Undeliverable: {subject}",
        date=when,
        message_id=f"<ndr-{when.timestamp():.0f}@DM6PR.prod.outlook.com>",
        headers=(
            ("X-MS-Exchange-Message-Is-Ndr", ""),
            ("Content-Type", 'multipart/report; report-type="delivery-status"; boundary="_b_"'),
            ("In-Reply-To", original),
            ("References", original),
            ("Auto-Submitted", "auto-replied"),
        ),
    )


@pytest.fixture
def world() -> Iterator[GraphWorld]:
    with FakeGraph() as fake:
        w = GraphWorld(fake)
        yield w
        w.close()


def _failed(records: list[InteractionRecord]) -> dict[str, list[str]]:
    return {r.subject or "": sorted(r.addresses(Role.FAILED)) for r in records}


def test_graph_bounces_name_their_failed_recipient_from_headers_alone(world: GraphWorld) -> None:
    fake, when = world.fake, datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    box = fake.mailbox
    box.add_message(
        "sentitems",
        sender=ME,
        to=(JANE,),
        subject="Lunch next week?",
        date=when - timedelta(minutes=2),
        message_id="<lunch@owner.example>",
    )
    exchange_ndr(fake, "<lunch@owner.example>", when, "Lunch next week?")
    # Sent to two: the NDR's headers cannot say which of them failed.
    box.add_message(
        "sentitems",
        sender=ME,
        to=(BOB,),
        cc=(CARL,),
        subject="Agenda",
        date=when - timedelta(minutes=1),
        message_id="<agenda@owner.example>",
    )
    exchange_ndr(fake, "<agenda@owner.example>", when + timedelta(hours=1), "Agenda")
    box.add_message(
        "inbox",
        sender="mailer-daemon@googlemail.com",
        to=(ME,),
        subject="Delivery Status Notification (Failure)",
        date=when + timedelta(hours=2),
        headers=(("X-Failed-Recipients", CARL),),
    )
    box.add_message(
        "inbox",
        sender="postmaster@promo.example",
        to=(ME,),
        subject="Undeliverable: FREE watches",
        date=when + timedelta(hours=3),
    )
    box.add_message(
        "inbox", sender=BOB, to=(ME,), subject="Re: Agenda", date=when + timedelta(hours=4)
    )
    records = interactions(drain(world.account(), None)[0])
    assert _failed([r for r in records if r.folder == "inbox"]) == {
        "Undeliverable: Lunch next week?": [JANE],
        "Undeliverable: Agenda": [],
        "Delivery Status Notification (Failure)": [CARL],
        "Undeliverable: FREE watches": [],
        "Re: Agenda": [],
    }
    assert all(Flag.AUTOMATED in r.flags for r in records if r.addresses(Role.FAILED))
    paths = fake.paths()
    # Headers of the four bounce-looking messages only, and never a body or an attachment.
    heads = [p for p in paths if "/me/messages/" in p and "/delta" not in p]
    assert len(heads) == 4 and all("internetMessageHeaders" in p for p in heads)
    assert not [p for p in paths if "attachments" in p or "$value" in p or "body" in p.lower()]
    # Both NDRs' originals were looked up by internetMessageId, recipients only.
    originals = [p for p in paths if p.startswith("/v1.0/me/messages?")]
    assert len(originals) == 2 and all("internetMessageId+eq" in p for p in originals)


def test_the_lookups_stay_within_the_budget(world: GraphWorld) -> None:
    for n in range(5):
        world.fake.mailbox.add_message(
            "inbox",
            sender="mailer-daemon@mx.example",
            to=(ME,),
            subject=f"failure notice {n}",
            date=datetime(2024, 3, 5, 9, n, tzinfo=UTC),
            headers=(("X-Failed-Recipients", JANE),),
        )
    records = interactions(drain(world.account(header_lookups=3), None)[0])
    assert sum(bool(r.addresses(Role.FAILED)) for r in records) == 3
    assert sum("internetMessageHeaders" in p for p in world.fake.paths()) == 3


@given(
    st.lists(st.sampled_from([ME, JANE, BOB, CARL, "x"]), max_size=6),
    st.lists(st.sampled_from([ME, "olivia@alias.example"]), max_size=2),
)
def test_sole_recipient_is_the_one_address_outside_the_owners(
    recipients: list[str], own: list[str]
) -> None:
    found = sole_recipient(ME, recipients, own)
    others = {a for a in recipients if "@" in a} - {ME, *own}
    assert found == (next(iter(others)) if len(others) == 1 else None)


def test_what_looks_like_a_bounce_and_which_ids_it_returns() -> None:
    assert looks_like_bounce(EXCHANGE, "Undeliverable: x")
    assert looks_like_bounce("MAILER-DAEMON@mx.example", None)
    assert looks_like_bounce("someone@example.org", "Mail delivery failed: returning message")
    assert not looks_like_bounce("postmaster-fan@example.org", "Hello")
    assert not looks_like_bounce(BOB, "Re: undelivered promises")
    headers = [("In-Reply-To", "<b@x>"), ("References", "<a@x> <b@x>")]
    assert original_ids(headers) == ["<b@x>", "<a@x>"]


# -- end to end: sync into the store -> drafts -> person --------------------------------------


def _friendship(fake: FakeGraph, address: str) -> None:
    """Two-way mail with `address` once a month through 2023 (each its own Message-ID: the
    fake's default ids share a prefix, and the rules drop copies of one message)."""
    for month in range(1, 13):
        day = datetime(2023, month, 2, 10, 0, tzinfo=UTC)
        fake.mailbox.add_message(
            "sentitems",
            sender=ME,
            to=(address,),
            subject=f"lunch plans {month}",
            date=day,
            message_id=f"<o{month}.{address}>",
        )
        fake.mailbox.add_message(
            "inbox",
            sender=address,
            to=(ME,),
            subject=f"Re: plans {month}",
            date=day + timedelta(hours=2),
            message_id=f"<i{month}.{address}>",
        )


def test_end_to_end_no_draft_goes_to_an_address_exchange_said_bounced(
    world: GraphWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = world.fake
    _friendship(fake, JANE)
    _friendship(fake, BOB)
    when = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    fake.mailbox.add_message(
        "sentitems",
        sender=ME,
        to=(JANE,),
        subject="Lunch next week?",
        date=when - timedelta(minutes=2),
        message_id="<lunch@owner.example>",
    )
    exchange_ndr(fake, "<lunch@owner.example>", when, "Lunch next week?")

    db = tmp_path / "t.db"
    store = Store(open_database(sqlite_url(db)))
    account = store.ensure_account("work", "outlook", when)
    result = sync_account(store, account, "work", world.account(), clock=lambda: when)
    assert result.status == "ok" and result.stored == 50, result

    config = tmp_path / "config.toml"
    config.write_text(f'[me]\nname = "Olivia Owner"\naddresses = ["{ME}"]\n')
    base = ["--config", str(config), "--db", sqlite_url(db)]
    assert main([*base, "drafts", "create", "--at", AT, "--json"]) == 0
    drafts = json.loads(capsys.readouterr().out)
    assert any(BOB in json.dumps(d["to"]) for d in drafts)  # the live tie is still drafted
    assert all(JANE not in json.dumps(d["to"]) for d in drafts)
    assert main([*base, "person", JANE, "--json", "--at", AT]) == 0
    person = json.loads(capsys.readouterr().out)
    assert person["undeliverable"] == {JANE: "2024-03-05T09:00:00+00:00"}
    assert [e["kind"] for e in person["events"]] == ["undeliverable"]
    assert any(m["rule"] == "delivery-failure" for m in person["timeline"])
    assert fake.send_attempts() == []
