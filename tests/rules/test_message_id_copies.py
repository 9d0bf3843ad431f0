"""Issue 14.6 in the fold: a copy is the same Message-ID *and* the same key headers (sender,
date); a reused Message-ID on another sender's or another day's mail never hides anyone."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from tests.rules.factory import ME, OWNER, at, mail, policy, received, sent
from touchbase.rules.contacts import Contact, fold
from touchbase.rules.types import Interaction

NOW = at(days=60)
SAME = "<same@x.example>"


def run(*items: Interaction) -> dict[str, Contact]:
    return fold(list(items), OWNER, policy(), NOW, trace=True)


def test_two_senders_under_one_message_id_are_both_people() -> None:
    # QA's files: col1 and col2 wrote on different days under one Message-ID.
    contacts = run(
        received(at(1), "col1@x.example", message_id=SAME, subject="Budget"),
        received(at(3), "col2@y.example", message_id=SAME, subject="Offsite"),
    )
    assert contacts["col1@x.example"].received_count == 1
    assert contacts["col2@y.example"].received_count == 1
    assert contacts["col2@y.example"].last_received == at(3)


def test_two_senders_at_the_same_moment_under_one_message_id_are_both_people() -> None:
    contacts = run(
        received(at(1), "col1@x.example", message_id=SAME),
        received(at(1), "col2@y.example", message_id=SAME),
    )
    assert {"col1@x.example", "col2@y.example"} <= contacts.keys()


def test_one_sender_reusing_a_message_id_days_apart_is_two_messages() -> None:
    contacts = run(
        received(at(1), "ann@example.com", message_id=SAME, subject="Monday"),
        received(at(5), "ann@example.com", message_id=SAME, subject="Friday"),
    )
    assert contacts["ann@example.com"].received_count == 2
    assert contacts["ann@example.com"].last_received == at(5)


def test_a_sent_message_in_sent_and_in_an_inbox_counts_once() -> None:
    # Bcc to oneself, or a second account receiving it: one message, one sent_count.
    contacts = run(
        sent(at(1), "bob@example.com", message_id=SAME, folder="sent", account="a"),
        mail(at(1, hours=2), ME, ["bob@example.com"], message_id=SAME, folder="inbox", account="b"),
    )
    assert contacts["bob@example.com"].sent_count == 1
    assert [t.rule for t in contacts["bob@example.com"].trace] == ["counted", "duplicate"]


def test_received_mail_synced_through_two_accounts_counts_once() -> None:
    contacts = run(
        received(at(1), "bob@example.com", message_id=SAME, account="gmail"),
        received(at(1, hours=3), "bob@example.com", message_id=SAME, account="imap"),
    )
    assert contacts["bob@example.com"].received_count == 1
    assert contacts["bob@example.com"].last_received == at(1)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a@x.example", "b@y.example", "c@z.example"]), st.integers(0, 9)
        ),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_every_sender_under_a_shared_message_id_is_a_person_in_any_order(
    messages: list[tuple[str, int]], rnd: random.Random
) -> None:
    """Whatever the order and however many copies, each sender of a message under the shared
    Message-ID is a person, counted once per distinct day it wrote
    (days two apart: further than any two accounts date one message)."""
    items = [received(at(2 * day), who, message_id=SAME) for who, day in messages]
    rnd.shuffle(items)
    contacts = fold(items, OWNER, policy(), NOW)
    for who in {w for w, _ in messages}:
        days = {d for w, d in messages if w == who}
        assert contacts[who].received_count == len(days)
