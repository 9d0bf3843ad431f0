"""RFC 5322 messages for drafts: sanitised header values, validated addresses, our Message-IDs.

Names and subjects come from other people's mail, so they are attacker-controlled: a CR or LF in
one must never start a new header (header injection), a NUL must never reach a provider. Every
header value passes through `plain()` (one line, no control or format characters) before the
`email` package encodes it (RFC 2047 for non-ASCII), and every address must be a plain
`local@domain` (RFC 5322 3.4.1 dot-atom form) or the draft is refused.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from touchbase.agent.pipeline.compose.words import plain
from touchbase.rules.addresses import is_writable

# RFC 5322 2.1.1: lines SHOULD stay under 78 characters; a subject longer than this is cut so
# that folding stays simple and the subject stays readable.
MAX_SUBJECT = 200
MAX_NAME = 100
MAX_PLAIN_NAME = 60
# RFC 2047 2: an encoded word is at most 75 characters: "=?utf-8?b?" + 60 base64 + "?=" = 72,
# and 60 base64 characters carry 45 octets.
WORD_OCTETS = 45
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
# Output uses CRLF line ends (RFC 5322 2.1), as IMAP APPEND and Gmail's raw upload expect.
WIRE = policy.SMTPUTF8.clone(linesep="\r\n", max_line_length=78, utf8=False)


class InvalidAddress(ValueError):
    """An address that is not a plain local@domain; the draft is not built."""


def valid_address(address: str) -> str:
    """`address` lower-cased if it is a plain `local@domain` (rules.addresses.is_writable: RFC
    5322 dot-atom local part, LDH domain labels, so an address can never smuggle quotes, angle
    brackets, commas or white space); InvalidAddress otherwise."""
    text = address.strip()
    if not is_writable(text):
        raise InvalidAddress(f"not a plain e-mail address: {address!r}")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def header_text(value: str | None, limit: int = MAX_SUBJECT) -> str:
    """A header value that cannot inject anything: one line, no controls, at most `limit` chars."""
    return plain(value or "")[:limit].rstrip()


def display_name(name: str | None) -> str:
    """A display name as the draft will carry it: `header_text` without quotes or backslashes
    (some clients mis-parse them inside quoted strings, RFC 5322 3.2.4), and short enough for one
    quoted string or one encoded word. One word, because readers disagree about the space between
    two adjacent encoded words in a phrase (RFC 2047 6.2 drops it; CPython's parser keeps it)."""
    text = header_text((name or "").replace('"', " ").replace("\\", " "), MAX_NAME)
    if _is_plain_ascii(text, MAX_PLAIN_NAME):
        return text
    return text.encode("utf-8")[:WORD_OCTETS].decode("utf-8", "ignore").strip()


def _is_plain_ascii(text: str, room: int) -> bool:
    return (
        len(text) <= room
        and all(32 <= ord(ch) < 127 for ch in text)
        and "=?" not in text  # would read as an RFC 2047 encoded word
    )


def encoded_words(text: str, size: int = 39) -> list[str]:
    """`text` as RFC 2047 "B" encoded words of UTF-8, each under 75 characters (RFC 2047 2),
    never splitting a character; `size` octets per word (39 -> 52 base64 characters -> a
    64-character word, which leaves room for "Subject: " on the first line). In unstructured
    text (Subject) readers join adjacent encoded words without the folding space between them
    (RFC 2047 6.2), so the text reads back exactly."""
    words, chunk = [], b""
    for ch in text:
        data = ch.encode("utf-8")
        if len(chunk) + len(data) > size:
            words.append(chunk)
            chunk = b""
        chunk += data
    if chunk:
        words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words]


def _phrase(text: str, room: int) -> str:
    """Header text as written: plain when short printable ASCII, else encoded words folded one
    per line. We fold ourselves: the email package's folder has rewritten edge cases (leading
    spaces, decoded look-alikes) that a property test found."""
    if _is_plain_ascii(text, room):
        return text
    return "\r\n ".join(encoded_words(text))


def _mailbox(recipient: Recipient) -> str:
    address = valid_address(recipient.address)
    name = display_name(recipient.name)
    if not name or name.lower() == address.lower():  # no name known: not the address twice
        return address
    if _is_plain_ascii(name, MAX_PLAIN_NAME):
        return f'"{name}" <{address}>'
    (word,) = encoded_words(name, WORD_OCTETS)
    return f"{word}\r\n <{address}>"


def new_message_id(address: str) -> str:
    """A globally unique Message-ID (RFC 5322 3.6.4) on the owner's own domain."""
    domain = valid_address(address).rpartition("@")[2] if "@" in address else "touchbase.invalid"
    return f"<touchbase.{secrets.token_hex(16)}@{domain}>"


def valid_message_id(value: str | None) -> str | None:
    """`value` if it is a single msg-id (`<left@right>`), else None (never copied into a header)."""
    if not value:
        return None
    text = value.strip()
    return text if _MESSAGE_ID.match(text) and len(text) <= 250 else None


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str = ""


@dataclass(frozen=True)
class Envelope:
    """Everything that goes into a draft's headers, before sanitising."""

    sender: Recipient
    to: tuple[Recipient, ...]
    subject: str
    message_id: str
    date: datetime
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


def body_text(body: str) -> str:
    """The body with Unix line ends and no control characters other than tab and newline."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and ch != "\x7f"))


def build_message(envelope: Envelope, body: str) -> bytes:
    """The complete message, CRLF line ends, headers sanitised, addresses validated."""
    if not envelope.to:
        raise InvalidAddress("a draft needs at least one recipient")
    message_id = valid_message_id(envelope.message_id)
    if message_id is None:
        raise ValueError(f"not a Message-ID: {envelope.message_id!r}")
    lines = [
        f"From: {_mailbox(envelope.sender)}",
        "To: " + ",\r\n ".join(_mailbox(r) for r in envelope.to),
        f"Subject: {_phrase(header_text(envelope.subject), 68)}",
        f"Date: {format_datetime(envelope.date.astimezone(UTC))}",
        f"Message-ID: {message_id}",
    ]
    parent = valid_message_id(envelope.in_reply_to)
    if parent is not None:
        # RFC 5322 3.6.4: References is the parent's References followed by the parent's id.
        chain = [r for r in (valid_message_id(x) for x in envelope.references) if r]
        chain = [*[r for r in dict.fromkeys(chain) if r != parent][-20:], parent]
        lines.append(f"In-Reply-To: {parent}")
        lines.append("References: " + "\r\n ".join(chain))
    # The body part (Content-Type, Content-Transfer-Encoding, MIME-Version, then the text) is the
    # email package's: it picks 7bit, quoted-printable or base64 as the text needs.
    part = EmailMessage(policy=WIRE)
    part.set_content(body_text(body), charset="utf-8")
    return "\r\n".join(lines).encode("ascii") + b"\r\n" + part.as_bytes(policy=WIRE)


def sequence_of_ids(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Message-IDs from a References value (space-separated) or a list of them."""
    if not value:
        return ()
    items = value.split() if isinstance(value, str) else list(value)
    return tuple(i for i in (valid_message_id(x) for x in items) if i)
