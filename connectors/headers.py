"""RFC 5322 header fields to an InteractionRecord: tolerant of the mail people really have.

Every mail connector ends here (files, IMAP, Gmail's metadata headers), so messy mail is handled
once: undecodable 8-bit bytes, RFC 2047 encoded words (broken ones too), group syntax such as
`undisclosed-recipients:;`, dates that do not parse. A message that cannot become an interaction
raises BadRecord with a reason the quarantine shows; nothing here raises anything else.

It deliberately avoids `email.policy.default` (its header registry raises AttributeError on
`To: unlisted-recipients:;` on Python 3.11-3.13) and parses the header block itself, because the
stdlib parser builds a whole Message object per mail and imports are dominated by that cost.
"""

from __future__ import annotations

import dataclasses
import email.errors
import email.header
import email.utils
import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from touchbase.connectors.base import Flag, InteractionRecord, Kind, Participant, Role
from touchbase.connectors.errors import BadRecord

log = logging.getLogger(__name__)

# The header fields touchbase reads, and the only ones any connector asks a server for.
FIELDS = (
    "From",
    "To",
    "Cc",
    "Bcc",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "List-Id",
    "List-Unsubscribe",
    "Auto-Submitted",
    "Precedence",
    "X-Autoreply",
    "X-Autorespond",
    "X-Auto-Response-Suppress",
)
_ROLES = {"from": Role.FROM, "to": Role.TO, "cc": Role.CC, "bcc": Role.BCC}
# Exchange 5.5 exports (the Enron corpus among them) write From/To/Cc as bare addresses and keep
# the display names only in X-From / X-To / X-cc, as Outlook showed them ("Leah A. Moss (E-mail)
# <lamoss@duke-energy.com>", '"Leah A Moss" <lamoss@duke-energy.com>@ENRON'). A name written
# there right before the same address is that participant's display name; nothing else of
# those fields is used (their other entries are X.400 paths, not addresses).
NAME_FIELDS = frozenset({"x-from", "x-to", "x-cc"})
_WANTED = {f.lower() for f in FIELDS} | NAME_FIELDS
_NAME_BEFORE = re.compile(r"(?:^|[>,;])\s*([^<>,;@]+(?:,[^<>,;@]+)?)<\s*([^<>\s]+@[^<>\s]+)\s*>")
# An id longer than a header line may be (RFC 5322 2.1.1: 998) is no id; it would not fit the
# store's column either.
_MSGID = re.compile(r"<[^<>\s]{1,996}>")
_SIMPLE_ADDRESS = re.compile(r"^[^\s<>()\",;:@\\]+@[^\s<>()\",;:@\\]+$")
_NAME_ADDR = re.compile(r"^([^<>@]*?)\s*<([^\s<>()\",;:@\\]+@[^\s<>()\",;:@\\]+)>$")
_NEEDS_FULL_PARSER = re.compile(r"['\"()\\:;\[]|=\?")
# One entry of an address list: `a@b`, `Name <a@b>` or `"Name, Quoted" <a@b>`, then a comma.
_ADDR = r'[^\s<>()",;:@\\\']+@[^\s<>()",;:@\\\']+'
_ENTRY = re.compile(
    rf'\s*(?:({_ADDR})|(?:"([^"\\]*)"|([^"<>()\[\],;:@\\]*?))\s*<({_ADDR})>)\s*(?:,|\Z)'
)
# The RFC 5322 3.3 date-time nearly every mailer writes: [day-of-week,] d Mon yyyy hh:mm[:ss] zone
_RFC_DATE = re.compile(
    r"^\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d\d)(?::(\d\d))?"
    r"\s+([+-])(\d\d)(\d\d)(?:\s*\([^()]*\))?\s*$"
)
_MONTHS = {
    m: n
    for n, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[ -]?(reply|response)|out of (the )?office|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|absence|vacation( reply)?|away from)\b",
    re.IGNORECASE,
)
# Dates before e-mail existed or far in the future are typos; kept (they are facts of the
# mailbox and the Enron answer key counts them) but never later than this bound.
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def decode_bytes(raw: bytes) -> str:
    """Header bytes to text: UTF-8 when valid (RFC 6532), else Latin-1 so no byte is lost."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_header_block(raw: bytes, wanted: Iterable[str] | None = _WANTED) -> list[tuple[str, str]]:
    """Split an RFC 5322 header block into (name, value) pairs, unfolded, in order.

    Stops at the first empty line. Lines that are not fields (no colon, a space in the name, an
    mbox "From " line) are skipped rather than failing the message. Only `wanted` names (lower
    case) are kept; pass None for all.
    """
    wanted_set = None if wanted is None else set(wanted)
    fields: list[tuple[str, str]] = []
    name: str | None = None
    parts: list[bytes] = []
    for line in raw.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if name is not None:
                parts.append(line)
            continue
        if name is not None:
            fields.append((name, decode_bytes(b"".join(parts)).strip()))
            name = None
        colon = line.find(b":")
        if colon <= 0:
            continue
        candidate = line[:colon].decode("latin-1").strip()
        if " " in candidate or (wanted_set is not None and candidate.lower() not in wanted_set):
            continue
        name, parts = candidate, [line[colon + 1 :]]
    if name is not None:
        fields.append((name, decode_bytes(b"".join(parts)).strip()))
    return fields


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; broken ones are left as they are rather than lost."""
    if "=?" not in value:
        return " ".join(value.split())
    try:
        text = str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        text = value
    return " ".join(text.split())


def _plain_list(value: str) -> list[tuple[str, str]] | None:
    """A comma-separated list of `addr` and `Name <addr>` entries, or None for anything else.

    Long recipient lists are where getaddresses spends its time (it is a character-by-character
    parser); with no quotes, comments, groups or encoded words a comma can only separate
    entries, so a split gives the same answer about 20x faster.
    """
    pairs: list[tuple[str, str]] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if _SIMPLE_ADDRESS.match(part):
            pairs.append(("", part.lower()))
            continue
        match = _NAME_ADDR.match(part)
        if match is None:
            return None
        pairs.append((" ".join(match.group(1).split()).strip("' "), match.group(2).lower()))
    return pairs


def _quoted_list(value: str) -> list[tuple[str, str]] | None:
    """Like _plain_list, where names may also be quoted: `"Doe, Jane" <jane@example.org>`.

    Only quotes stood between the value and _plain_list (no comment, group, backslash or
    encoded word outside them), so each entry is one match of _ENTRY or the list is not plain.
    """
    pairs: list[tuple[str, str]] = []
    pos, end = 0, len(value)
    while pos < end:
        entry = _ENTRY.match(value, pos)
        if entry is None or entry.end() == pos:
            return None
        plain, quoted, bare, address = entry.groups()
        if plain:
            pairs.append(("", plain.lower()))
        else:
            name = quoted if quoted is not None else bare
            pairs.append((decode_words(name).strip("'\" ") if name else "", address.lower()))
        pos = entry.end()
    return pairs


def parse_addresses(value: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs; group syntax and empty entries dropped."""
    return list(_cached_addresses(value))


# A mailbox repeats the same From and many of the same To values: cached, a 100k-message sync
# parses each distinct value once. Bounded, so memory stays flat.
@functools.lru_cache(maxsize=16384)
def _cached_addresses(value: str) -> tuple[tuple[str, str], ...]:
    return tuple(_read_addresses(value))


def _read_addresses(value: str) -> list[tuple[str, str]]:
    value = value.strip()
    if not value:
        return []
    if _SIMPLE_ADDRESS.match(value):  # the common case, 10x cheaper than getaddresses
        return [("", value.lower())]
    if not _NEEDS_FULL_PARSER.search(value):
        fast = _plain_list(value)
        if fast is not None:
            return fast
    elif '"' in value and not _NEEDS_FULL_PARSER.search(value.replace('"', "")):
        quoted = _quoted_list(value)
        if quoted is not None:
            return quoted
    pairs: list[tuple[str, str]] = []
    for name, address in email.utils.getaddresses([value]):
        address = address.strip().lower()
        # 'a@b.org' (balanced quotes, an Outlook habit) is a@b.org; a lone quote is kept as the
        # sender wrote it: guessing there merges addresses that were never the same.
        if len(address) > 2 and address[0] == address[-1] and address[0] in "'\"":
            address = address[1:-1].strip()
        if not address or address.endswith(":") or address == ";":
            continue
        pairs.append((decode_words(name).strip("'\" ") if name else "", address))
    return pairs


# The form nearly every mailer writes, exactly: "Wed, 05 Jul 2017 04:28:33 +0000" (ASCII only).
_CANONICAL_DATE = re.compile(
    r"[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}"
)
# "-jul-" style month for an ISO 8601 date: "Jul" -> "-07-".
_ISO_MONTHS = {name: f"-{number:02d}-" for name, number in _MONTHS.items()}
_from_iso = datetime.fromisoformat
# A zone as written ("+0130") -> its offset, None when it is a day or more (not a zone).
_ZONES: dict[str, timedelta | None] = {}


def _zone(text: str) -> timedelta | None:
    offset = (int(text[1:3]) * 3600 + int(text[3:5]) * 60) * (1 if text[0] == "+" else -1)
    zone = timedelta(0, offset) if abs(offset) < 86400 else None
    if len(_ZONES) < 4096:
        _ZONES[text] = zone
    return zone


def parse_date(value: str | None) -> datetime | None:
    """An RFC 5322 date as aware UTC, or None when it cannot be read.

    A date without a zone (or -0000, "unknown local time", RFC 5322 3.3) is taken as UTC.
    """
    if not value:
        return None
    original = value
    # The canonical form, read by slicing and the C ISO 8601 parser (3x cheaper than the regex
    # groups, six int() calls and the datetime constructor below); anything that form's
    # parse refuses goes the general way, so the answer is the same either way.
    # Also with a one-digit day (zero-padded here) or a zone comment after it ("... -0700
    # (PDT)", as Exchange writes): _RFC_DATE reads those to the same groups.
    if 30 <= len(value) <= 80 and value[3:5] == ", ":
        if value[6] == " ":
            value = f"{value[:5]}0{value[5:]}"
        tail = value[31:]
        if tail and not (
            tail[:2] == " (" and tail[-1] == ")" and "(" not in tail[2:-1] and ")" not in tail[2:-1]
        ):
            return _parse_date(original)
        value = value[:31]
    if len(value) == 31 and _CANONICAL_DATE.fullmatch(value):
        month = _ISO_MONTHS.get(value[8:11].lower())
        if month is not None:
            try:
                local = _from_iso(f"{value[12:16]}{month}{value[5:7]}T{value[17:25]}+00:00")
                zone_text = value[26:]
                zone = _ZONES[zone_text] if zone_text in _ZONES else _zone(zone_text)
                if zone is not None:
                    when = local - zone if zone else local
                    return when if when < _LATEST else None
            except (ValueError, OverflowError):
                pass  # the general way decides
    return _parse_date(original)


def _parse_date(value: str) -> datetime | None:
    """parse_date for any form: the usual date-time by regex, else email.utils."""
    fast = _RFC_DATE.match(value)
    month = _MONTHS.get(fast.group(2).lower()) if fast else None
    if fast and month:
        day, _, year, hour, minute, second, sign, zh, zm = fast.groups()
        offset = (int(zh) * 3600 + int(zm) * 60) * (1 if sign == "+" else -1)
        if abs(offset) < 86400:
            try:  # positional arguments: keyword parsing costs as much as the rest here
                local = datetime(
                    int(year), month, int(day), int(hour), int(minute), int(second or 0), 0, UTC
                )
                when = local - timedelta(0, offset) if offset else local
                return when if when < _LATEST else None
            except (ValueError, OverflowError):
                pass  # the general parser below decides
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        when = when.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return when if when < _LATEST else None


def received_date(values: Iterable[str]) -> datetime | None:
    """The newest date among Received fields (RFC 5322 3.6.7: `... ; date-time`), or None.

    Each relay prepends one, stamping when it took the message: the newest is when the message
    reached this mailbox, the best stand-in for a missing Date. Unreadable stamps are skipped.
    """
    newest: datetime | None = None
    for value in values:
        semicolon = value.rfind(";")
        when = parse_date(value[semicolon + 1 :]) if semicolon >= 0 else None
        if when is not None and (newest is None or when > newest):
            newest = when
    return newest


# RFC 5322 3.2.3 atext, plus any non-ASCII character (RFC 6532 3.2: UTF-8 in addresses).
_ATEXT = r"A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\U0010ffff"
# The local part: atoms and quoted strings joined by dots (RFC 5322 3.4.1 and its obsolete
# form, 4.4), tolerating the empty or missing dots of mangled exports (k..allen@, .shemin@,
# v.".'"proctor@ in Enron's release: real people, whom rules/addresses.py merges with the fixed
# address). The domain: a dot-atom or a domain literal ([192.0.2.1]).
_LOCAL = rf'(?:[{_ATEXT}.]|"(?:[^"\\\r\n]|\\.)*")+'
_DOMAIN = rf"(?:[{_ATEXT}]+(?:\.[{_ATEXT}]+)*|\[[\x21-\x5a\x5e-\x7e]*\])"
_ADDR_SPEC = re.compile(f"{_LOCAL}@{_DOMAIN}")
_LONGEST_ADDRESS = 320  # RFC 5321 4.5.3.1: a 64-octet local part, "@", a 255-octet domain
_LONGEST_NAME = 255  # participants.name; a longer display name is cut, not refused


@functools.lru_cache(maxsize=16384)
def is_address(address: str) -> bool:
    """True when `address` is a syntactically valid addr-spec (RFC 5322 3.4.1, UTF-8 allowed by
    RFC 6532). `foo`, `foo@`, an encoded word (RFC 2047 5: never allowed in an addr-spec, so
    one there is an undecodable name that lost its address) and control characters are not."""
    if len(address) > _LONGEST_ADDRESS or not _ADDR_SPEC.fullmatch(address):
        return False
    if not address.rsplit("@", 1)[0].strip("."):
        return False
    return "=?" not in address


def message_ids(value: str | None) -> list[str]:
    """Every <id> in a Message-ID, In-Reply-To or References value."""
    return _MSGID.findall(value) if value else []


def _flags(get: dict[str, str], subject: str | None, folder: str | None) -> frozenset[Flag]:
    if (
        _FLAG_FIELDS.isdisjoint(get)
        and folder != "drafts"
        and not (subject and _AUTO_REPLY_SUBJECT.match(subject))
    ):
        return _NO_FLAGS  # the common case: none of the fields below, an everyday subject
    flags: set[Flag] = set()
    precedence = get.get("precedence", "").strip().lower()
    if "list-id" in get or "list-unsubscribe" in get or precedence in ("bulk", "list", "junk"):
        flags.add(Flag.BULK)
    auto = get.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        flags.add(Flag.AUTOMATED)
    if (
        auto.startswith("auto-replied")
        or "x-autoreply" in get
        or "x-autorespond" in get
        or (subject and _AUTO_REPLY_SUBJECT.match(subject))
    ):
        flags.add(Flag.AUTO_REPLY)
    if folder == "drafts":
        flags.add(Flag.DRAFT)
    return frozenset(flags)


# Participants are immutable values and a mailbox names the same people again and again: shared,
# one frozen dataclass costs more to build than the rest of an address's parsing.
_participant = functools.lru_cache(maxsize=16384)(Participant)


def interaction_from_headers(
    headers: Sequence[tuple[str, str]],
    *,
    source_id: str,
    folder: str | None,
    fallback_date: datetime | None = None,
    thread_id: str | None = None,
    keep_subject: bool = True,
    warnings: list[str] | None = None,
) -> InteractionRecord:
    """Build a mail InteractionRecord from header fields, or raise BadRecord saying why not.

    `fallback_date` (the server's INTERNALDATE, the newest Received stamp) stands in for a
    missing or unreadable Date. Repeated fields keep their first value, except address fields,
    which add up. An entry that is not an e-mail address (`foo`, an undecodable encoded word)
    is dropped from the record and described in `warnings` (logged when that is None): it is
    nobody anyone can be in touch with.
    """
    # Runs once per message of a sync: names looked up once, the common paths first.
    first: dict[str, str] = {}
    participants: list[Participant] = []
    roles: set[Role] = set()  # the roles whose fields were read: a repeat needs de-duplicating
    exported: list[str] = []
    keys, parties_of = _KEYS, _parties
    for name, value in headers:
        key, role = keys.get(name) or _key(name)
        if role is None:
            if key in NAME_FIELDS:
                exported.append(value)
            elif key not in first:
                first[key] = value
            continue
        parties, problems = parties_of(name, value)
        if problems:
            for text in problems:
                _warn(warnings, text)
        if role in roles:
            taken = {p.address for p in participants if p.role is role}
            participants.extend(p for p in parties if p.address not in taken)
        else:
            roles.add(role)
            participants.extend(parties)
    if not participants:
        raise BadRecord("no usable From, To, Cc or Bcc address")
    if exported and any(not p.name for p in participants):
        participants = _exported_names(participants, exported)
    get = first.get
    raw_date = get("date")
    occurred = parse_date(raw_date) or fallback_date
    if occurred is None:
        raise BadRecord(f"unreadable Date header {raw_date!r}" if raw_date else "no Date header")
    raw_subject = get("subject")
    subject = None if raw_subject is None else decode_words(raw_subject)
    raw_id, raw_reply, raw_refs = get("message-id"), get("in-reply-to"), get("references")
    ids = _MSGID.findall(raw_id) if raw_id else ()
    replies = _MSGID.findall(raw_reply) if raw_reply else ()
    return _record(
        source_id,
        _MAIL,
        occurred,
        tuple(participants),
        subject if keep_subject else None,
        None,
        ids[0] if ids else None,
        replies[0] if replies else None,
        tuple(_MSGID.findall(raw_refs)) if raw_refs else (),
        thread_id,
        folder,
        _flags(first, subject, folder),
        None,
    )


_MAIL = Kind.MAIL


def _build_record() -> Callable[..., InteractionRecord]:
    """InteractionRecord's constructor, or a faster equal: a frozen dataclass's __init__ sets
    each field through object.__setattr__ (2 us a record, as much as the rest of a message's
    fields); its slots' own descriptors set them in half that. The record is the same object
    either way (same class, same field values, no __post_init__); anything else about the
    class (a field added, a __post_init__) and the constructor itself is used."""
    names = [f.name for f in dataclasses.fields(InteractionRecord)]
    expected = [
        "source_id",
        "kind",
        "occurred_at",
        "participants",
        "subject",
        "ended_at",
        "message_id",
        "in_reply_to",
        "references",
        "thread_id",
        "folder",
        "flags",
        "version",
    ]
    if names != expected or hasattr(InteractionRecord, "__post_init__"):
        return InteractionRecord
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12 = (
        getattr(InteractionRecord, name).__set__ for name in names
    )
    new = object.__new__

    def record(
        v0: Any, v1: Any, v2: Any, v3: Any, v4: Any, v5: Any, v6: Any, v7: Any, v8: Any,
        v9: Any, v10: Any, v11: Any, v12: Any,
    ) -> InteractionRecord:  # fmt: skip
        made = new(InteractionRecord)
        s0(made, v0)
        s1(made, v1)
        s2(made, v2)
        s3(made, v3)
        s4(made, v4)
        s5(made, v5)
        s6(made, v6)
        s7(made, v7)
        s8(made, v8)
        s9(made, v9)
        s10(made, v10)
        s11(made, v11)
        s12(made, v12)
        return made

    return record


_record = _build_record()


def _key(name: str) -> tuple[str, Role | None]:
    """A field name lower-cased, and the role of the participants it names, if any."""
    key = name.lower()
    return key, _ROLES.get(key)


# _key of field names as mailers write them, looked up once (another spelling is worked out).
_KEYS = {
    spelling: _key(spelling)
    for name in (*FIELDS, "X-From", "X-To", "X-cc", "X-Cc")
    for spelling in (name, name.lower())
}
_FLAG_FIELDS = frozenset(
    {
        "precedence",
        "list-id",
        "list-unsubscribe",
        "auto-submitted",
        "x-autoreply",
        "x-autorespond",
    }
)
_NO_FLAGS: frozenset[Flag] = frozenset()


# One address field's value as participants, with the warnings for entries that are no
# address: a mailbox repeats the same From and many of the same To values, so each distinct
# (field name, value) is parsed, checked and built once. Bounded, so memory stays flat.
@functools.lru_cache(maxsize=16384)
def _parties(name: str, value: str) -> tuple[tuple[Participant, ...], tuple[str, ...]]:
    role = _key(name)[1]
    assert role is not None
    parties: list[Participant] = []
    problems: list[str] = []
    seen: set[str] = set()
    for display, address in _cached_addresses(value):
        if not is_address(address):
            problems.append(f"{name}: {address!r} is not an e-mail address; dropped")
            continue
        if len(display) > _LONGEST_NAME:
            display = display[:_LONGEST_NAME]
        if address not in seen:
            seen.add(address)
            parties.append(_participant(address, role, display))
    return tuple(parties), tuple(problems)


def _exported_names(participants: list[Participant], values: list[str]) -> list[Participant]:
    """Participants without a display name get the one X-From/X-To/X-cc shows for them."""
    names: dict[str, str] = {}
    for value in values:
        for match in _NAME_BEFORE.finditer(decode_words(value)):
            display = match[1].strip().strip("'\"").strip()
            if display and len(display) <= _LONGEST_NAME:
                names.setdefault(match[2].lower(), display)
    if not names:
        return participants
    return [
        p if p.name or p.address not in names else _participant(p.address, p.role, names[p.address])
        for p in participants
    ]


def _warn(warnings: list[str] | None, text: str) -> None:
    if warnings is None:
        # Info, not warning: a mailbox may hold thousands ("To: mary"), one line each.
        log.info("mail header: %s", text)
    else:
        warnings.append(text)


def interaction_from_bytes(
    raw: bytes,
    *,
    source_id: str,
    folder: str | None,
    fallback_date: datetime | None = None,
    thread_id: str | None = None,
) -> InteractionRecord:
    """interaction_from_headers over a raw header block (a whole message works; body ignored)."""
    return interaction_from_headers(
        parse_header_block(raw),
        source_id=source_id,
        folder=folder,
        fallback_date=fallback_date,
        thread_id=thread_id,
    )
