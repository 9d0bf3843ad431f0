"""Drafts as RFC 5322 messages: whatever names and subjects hold, nothing is injected."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from touchbase.agent.pipeline.compose.message import (
    Envelope,
    InvalidAddress,
    Recipient,
    build_message,
    display_name,
    header_text,
    new_message_id,
    valid_address,
)

DATE = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
BASE = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
}
# Text that attackers put in display names and subjects: line breaks, NUL, header look-alikes,
# encoded-word look-alikes, quotes, angle brackets, and any unicode.
PIECES = [
    "\r",
    "\n",
    "\x00",
    "\r\n",
    "Bcc: x@evil.example",
    ":",
    '"',
    "\\",
    "<",
    ">",
    ",",
    ";",
    "=?utf-8?q?x?=",
    " ",
    "é",
    "\u2028",
    "\u202e",
    "日本",
    "a" * 30,
    "\t",
    "\x7f",
]
nasty = st.one_of(
    st.text(),
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=5)), max_size=8).map("".join),
)


def _parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=nasty, subject=nasty, body=st.text(), my_name=nasty)
def test_any_names_and_subjects_give_a_valid_message_with_exactly_the_intended_headers(
    name: str, subject: str, body: str, my_name: str
) -> None:
    envelope = Envelope(
        sender=Recipient("olivia@owner.example", my_name),
        to=(Recipient("jane@example.com", name),),
        subject=subject,
        message_id="<touchbase.1@owner.example>",
        date=DATE,
    )
    raw = build_message(envelope, body)
    assert b"\x00" not in raw and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    message = _parse(raw)
    assert message.defects == []
    assert set(message.keys()) == BASE and len(message.keys()) == len(BASE)
    assert message["Subject"] == header_text(subject)
    assert message["Message-ID"] == "<touchbase.1@owner.example>"
    (to,) = message["To"].addresses
    assert (to.addr_spec, to.display_name) == ("jane@example.com", display_name(name))
    (sender,) = message["From"].addresses
    assert (sender.addr_spec, sender.display_name) == (
        "olivia@owner.example",
        display_name(my_name),
    )
    assert message["Date"].datetime == DATE
    expected = body.replace("\r\n", "\n").replace("\r", "\n")
    expected = "".join(c for c in expected if c in "\n\t" or (ord(c) >= 32 and c != "\x7f"))
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == expected.rstrip("\n")


@settings(max_examples=100, deadline=None)
@given(
    subject=nasty,
    refs=st.lists(
        st.sampled_from(["<a@b.example>", "<c@d.example>", "junk", "<x\r\nBcc: e@f.example>", ""]),
        max_size=4,
    ),
)
def test_a_follow_up_threads_with_only_valid_ids(subject: str, refs: list[str]) -> None:
    envelope = Envelope(
        sender=Recipient("olivia@owner.example"),
        to=(Recipient("jane@example.com", "Jane"),),
        subject="Re: " + subject,
        message_id=new_message_id("olivia@owner.example"),
        date=DATE,
        in_reply_to="<parent@x.example>",
        references=tuple(refs),
    )
    message = _parse(build_message(envelope, "Hi"))
    assert set(message.keys()) == BASE | {"In-Reply-To", "References"}
    assert message["In-Reply-To"] == "<parent@x.example>"
    chain = str(message["References"]).split()
    assert chain[-1] == "<parent@x.example>"
    assert set(chain) <= {"<a@b.example>", "<c@d.example>", "<parent@x.example>"}


def test_a_bad_parent_id_is_dropped_not_copied() -> None:
    envelope = Envelope(
        sender=Recipient("olivia@owner.example"),
        to=(Recipient("jane@example.com"),),
        subject="Re: x",
        message_id="<t.1@owner.example>",
        date=DATE,
        in_reply_to="<a@b>\r\nBcc: evil@example.com",
    )
    message = _parse(build_message(envelope, "Hi"))
    assert "In-Reply-To" not in message and "Bcc" not in message


@pytest.mark.parametrize(
    "address",
    [
        "jane",
        "jane@",
        "@example.com",
        "ja ne@example.com",
        "jane@example.com\r\nBcc: e@x.io",
        '"jane"@example.com',
        "jane@exa_mple.com",
        "jane@-example.com",
        "a,b@example.com",
        "<jane@example.com>",
        "jane@localhost",
        "x" * 65 + "@example.com",
    ],
)
def test_addresses_are_validated(address: str) -> None:
    with pytest.raises(InvalidAddress):
        valid_address(address)


def test_a_draft_to_an_invalid_address_is_not_built() -> None:
    envelope = Envelope(
        sender=Recipient("olivia@owner.example"),
        to=(Recipient("jane@example.com>, evil@example.com"),),
        subject="x",
        message_id="<t.1@owner.example>",
        date=DATE,
    )
    with pytest.raises(InvalidAddress):
        build_message(envelope, "Hi")


def test_message_ids_are_unique_and_on_the_owners_domain() -> None:
    ids = {new_message_id("olivia@Owner.Example") for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("<touchbase.") and i.endswith("@owner.example>") for i in ids)
