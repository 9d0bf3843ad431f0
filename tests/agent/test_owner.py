"""The owner's addresses, end to end: found in an imported mailbox's Sent folder, reported with
the evidence, used by every count, offered when unsure, accepted or declined in one command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from touchbase.agent.cli.main import main
from touchbase.agent.pipeline.config import load_config
from touchbase.agent.service import Service

ME, OLD, ASSISTANT, BOB = "me@work.example", "me@old.example", "pa@work.example", "bob@x.example"
T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)


def _write(folder: Path, n: int, sender: str, to: str, when: datetime, subject: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{n}.eml").write_text(
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {format_datetime(when)}\n"
        f"Message-ID: <{n}@test>\n\nbody\n"
    )


@pytest.fixture
def mailbox(tmp_path: Path) -> Path:
    """A Maildir tree: the owner wrote from two addresses, an assistant twice; Bob wrote back."""
    root = tmp_path / "mail"
    sent, inbox = root / "Sent" / "cur", root / "INBOX" / "cur"
    n = 0
    for day in range(40):
        n += 1
        sender = OLD if day < 15 else ME  # an old address, then the new one
        _write(sent, n, sender, BOB, T0 + timedelta(days=day), f"plan {day}")
        n += 1
        _write(inbox, n, BOB, sender, T0 + timedelta(days=day, hours=2), f"Re: plan {day}")
    for day in (3, 9):
        n += 1
        _write(sent, n, ASSISTANT, "carol@y.example", T0 + timedelta(days=day), "room booking")
    return root


def cli(tmp_path: Path, *args: str) -> list[str]:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text(f'[me]\nname = "Pat Me"\naddresses = ["{ME}"]\n')
    return ["--config", str(config), "--db", f"sqlite:///{tmp_path / 'tb.db'}", *args]


def test_an_import_learns_the_old_address_and_offers_the_assistants(
    tmp_path: Path, mailbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(tmp_path, "import", str(mailbox))) == 0
    out = capsys.readouterr().out
    assert f"learned: {OLD} is yours (sent 15 of the 42 messages in your Sent folders)" in out
    assert f"maybe yours: {ASSISTANT}" in out and f"touchbase me add {ASSISTANT}" in out
    assert main(cli(tmp_path, "me", "--json")) == 0
    me = json.loads(capsys.readouterr().out)
    assert me["addresses"] == [ME, OLD]
    assert [e["address"] for e in me["learned"]] == [OLD]
    assert [o["address"] for o in me["offered"]] == [ASSISTANT]
    # Counting uses the learned address: the old address is no person, Bob's mail to it is.
    assert main(cli(tmp_path, "people", "--json", "--at", "2024-05-01T00:00:00+00:00")) == 0
    people = {p["address"]: p for p in json.loads(capsys.readouterr().out)}
    assert OLD not in people
    assert people[BOB]["exchanges_out"] == 40 and people[BOB]["relationship"] == "exchanges"


def test_offers_are_accepted_or_declined_in_one_command(
    tmp_path: Path, mailbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(tmp_path, "import", str(mailbox))) == 0
    assert main(cli(tmp_path, "me", "remove", OLD)) == 0
    assert main(cli(tmp_path, "me", "add", ASSISTANT)) == 0
    capsys.readouterr()
    assert main(cli(tmp_path, "me", "--json")) == 0
    me = json.loads(capsys.readouterr().out)
    assert me["addresses"] == [ME, ASSISTANT]
    assert me["declined"] == [OLD] and me["offered"] == []
    assert main(cli(tmp_path, "people", "suggestions", "--json")) == 0
    assert OLD not in capsys.readouterr().out  # a declined address is never offered again
    assert main(cli(tmp_path, "me", "remove", ME)) == 2  # configured: edited in the file
    assert "[me] addresses" in capsys.readouterr().err


def test_learning_can_be_turned_off_and_then_only_offers(
    tmp_path: Path, mailbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text(f'[me]\naddresses = ["{ME}"]\nlearn_addresses = false\n')
    assert main(cli(tmp_path, "import", str(mailbox))) == 0
    out = capsys.readouterr().out
    assert "learned:" not in out and f"maybe yours: {OLD}" in out
    assert main(cli(tmp_path, "people", "suggestions")) == 0
    assert f"{OLD} may be yours" in capsys.readouterr().out


def test_mail_none_of_which_is_yours_is_said_loudly_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "mail" / "INBOX" / "cur"
    for n in range(3):
        _write(inbox, n, BOB, "someone@else.example", T0 + timedelta(days=n), f"news {n}")
    (tmp_path / "config.toml").write_text("")
    assert main(cli(tmp_path, "import", str(tmp_path / "mail"))) == 0
    err = capsys.readouterr().err
    assert "none of the stored mail was sent by you" in err
    assert "touchbase me add ADDRESS" in err
    assert "`[me] addresses` in the configuration" in err  # printed as written, not eaten as markup


def test_person_says_why_they_are_a_relationship_and_what_is_owed(
    tmp_path: Path, mailbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`person` explains the rules' view: a relationship and why, a reply owed (Bob wrote
    last, to the owner alone), and the name guessed from an address."""
    _write(mailbox / "INBOX" / "cur", 999, "ann.lee@y.example", ME, T0, "hello")
    assert main(cli(tmp_path, "import", str(mailbox))) == 0
    capsys.readouterr()
    at = "2024-04-20T00:00:00+00:00"
    assert main(cli(tmp_path, "person", BOB, "--json", "--at", at)) == 0
    bob = json.loads(capsys.readouterr().out)
    assert bob["standing"][0] == "a relationship: 40 days you wrote, 40 they wrote"
    assert bob["reply_owed"] is not None and "reply owed" in bob["standing"][1]
    assert bob["upcoming"] == [] and len(bob["timeline"]) >= 80
    assert main(cli(tmp_path, "person", "ann.lee@y.example", "--json", "--at", at)) == 0
    ann = json.loads(capsys.readouterr().out)
    assert ann["name"] == "Ann Lee" and ann["name_guessed"] is True
    assert ann["relationship"] is None and "not a relationship yet" in ann["standing"][0]


def test_the_due_list_says_a_reply_is_owed(tmp_path: Path, mailbox: Path) -> None:
    """Bob wrote last, to the owner alone: the due list (the page, the digest) says a reply is
    owed, though no check-in is due yet."""
    assert main(cli(tmp_path, "import", str(mailbox))) == 0
    service = Service(load_config(tmp_path / "config.toml"), f"sqlite:///{tmp_path / 'tb.db'}")
    rows = service.due(datetime(2024, 4, 20, tzinfo=UTC))
    owed = [r for r in rows if r.kind == "reply-owed"]
    assert [r.address for r in owed] == [BOB]
    assert "your reply is owed" in owed[0].reasons[0]
    later = service.due(datetime(2024, 6, 20, tzinfo=UTC))  # past reply_owed_within
    assert not [r for r in later if r.kind == "reply-owed"]
