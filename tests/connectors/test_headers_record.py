"""interaction_from_headers (parsed and checked once per distinct address field, its common
cases short-cut) gives exactly the record, error and warnings of the plain reading below: every
address of every field through parse_addresses and is_address, the first of each (address,
role) kept, the first value of every other field."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from touchbase.connectors import headers
from touchbase.connectors.base import Flag, InteractionRecord, Kind, Participant, Role
from touchbase.connectors.errors import BadRecord

FALLBACK = datetime(2021, 5, 6, 7, 8, 9, tzinfo=UTC)


def plain_reading(
    fields: Sequence[tuple[str, str]], folder: str | None, fallback: datetime | None
) -> tuple[InteractionRecord | str, list[str]]:
    """The record (or BadRecord's text) and the warnings, read the long way."""
    warnings: list[str] = []
    first: dict[str, str] = {}
    participants: list[Participant] = []
    seen: set[tuple[str, Role]] = set()
    exported: list[str] = []
    roles = {"from": Role.FROM, "to": Role.TO, "cc": Role.CC, "bcc": Role.BCC}
    for name, value in fields:
        key = name.lower()
        if key in headers.NAME_FIELDS:
            exported.append(value)
            continue
        role = roles.get(key)
        if role is None:
            first.setdefault(key, value)
            continue
        for display, address in headers.parse_addresses(value):
            if not headers.is_address(address):
                warnings.append(f"{name}: {address!r} is not an e-mail address; dropped")
                continue
            if (address, role) not in seen:
                seen.add((address, role))
                participants.append(Participant(address, role, display[:255]))
    if not participants:
        return "no usable From, To, Cc or Bcc address", warnings
    if exported and any(not p.name for p in participants):
        participants = headers._exported_names(participants, exported)
    occurred = headers.parse_date(first.get("date")) or fallback
    if occurred is None:
        raw = first.get("date")
        return (f"unreadable Date header {raw!r}" if raw else "no Date header"), warnings
    subject = headers.decode_words(first["subject"]) if "subject" in first else None
    ids = headers.message_ids(first.get("message-id"))
    replies = headers.message_ids(first.get("in-reply-to"))
    flags: set[Flag] = set()
    precedence = first.get("precedence", "").strip().lower()
    if "list-id" in first or "list-unsubscribe" in first or precedence in ("bulk", "list", "junk"):
        flags.add(Flag.BULK)
    auto = first.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        flags.add(Flag.AUTOMATED)
    if (
        auto.startswith("auto-replied")
        or "x-autoreply" in first
        or "x-autorespond" in first
        or (subject and headers._AUTO_REPLY_SUBJECT.match(subject))
    ):
        flags.add(Flag.AUTO_REPLY)
    if folder == "drafts":
        flags.add(Flag.DRAFT)
    record = InteractionRecord(
        source_id="s",
        kind=Kind.MAIL,
        occurred_at=occurred,
        participants=tuple(participants),
        subject=subject,
        message_id=ids[0] if ids else None,
        in_reply_to=replies[0] if replies else None,
        references=tuple(headers.message_ids(first.get("references"))),
        folder=folder,
        flags=frozenset(flags),
    )
    return record, warnings


def record_of(
    fields: Sequence[tuple[str, str]], folder: str | None, fallback: datetime | None
) -> tuple[InteractionRecord | str, list[str]]:
    warnings: list[str] = []
    try:
        record = headers.interaction_from_headers(
            fields, source_id="s", folder=folder, fallback_date=fallback, warnings=warnings
        )
    except BadRecord as exc:
        return str(exc), warnings
    return record, warnings


NAMES = ["From", "FROM", "from", "To", "to", "Cc", "CC", "Bcc", "X-From", "X-To", "x-cc"]
OTHER = ["Date", "DATE", "Subject", "Message-ID", "In-Reply-To", "References", "Precedence"]
OTHER += ["List-Id", "Auto-Submitted", "X-Autoreply", "Subject"]
ADDRESS_PIECES = [
    "ann@x.org",
    "Ann@X.org",
    "Ann Lee <ann@x.org>",
    '"Lee, Ann" <ann@x.org>',
    "=?utf-8?q?Ren=C3=A9e?= <renee@y.org>",
    "=?utf-8?b?broken <b@y.org>",
    "undisclosed-recipients:;",
    "team: bob@y.org, cy@z.org;",
    "bob@y.org (Bob at work)",
    "foo",
    "mary",
    "'quoted@x.org'",
    '"Only quote',
    "Bob <bob@y.org>",
    "<cy@z.org>",
    "Ann Lee (E-mail) <ann@x.org>",
    "",
    "x" * 300 + " <long@x.org>",
]
OTHER_VALUES = [
    "Mon, 3 Jun 2024 09:00:00 +0200",
    "3 Jun 2024 09:00 -0000",
    "Tue, 30 Feb 2024 10:00:00 +0000",
    "yesterday",
    "",
    "Re: Lunch",
    "Automatic reply: away",
    "=?utf-8?q?Caf=C3=A9?=",
    "<a@b> <c@d>",
    "bulk",
    "auto-replied",
    "no",
    "<" + "i" * 997 + ">",
]
address_field = st.tuples(
    st.sampled_from(NAMES),
    st.lists(st.sampled_from(ADDRESS_PIECES), min_size=1, max_size=4).map(", ".join),
)
other_field = st.tuples(st.sampled_from(OTHER), st.sampled_from(OTHER_VALUES))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(address_field, other_field), max_size=12),
    st.sampled_from([None, "sent", "drafts", "inbox"]),
    st.sampled_from([None, FALLBACK]),
)
@example(
    [("To", "ann@x.org, Ann <ann@x.org>"), ("to", "ANN@x.org, bob@y.org"), ("Date", "3 Jun 2024")],
    "sent",
    None,
)
@example([("From", "foo, mary"), ("Date", "yesterday")], None, None)
def test_the_record_is_the_plain_readings(
    fields: list[tuple[str, str]], folder: str | None, fallback: datetime | None
) -> None:
    # Twice: the second reading comes from the per-field cache.
    assert record_of(fields, folder, fallback) == plain_reading(fields, folder, fallback)
    assert record_of(fields, folder, fallback) == plain_reading(fields, folder, fallback)
