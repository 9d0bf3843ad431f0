"""The one-pass read of a fetched header block (connectors/imap/blocks.py) is the three steps'
answer: header_fields, source_id, interaction_from_headers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import corpus
from touchbase.connectors.base import InteractionRecord
from touchbase.connectors.errors import BadRecord
from touchbase.connectors.headers import interaction_from_headers
from touchbase.connectors.imap.account import source_id
from touchbase.connectors.imap.blocks import _one_id, record_from_block
from touchbase.connectors.imap.fetch import header_fields


def general(block: bytes, kind: str, folder: str, keep: bool) -> InteractionRecord | None:
    """What the account did with every block before the one-pass read (None: BadRecord)."""
    headers = header_fields(block)
    try:
        return interaction_from_headers(
            headers, source_id=source_id(kind, block, headers), folder=folder, keep_subject=keep
        )
    except BadRecord:
        return None


def check(block: bytes, kind: str = "sent", folder: str = "sent", keep: bool = True) -> bool:
    """The one-pass record equals the general one whenever there is one; True if it was taken."""
    fast = record_from_block(block, kind, folder, keep)
    if fast is not None:
        assert fast == general(block, kind, folder, keep), block
    return fast is not None


USUAL = (
    b"From: Pat Owner <pat@example.org>\r\n"
    b"To: Friend 1 <friend1@example.com>, b@example.net\r\n"
    b'Cc: c@example.com, "Team, Two" <team@example.net>\r\n'
    b"Subject: Re: Project update\r\n"
    b"Date: Thu, 01 Jan 2015 00:52:33 +0000\r\n"
    b"Message-ID: <1.734@mail.example.org>\r\n"
    b"In-Reply-To: <0.x@mail.example.com>\r\n"
    b"References: <a@x> <0.x@mail.example.com>\r\n"
    b"\r\n"
)


@pytest.mark.parametrize("kind", ["sent", "received"])
@pytest.mark.parametrize("folder", ["sent", "inbox", "drafts"])
@pytest.mark.parametrize("keep", [True, False])
def test_the_usual_block_is_read_in_one_pass_to_the_same_record(
    kind: str, folder: str, keep: bool
) -> None:
    assert check(USUAL, kind, folder, keep)


@pytest.mark.parametrize(
    "block",
    [
        USUAL.replace(b"\r\n\r\n", b"\r\n"),  # no empty line at the end
        USUAL.replace(b"Cc:", b"X-From:"),  # a name the one-pass read does not know
        USUAL.replace(b"Cc:", b"To:"),  # a repeated address field
        USUAL.replace(b"Thu, 01 Jan 2015 00:52:33 +0000", b"soon"),  # a date that does not parse
        USUAL.replace(b"Subject:", b"List-Id:"),  # a flag field
        USUAL.replace(b"Cc: ", b"Cc: mary, "),  # an entry that is no address
        USUAL.replace(b"\r\nSubject", b"\r\n Subject"),  # a folded line
        USUAL.replace(b"Subject: Re", b"Subject Re"),  # a line without a colon
        USUAL.replace(b"Friend 1", b"Fr\xe9d"),  # not UTF-8
        USUAL.replace(b"\r\nDate", b"\nDate"),  # a bare LF
    ],
)
def test_anything_unusual_takes_the_general_way(block: bytes) -> None:
    assert not check(block)


@pytest.mark.parametrize(
    "value",
    ["<a@b>", "<a b>", "<>", "<a@b> <c@d>", "<a\u00a0b>", "<a\x1fb>", "x<a@b>", "<a<b>",
     "<" + "x" * 996 + ">", "<" + "x" * 997 + ">", "<ab>>", "<\u00e9@b>"],
)  # fmt: skip
def test_one_id_is_findall_when_it_answers(value: str) -> None:
    from touchbase.connectors.headers import message_ids

    found = _one_id(value)
    if found is not None:
        assert [found] == message_ids(value)


FIELD_NAMES = [b"From", b"To", b"CC", b"bcc", b"Date", b"Message-Id", b"In-Reply-To",
               b"References", b"Subject", b"SUBJECT", b"X-To", b"Precedence"]  # fmt: skip
VALUES = [
    b"a@b.org",
    b"Ann <ann@example.org>",
    b'"Doe, Jane" <jane@example.org>, x@y.z',
    b"mary",
    b"undisclosed-recipients:;",
    b"Thu, 01 Jan 2015 00:52:33 +0000",
    b"1 Jan 2015 00:52 -0700 (PDT)",
    b"yesterday",
    b"<1@x>",
    b"<1@x> <2@y>",
    b"",
    b" =?utf-8?q?Caf=C3=A9?= ",
    b"Out of office",
    b"<\xc3\xa9@x>",
]


@settings(max_examples=400)
@given(
    st.lists(st.tuples(st.sampled_from(FIELD_NAMES), st.sampled_from(VALUES)), max_size=9),
    st.sampled_from([b"\r\n", b""]),
)
def test_any_block_of_known_fields_reads_the_same(
    fields: list[tuple[bytes, bytes]], end: bytes
) -> None:
    check(b"".join(name + b": " + value + b"\r\n" for name, value in fields) + end)


def test_the_corpus_as_servers_send_it_reads_the_same() -> None:
    taken = 0
    for path in corpus("messy").rglob("*"):
        if path.is_file() and path.suffix != ".json":
            raw = path.read_bytes()
            head = raw.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            # As a server answers HEADER.FIELDS: the fields asked for, then the empty line.
            lines = [
                line
                for line in head.split(b"\r\n")
                if line.split(b":", 1)[0].lower()
                in {b"from", b"to", b"cc", b"bcc", b"date", b"message-id", b"subject",
                    b"in-reply-to", b"references"}
            ]  # fmt: skip
            for block in (b"\r\n".join(lines) + b"\r\n\r\n", head + b"\r\n\r\n"):
                taken += check(block, "received", "inbox")
    assert taken > 50  # the usual path was exercised, not only the general one
