"""Header parsing: the shapes real mail takes, and the messy corpus never raising."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from tests.conftest import corpus
from touchbase.connectors.base import Flag, Role
from touchbase.connectors.errors import BadRecord
from touchbase.connectors.headers import (
    interaction_from_bytes,
    parse_addresses,
    parse_date,
    parse_header_block,
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
