"""A fetched header block to an InteractionRecord in one pass, for the blocks servers usually send.

A sync's per-message path was three walks over the same fields: `fetch.header_fields` split the
block into (name, value) pairs, `account.source_id` looked through them for the Message-ID, and
`headers.interaction_from_headers` read them again into the record. For the usual block (UTF-8,
CRLF lines each one whole field, names spelt as mailers write them, one of each address field,
a date that parses) this does the three in one walk and returns the same record; for anything
else it returns None and the caller takes those three steps, so the answer is the same either
way (tests/connectors/test_imap_blocks.py holds it equal on generated and corpus blocks).
"""

from __future__ import annotations

import hashlib

from touchbase.connectors.base import InteractionRecord, Role
from touchbase.connectors.headers import (
    _MAIL,
    _MSGID,
    FIELDS,
    _flags,
    _parties,
    _record,
    decode_words,
    parse_date,
)

# The slot each field lands in, by the spellings a block is likely to use (a server sends a
# field's name as the message wrote it): the address fields by their role, the rest by name.
# Any other name (another spelling, X-From, a flag field such as List-Id) takes the general way.
_FROM, _TO, _CC, _BCC = Role.FROM, Role.TO, Role.CC, Role.BCC
_DATE, _ID, _REPLY, _REFS, _SUBJECT = range(5)
_SLOTS: dict[str, object] = {}
for _name, _slot in (
    ("From", _FROM),
    ("To", _TO),
    ("Cc", _CC),
    ("CC", _CC),
    ("Bcc", _BCC),
    ("BCC", _BCC),
    ("Date", _DATE),
    ("Message-ID", _ID),
    ("Message-Id", _ID),
    ("In-Reply-To", _REPLY),
    ("In-reply-to", _REPLY),
    ("References", _REFS),
    ("Subject", _SUBJECT),
):
    for _spelling in (_name, _name.lower(), _name.upper()):
        _SLOTS[_spelling] = _slot
assert {name.lower() for name in _SLOTS} <= {f.lower() for f in FIELDS}
_NO_FIELDS: dict[str, str] = {}  # _flags' view of a block that holds no flag field


def _one_id(value: str) -> str | None:
    """`_MSGID.findall(value)[0]` when the value is exactly one id (the usual Message-ID and
    In-Reply-To), without building the list; None when it may be anything else.

    The regex's `[^<>\\s]` refuses exactly the characters tested here: `<`, `>`, and
    whitespace, which is the space or a character `isprintable` refuses (every other
    character for which str.isspace holds is a control or a separator)."""
    inner = value[1:-1]
    if (
        value[:1] == "<"
        and value[-1:] == ">"
        and 0 < len(inner) <= 996
        and inner.isprintable()
        and " " not in inner
        and "<" not in inner
        and ">" not in inner
    ):
        return value
    return None


def record_from_block(
    block: bytes, kind: str, folder: str, keep_subject: bool
) -> InteractionRecord | None:
    """`interaction_from_headers(header_fields(block), source_id=source_id(kind, block, ...),
    folder=folder, keep_subject=keep_subject)` for the usual block, or None: then the caller
    takes those steps (a block this refuses may still make a record, or a BadRecord)."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # header_fields' flat split: the block ends in its empty line, every CR and LF is part of
    # a CRLF, and every line is a field (checked per line below, as its name is looked up).
    if not text.endswith("\r\n\r\n"):
        return None
    body = text[:-4]
    lines = body.split("\r\n")
    crlf = len(lines) - 1  # body.count("\r\n"), which costs more than a character's count
    if not body or body.count("\r") != crlf or body.count("\n") != crlf:
        return None
    slots = _SLOTS
    participants: list[object] = []
    roles: list[object] = []
    first_of: dict[
        object, str
    ] = {}  # slot -> its field's value, the first one (as the general way)
    for line in lines:
        name, colon, value = line.partition(":")
        slot = slots.get(name)
        if slot is None or not colon:
            return None  # another name, or no field at all (no colon): the general way
        value = value.strip()
        if slot.__class__ is Role:
            if slot in roles:
                return None  # a repeated address field: the general way merges them
            roles.append(slot)
            parties, problems = _parties(name, value)
            if problems:
                return None  # the general way says what it dropped
            participants.extend(parties)
        else:
            first_of.setdefault(slot, value)
    if not participants:
        return None
    get = first_of.get
    message_id, reply, refs, subject = get(_ID), get(_REPLY), get(_REFS), get(_SUBJECT)
    occurred = parse_date(get(_DATE))
    if occurred is None:
        return None  # no usable Date: the general way falls back or quarantines
    first = _first_id(message_id)
    if first is not None:
        source_id = f"{kind}:{first}"
    else:
        source_id = f"{kind}:sha256:{hashlib.sha256(block).hexdigest()[:32]}"
    in_reply_to = _first_id(reply)
    decoded = None if subject is None else decode_words(subject)
    return _record(
        source_id,
        _MAIL,
        occurred,
        tuple(participants),
        decoded if keep_subject else None,
        None,
        first,
        in_reply_to,
        tuple(_MSGID.findall(refs)) if refs else (),
        None,
        folder,
        _flags(_NO_FIELDS, decoded, folder),
        None,
    )


def _first_id(value: str | None) -> str | None:
    """The first Message-ID in a Message-ID or In-Reply-To value: the value itself when it is
    exactly one id (the usual case, no search), else the first one found; None for none."""
    if not value:
        return None
    one = _one_id(value)
    if one is not None:
        return one
    found = _MSGID.findall(value)
    return found[0] if found else None
