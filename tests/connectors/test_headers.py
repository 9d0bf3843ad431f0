"""Header parsing: the shapes real mail takes, and the messy corpus never raising."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import corpus
from touchbase.connectors.base import Flag, Role
from touchbase.connectors.errors import BadRecord
from touchbase.connectors.headers import (
    interaction_from_bytes,
    interaction_from_headers,
    is_address,
    message_ids,
    parse_addresses,
    parse_date,
    parse_header_block,
    received_date,
)


def test_folded_fields_are_unfolded_and_the_body_is_ignored() -> None:
    raw = b"Subject: a long\r\n\tsubject\r\nTo: a@x.org,\r\n b@y.org\r\n\r\nTo: body@z.org\r\n"
    assert parse_header_block(raw) == [("Subject", "a long\tsubject"), ("To", "a@x.org, b@y.org")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("undisclosed-recipients:;", []),
        ("unlisted-recipients:; (no To-header on input)", []),
        ("Jane <JANE@Example.COM>", [("Jane", "jane@example.com")]),
        (
            '"Smith, Jane" <jane@x.org>, bob@y.org',
            [("Smith, Jane", "jane@x.org"), ("", "bob@y.org")],
        ),
        ("=?utf-8?q?J=C3=BCrgen?= <j@x.de>", [("Jürgen", "j@x.de")]),
        ("", []),
    ],
)
def test_addresses(value: str, expected: list[tuple[str, str]]) -> None:
    assert parse_addresses(value) == expected


def test_dates_without_zone_are_utc_and_garbage_is_none() -> None:
    assert parse_date("Mon, 1 Jan 2024 10:00:00 -0000") == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert parse_date("Mon, 1 Jan 2024 10:00:00 +0200") == datetime(2024, 1, 1, 8, tzinfo=UTC)
    assert parse_date("<HR>") is None
    assert parse_date("Mon, 30 Jun 3609 10:00:00 +0000") is None


def test_bulk_automated_and_auto_reply_flags() -> None:
    raw = (
        b"From: noreply@shop.example\r\nTo: me@x.org\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        b"List-Unsubscribe: <mailto:u@shop.example>\r\nAuto-Submitted: auto-replied\r\n\r\n"
    )
    item = interaction_from_bytes(raw, source_id="1", folder="inbox")
    assert item.flags == {Flag.BULK, Flag.AUTOMATED, Flag.AUTO_REPLY}
    assert item.addresses(Role.FROM) == ["noreply@shop.example"]


def test_8bit_headers_survive_and_missing_date_uses_the_fallback() -> None:
    raw = "From: Renée <r@x.fr>\nTo: me@x.org\nSubject: café\n\n".encode("latin-1")
    fallback = datetime(2020, 5, 1, tzinfo=UTC)
    item = interaction_from_bytes(raw, source_id="1", folder=None, fallback_date=fallback)
    assert item.subject == "café" and item.occurred_at == fallback
    with pytest.raises(BadRecord, match="no Date"):
        interaction_from_bytes(raw, source_id="1", folder=None)


def test_every_messy_message_becomes_an_interaction_or_a_bad_record() -> None:
    root = corpus("messy")
    parsed = bad = 0
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(".json"):
                continue
            with open(os.path.join(folder, name), "rb") as handle:
                raw = handle.read()
            try:
                item = interaction_from_bytes(raw, source_id=name, folder=None)
            except BadRecord as exc:
                assert str(exc)
                bad += 1
                continue
            assert item.occurred_at.tzinfo is not None
            parsed += 1
    assert parsed > 400 and bad < 60


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("a@b.org", True),
        ("jürgen@bücher.example", True),  # RFC 6532
        ('"a b"@x.org', True),
        ("a@[192.0.2.1]", True),
        ("k..allen@enron.com", True),  # an export's mangling, kept for the rules to merge
        ('v.".\'"proctor@enron.com', True),
        ("foo", False),
        ("foo@", False),
        ("@example.com", False),
        ("a b@x.org", False),
        ("a@b.", False),
        ("=?utf-16?b?2D3eAA==?=", False),
        ("=?utf-8?q?x?=@x.org", False),
        ("a\x1b[2J@x.org", False),
        ("x" * 400 + "@example.com", False),
    ],
)
def test_a_participant_is_an_rfc_5322_address(address: str, valid: bool) -> None:
    assert is_address(address) is valid


_ATOM = st.text(
    st.sampled_from("abcxyzABC019!#$%&'*+-/=?^_`{|}~") | st.characters(min_codepoint=0xA0),
    min_size=1,
    max_size=12,
)


@given(st.lists(_ATOM, min_size=1, max_size=3), st.lists(_ATOM, min_size=1, max_size=3))
def test_every_dot_atom_address_is_valid_and_nothing_without_an_at_is(
    local: list[str], domain: list[str]
) -> None:
    address = f"{'.'.join(local)}@{'.'.join(domain)}"
    assert is_address(address) is (len(address) <= 320 and "=?" not in address)
    assert not is_address(address.replace("@", ""))


def test_dropped_addresses_are_reported_and_the_rest_kept() -> None:
    raw = b"From: a@x.org\r\nTo: foo, b@y.org\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n"
    warnings: list[str] = []
    item = interaction_from_headers(
        parse_header_block(raw), source_id="1", folder=None, warnings=warnings
    )
    assert item.addresses() == ["a@x.org", "b@y.org"]
    assert warnings == ["To: 'foo' is not an e-mail address; dropped"]


def test_the_newest_received_stamp_is_the_date_of_arrival() -> None:
    stamps = [
        "from a by b; Tue, 5 Mar 2002 09:58:00 +0000",
        "from b by c with SMTP id 1; Tue, 5 Mar 2002 10:00:00 +0000 (UTC)",
        "from c by d; not a date",
        "no semicolon at all",
    ]
    assert received_date(stamps) == datetime(2002, 3, 5, 10, tzinfo=UTC)
    assert received_date(stamps[2:]) is None


def test_a_message_id_longer_than_a_header_line_is_no_id() -> None:
    assert message_ids("<" + "x" * 2000 + "@y>") == []
    assert message_ids("<a@b> <c@d>") == ["<a@b>", "<c@d>"]


def test_exchange_export_names_in_x_fields_name_bare_addresses() -> None:
    """Exchange 5.5 exports keep display names only in X-From/X-To/X-cc: a name written right
    before the same address there names that participant; X.400 paths and other addresses
    name nobody, and a display name the mail itself gives wins."""
    record = interaction_from_headers(
        [
            ("From", "lamoss@duke-energy.com"),
            ("To", "chris.germany@enron.com, junek@enron.com, third@x.org"),
            ("Cc", "Kept Name <kept@x.org>"),
            ("Date", "Mon, 14 Jan 2002 10:00:00 -0600"),
            ("X-From", '"Leah A Moss" <lamoss@duke-energy.com>@ENRON'),
            (
                "X-To",
                "Germany, Chris </O=ENRON/OU=NA/CN=RECIPIENTS/CN=CGERMAN>, "
                "Junek, Daniel  <JUNEK@enron.com>, Else <else@z.org>",
            ),
            ("X-cc", "Other Name <kept@x.org>"),
        ],
        source_id="1",
        folder="inbox",
    )
    names = {p.address: p.name for p in record.participants}
    assert names == {
        "lamoss@duke-energy.com": "Leah A Moss",
        "chris.germany@enron.com": "",
        "junek@enron.com": "Junek, Daniel",
        "third@x.org": "",
        "kept@x.org": "Kept Name",
    }
    assert all(p.address != "else@z.org" for p in record.participants)


def test_the_files_connector_reads_the_export_name_fields() -> None:
    raw = (
        b"From: chris.germany@enron.com\r\nTo: lamoss@duke-energy.com\r\n"
        b"Date: Mon, 14 Jan 2002 10:00:00 -0600\r\nSubject: golf\r\n"
        b"X-To: Leah A. Moss (E-mail) <lamoss@duke-energy.com>\r\n\r\nbody\r\n"
    )
    record = interaction_from_bytes(raw, source_id="1", folder="sent")
    assert [(p.address, p.name) for p in record.participants if p.role is Role.TO] == [
        ("lamoss@duke-energy.com", "Leah A. Moss (E-mail)")
    ]
