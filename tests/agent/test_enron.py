"""The real Enron mailboxes: `last_sent` per correspondent matches the answer key (>= 99%)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import corpus
from touchbase.agent.cli.main import main

OWNERS = {
    "allen-p": ["phillip.allen@enron.com", "k..allen@enron.com"],
    "germany-c": ["chris.germany@enron.com"],
}


@pytest.mark.slow
@pytest.mark.parametrize("owner", sorted(OWNERS))
def test_last_sent_matches_the_answer_key(
    owner: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mailbox = corpus("enron", "maildir", owner)
    key = json.loads(corpus("enron", "derived", f"reference_last_contact_{owner}.json").read_text())
    db = ["--db", f"sqlite:///{tmp_path / 'enron.db'}"]
    me = [arg for address in OWNERS[owner] for arg in ("--me", address)]
    assert main([*db, "import", str(mailbox), *me]) == 0
    capsys.readouterr()
    assert main([*db, "people", "--json"]) == 0
    people = json.loads(capsys.readouterr().out)
    by_address = {address: row for row in people for address in row["addresses"]}
    expected = key["correspondents"]
    last_sent = sum(
        1
        for address, truth in expected.items()
        if address in by_address and by_address[address]["last_sent"] == truth["last_contact_utc"]
    )
    counts = sum(
        1
        for address, truth in expected.items()
        if address in by_address and by_address[address]["sent_count"] == truth["count"]
    )
    assert last_sent / len(expected) >= 0.99, f"{last_sent} of {len(expected)} match"
    assert counts / len(expected) >= 0.99, f"{counts} of {len(expected)} counts match"
    # The owner is never a person.
    assert not set(OWNERS[owner]) & set(by_address)
