"""Who counts: one named case per policy sentence of issue 3, then the facts the fold keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from tests.rules.factory import ME, OWNER, at, mail, meeting, policy, received, sent
from touchbase.rules.contacts import Contact, fold
from touchbase.rules.people import Identities
from touchbase.rules.types import Interaction

NOW = at(days=60)
BOB = "bob@example.com"


@dataclass
class Case:
    items: list[Interaction]
    expect: dict[str, Any]
    person: str = BOB
    overrides: dict[str, Any] = field(default_factory=dict)
    identities: Identities = OWNER


def run(case: Case) -> dict[str, Contact]:
    return fold(case.items, case.identities, policy(**case.overrides), NOW, trace=True)


def rules_of(contact: Contact) -> list[str]:
    return [t.rule for t in contact.trace]


reply = mail(at(1), BOB, ["me@example.com"], subject="Re: plan", in_reply_to="<start@test>")

CASES = {
    "addresses are normalised: case": Case(
        [sent(at(1), "Bob@Example.COM"), sent(at(2), BOB)],
        {"sent_count": 2, "addresses": (BOB,)},
    ),
    "addresses are normalised: gmail.com / googlemail.com dots and +tags": Case(
        [sent(at(1), "John.Smith+news@googlemail.com"), sent(at(2), "johnsmith@gmail.com")],
        {"sent_count": 2},
        person="johnsmith@gmail.com",
    ),
    "addresses are normalised: configured aliases": Case(
        [sent(at(1), "bob@old.example"), sent(at(2), BOB)],
        {"sent_count": 2, "addresses": (BOB,)},
        overrides={"aliases": {"bob@old.example": BOB}},
    ),
    "one person may have several addresses: merged by explicit merges": Case(
        [sent(at(1), "bob@home.example"), sent(at(2), BOB)],
        {"sent_count": 2, "addresses": (BOB, "bob@home.example"), "person": "p:bob"},
        person="p:bob",
        identities=Identities.of(["me@example.com"], {BOB: "p:bob", "bob@home.example": "p:bob"}),
    ),
    "the owner's own addresses are never people": Case(
        [sent(at(1), "me@work.example", "ME@example.com")],
        {"absent": True},
        person="me@work.example",
    ),
    "automated senders never count (noreply)": Case(
        [received(at(1), "no-reply@shop.example")],
        {"excluded": "automated-address", "last_contact": None, "trace": ["automated-address"]},
        person="no-reply@shop.example",
        overrides={"received_counts": "always"},
    ),
    "automated recipients never count (notifications)": Case(
        [sent(at(1), "notifications+abc@github.com")],
        {"excluded": "automated-address", "last_contact": None, "sent_count": 1},
        person="notifications+abc@github.com",
    ),
    "mailer-daemon and postmaster never count": Case(
        [received(at(1), "MAILER-DAEMON@mx.example")],
        {"excluded": "automated-address"},
        person="mailer-daemon@mx.example",
    ),
    "Auto-Submitted other than no never counts": Case(
        [received(at(1), BOB, flags=["automated"])],
        {"last_contact": None, "received_count": 0, "trace": ["automated"]},
        overrides={"received_counts": "always"},
    ),
    "List-Id, List-Unsubscribe, Precedence bulk never count": Case(
        [received(at(1), BOB, flags=["bulk"])],
        {"last_contact": None, "last_received": None, "trace": ["bulk"]},
        overrides={"received_counts": "always"},
    ),
    "an out-of-office reply pauses nudges instead of counting as contact": Case(
        [sent(at(1), BOB), received(at(2), BOB, flags=["auto-reply"])],
        {"last_contact": at(1), "last_auto_reply": at(2), "trace": ["counted", "auto-reply"]},
    ),
    "recipient position: To counts": Case(
        [sent(at(1), BOB)], {"last_contact": at(1), "counted": 1, "weight": 1.0}
    ),
    "recipient position: Cc counts as weaker": Case(
        [mail(at(1), "me@example.com", ["ann@example.com"], cc=[BOB])],
        {"last_contact": at(1), "counted": 1, "weight": 0.5},
    ),
    "recipient position: Bcc alone does not count": Case(
        [mail(at(1), "me@example.com", ["ann@example.com"], bcc=[BOB])],
        {"last_contact": None, "last_sent": at(1), "sent_count": 1, "trace": ["bcc-only"]},
    ),
    "Cc repeated as Bcc still counts as Cc": Case(
        [mail(at(1), "me@example.com", ["ann@example.com"], cc=[BOB], bcc=[BOB])],
        {"last_contact": at(1), "sent_count": 1},
    ),
    "a message to more than max_recipients people does not reset anyone's cadence": Case(
        [sent(at(1), BOB, *[f"p{i}@example.com" for i in range(10)])],
        {"last_contact": None, "last_sent": at(1), "trace": ["too-many-recipients"]},
    ),
    "a message to exactly max_recipients people still counts": Case(
        [sent(at(1), BOB, *[f"p{i}@example.com" for i in range(9)])], {"last_contact": at(1)}
    ),
    "meetings count only when ended": Case(
        [meeting(NOW - timedelta(minutes=30), BOB)],
        {"last_contact": None, "last_met": None, "next_meeting_end": NOW + timedelta(minutes=30)},
    ),
    "meetings count only when not cancelled": Case(
        [meeting(at(1), BOB, flags=["cancelled"])],
        {"absent": True},
    ),
    "meetings count only when not declined by the owner": Case(
        [meeting(at(1), BOB, declined=["me@example.com"])], {"absent": True}
    ),
    "meetings count only when not declined by the person": Case(
        [meeting(at(1), BOB, declined=[BOB])],
        {"last_contact": None, "meeting_count": 0, "trace": ["declined"]},
    ),
    "rooms and resources are not people": Case(
        [meeting(at(1), BOB, rooms=["room-4@resource.example"])],
        {"absent": True},
        person="room-4@resource.example",
    ),
    "a 1:1 meeting counts fully": Case(
        [meeting(at(1), BOB, rooms=["room-4@resource.example"])],
        {"last_contact": at(1, hours=1), "last_met": at(1, hours=1), "weight": 1.0},
    ),
    "a small group meeting (up to max_meeting_size) counts": Case(
        [meeting(at(1), BOB, *[f"p{i}@example.com" for i in range(4)])],
        {"last_contact": at(1, hours=1), "counted": 1, "weight": 0.5},
    ),
    "larger meetings do not reset cadence": Case(
        [meeting(at(1), BOB, *[f"p{i}@example.com" for i in range(5)])],
        {"last_contact": None, "last_met": at(1, hours=1), "trace": ["large-meeting"]},
    ),
    "a meeting whose attendees were omitted is treated as large": Case(
        [meeting(at(1), BOB, flags=["attendees-omitted"])], {"last_contact": None}
    ),
    "all-day blocks without attendees are not meetings": Case(
        [meeting(at(1), flags=["all-day"], hours=24)], {"absent": True}, person="me@example.com"
    ),
    "received mail sets last_received": Case(
        [received(at(1), BOB)], {"last_received": at(1), "received_count": 1}
    ),
    "received: policy switch replies: cold inbound does not reset the cadence": Case(
        [received(at(1), BOB)],
        {"last_contact": None, "trace": ["cold-inbound"]},
        overrides={"received_counts": "replies"},
    ),
    "received: mail to the owner among a crowd does not reset the cadence": Case(
        [mail(at(1), BOB, [ME, *[f"p{i}@example.com" for i in range(12)]])],
        {"last_contact": None, "last_received": at(1), "trace": ["not-to-you"]},
    ),
    "received: a reply in a thread the owner started does": Case(
        [sent(at(0), BOB, subject="plan", message_id="<start@test>"), reply],
        {"last_contact": at(1), "last_contact_kind": "received"},
    ),
    "received: a reply found by subject alone (no In-Reply-To, as in Enron)": Case(
        [sent(at(0), BOB, subject="plan"), received(at(1), BOB, subject="RE: Plan")],
        {"last_contact": at(1)},
    ),
    "received: policy switch replies: a reply in a thread someone else started does not": Case(
        [
            received(at(0), BOB, subject="plan"),
            sent(at(1), BOB, subject="Re: plan"),
            received(at(2), BOB, subject="Re: plan"),
        ],
        {"last_contact": at(1), "last_received": at(2)},
        overrides={"received_counts": "replies"},
    ),
    "received: mail written to the owner counts (the default, always)": Case(
        [received(at(1), BOB)], {"last_contact": at(1)}
    ),
    "received: policy switch never counts replies either": Case(
        [sent(at(0), BOB, message_id="<start@test>"), reply],
        {"last_contact": at(0), "trace": ["counted", "received-not-counted"]},
        overrides={"received_counts": "never"},
    ),
    "ignore lists: addresses": Case(
        [sent(at(1), BOB)],
        {"excluded": "ignored-address", "last_contact": None},
        overrides={"ignore_addresses": ["BOB@example.com"]},
    ),
    "ignore lists: domains, the owner's own company included": Case(
        [sent(at(1), "ann@eu.corp.example")],
        {"excluded": "ignored-domain"},
        person="ann@eu.corp.example",
        overrides={"ignore_domains": ["corp.example"]},
    ),
    "copies of one sent message in several folders under new Message-IDs count once": Case(
        [
            sent(at(1), BOB, folder="sent"),
            sent(at(1), BOB, folder="_sent_mail"),
            mail(at(1), "me@work.example", [BOB], folder="sent_items"),
        ],
        {"sent_count": 1, "trace": ["counted", "duplicate", "duplicate"]},
    ),
    "the same Message-ID through two accounts counts once": Case(
        [
            sent(at(1), BOB, message_id="<x@y>", account="a"),
            sent(at(1, hours=1), BOB, message_id="<x@y>", account="b", subject="other"),
        ],
        {"sent_count": 1, "last_sent": at(1)},
    ),
    "drafts have not happened": Case(
        [sent(at(1), BOB, flags=["draft"]), sent(at(2), BOB, folder="drafts"), sent(at(3), BOB)],
        {"sent_count": 1, "last_contact": at(3), "trace": ["draft", "draft", "counted"]},
    ),
    "interactions after now are not part of the evaluation": Case(
        [sent(at(1), BOB), sent(NOW + timedelta(days=1), BOB)],
        {"last_sent": at(1), "trace": ["counted", "after-now"]},
    ),
    "sent_count is a fact: distinct messages with them in To, Cc or Bcc": Case(
        [
            sent(at(1), BOB),
            mail(at(2), "me@example.com", ["a@x.example"], cc=[BOB]),
            mail(at(3), "me@example.com", ["a@x.example"], bcc=[BOB]),
            sent(at(4), BOB, *[f"p{i}@example.com" for i in range(12)]),
        ],
        {"sent_count": 4, "first_sent": at(1), "last_sent": at(4), "last_contact": at(2)},
    ),
    "first contact is the earliest of sent, received, met": Case(
        [sent(at(5), BOB), received(at(3), BOB), meeting(at(4), BOB)],
        {"first_contact": at(3), "meeting_count": 1, "last_met": at(4, hours=1)},
    ),
    "the address to write to is the one used most": Case(
        [sent(at(1), "bob@home.example"), sent(at(2), BOB), sent(at(3), BOB)],
        {"address": BOB},
        person="p:bob",
        identities=Identities.of(["me@example.com"], {BOB: "p:bob", "bob@home.example": "p:bob"}),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_who_counts(case: Case) -> None:
    contacts = run(case)
    if case.expect.get("absent"):
        assert case.person not in contacts
        return
    contact = contacts[case.person]
    for key, value in case.expect.items():
        got = rules_of(contact) if key == "trace" else getattr(contact, key)
        assert got == value, key


def test_awaiting_tracks_the_owners_unanswered_thread() -> None:
    items = [
        sent(at(0), BOB, subject="proposal", message_id="<p@x>"),
        sent(at(7), BOB, subject="Re: proposal", in_reply_to="<p@x>"),
    ]
    contact = fold(items, OWNER, policy(), NOW)[BOB]
    assert contact.awaiting is not None
    assert (contact.awaiting.first_at, contact.awaiting.last_at) == (at(0), at(7))
    assert contact.awaiting.follow_ups == 1
    answered = fold([*items, received(at(8), BOB, subject="x")], OWNER, policy(), NOW)[BOB]
    assert answered.awaiting is None


def test_forwards_and_replies_to_others_threads_await_nothing() -> None:
    items = [sent(at(0), BOB, subject="FW: slides"), sent(at(1), BOB, subject="Re: their idea")]
    assert fold(items, OWNER, policy(), NOW)[BOB].awaiting is None


def test_only_folds_the_people_asked_for() -> None:
    items = [sent(at(1), BOB, "ann@example.com"), sent(at(2), "cy@example.com")]
    everyone = fold(items, OWNER, policy(), NOW)
    some = fold(items, OWNER, policy(), NOW, only={BOB})
    assert set(some) == {BOB}
    assert some[BOB] == everyone[BOB]


def test_ordered_streams_give_the_same_contacts_and_a_broken_order_is_refused() -> None:
    items = [sent(at(3), BOB), received(at(1), BOB), sent(at(1), BOB, folder="sent_items")]
    ordered = sorted(items, key=lambda i: (i.occurred_at, i.id))
    assert fold(iter(ordered), OWNER, policy(), NOW, ordered=True) == fold(
        items, OWNER, policy(), NOW
    )
    with pytest.raises(ValueError, match="sort by"):
        fold(items, OWNER, policy(), NOW, ordered=True)


def test_at_one_moment_the_id_settles_the_order_a_stream_promises() -> None:
    one, two = received(at(1), BOB, ident=901), sent(at(1), BOB, ident=902)
    assert fold([one, two], OWNER, policy(), NOW, ordered=True) == fold(
        [two, one], OWNER, policy(), NOW
    )
    with pytest.raises(ValueError, match="sort by"):
        fold([two, one], OWNER, policy(), NOW, ordered=True)
