"""Real mail: the fold's last_sent and sent_count per correspondent against the Enron answer key.

The key (corpora/enron/derived) reads every folder, calls a message sent when its first From is
an owner address, takes To + Cc + Bcc minus the owner, and collapses the copies that the sent
folders repeat under new Message-IDs on (Date, stripped Subject, sorted To). Our fold must agree
for at least 99% of correspondents.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import corpus
from tests.rules.enron import mailbox
from touchbase.rules.contacts import fold
from touchbase.rules.decide import decide
from touchbase.rules.people import Identities
from touchbase.rules.policy import load_policy
from touchbase.rules.standing import assess

OWNERS = {
    "allen-p": ("phillip.allen@enron.com", "k..allen@enron.com"),
    "germany-c": ("chris.germany@enron.com",),
}
LATER = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("owner", ["allen-p", pytest.param("germany-c", marks=pytest.mark.slow)])
def test_last_sent_matches_the_answer_key(owner: str) -> None:
    items = mailbox(corpus("enron", "maildir", owner))
    key = json.loads(corpus("enron", "derived", f"reference_last_contact_{owner}.json").read_text())
    contacts = fold(items, Identities.of(OWNERS[owner]), load_policy(), LATER)
    expected = key["correspondents"]
    same_last = same_count = 0
    for address, row in expected.items():
        contact = contacts.get(address)
        if contact is None or contact.last_sent is None:
            continue
        same_last += contact.last_sent.isoformat() == row["last_contact_utc"]
        same_count += contact.sent_count == row["count"]
    assert same_last >= 0.99 * len(expected), (same_last, len(expected))
    assert same_count >= 0.99 * len(expected), (same_count, len(expected))
    ours = {c.person for c in contacts.values() if c.sent_count}
    assert len(ours ^ set(expected)) <= 0.01 * len(expected)


def test_allen_plan_at_the_end_of_2001_is_one_a_person_would_accept() -> None:
    """On a real mailbox the plan goes only to real two-way ties: never the owner, an assistant
    who sends from his Sent folder, a machine, a one-way or a group-only correspondent."""
    items = mailbox(corpus("enron", "maildir", "allen-p"))
    policy = load_policy({"timezone": "America/Chicago"})
    now = datetime(2001, 12, 31, 12, tzinfo=UTC)
    contacts = fold(items, Identities.of(OWNERS["allen-p"]), policy, now)
    plan = decide(contacts.values(), policy, now)
    assert plan.stopped is None
    assert len(plan.decisions) <= policy.max_drafts_per_run
    for decision in plan.decisions:
        contact = contacts[decision.person]
        assert contact.excluded is None and not contact.delegate
        assert assess(contact, policy, now).relationship is not None
        assert contact.exchanges_out >= 2 and contact.exchanges_in >= 2  # both ways, stored
        assert decision.due <= now
        assert any(ch.isdigit() for reason in decision.reasons for ch in reason)  # cites dates
    assistant = contacts["ina.rangel@enron.com"]  # sends from the owner's Sent folder
    assert assistant.delegate and assess(assistant, policy, now).relationship is None
    machines = {c.person for c in contacts.values() if c.excluded == "automated-address"}
    assert machines and not machines & {d.person for d in plan.decisions}
