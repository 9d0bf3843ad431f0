"""RFC 5322 messages for drafts: sanitised header values, validated addresses, our Message-IDs.

Names and subjects come from other people's mail, so they are attacker-controlled: a CR or LF in
one must never start a new header (header injection), a NUL must never reach a provider. Every
header value passes through `plain()` (one line, no control or format characters) before the
`email` package encodes it (RFC 2047 for non-ASCII), and every address must be a plain
`local@domain` (RFC 5322 3.4.1 dot-atom form) or the draft is refused.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from agent.drafting.words import plain

# RFC 5322 3.2.3 atext, for the local part; domains as LDH labels (RFC 1035 2.3.1, RFC 5890 for
# A-labels) so an address can never smuggle quotes, angle brackets, commas or white space.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# RFC 5322 2.1.1: lines SHOULD stay under 78 characters; a subject longer than this is cut so
# that folding stays simple and the subject stays readable.
MAX_SUBJECT = 200
MAX_NAME = 100
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
# Output uses CRLF line ends (RFC 5322 2.1), as IMAP APPEND and Gmail's raw upload expect.
WIRE = policy.SMTPUTF8.clone(linesep="\r\n", max_line_length=78, utf8=False)


class InvalidAddress(ValueError):
    """An address that is not a plain local@domain; the draft is not built."""


def valid_address(address: str) -> str:
    """`address` lower-cased if it is a plain `local@domain`; InvalidAddress otherwise."""
    text = address.strip()
    local, at, domain = text.rpartition("@")
    if (
        not at
        or len(text) > 254  # RFC 5321 4.5.3.1.3: a path holds at most 256 octets with <>
        or len(local) > 64
        or not _LOCAL.match(local)
        or "." not in domain
        or not all(_LABEL.match(label) for label in domain.split("."))
    ):
        raise InvalidAddress(f"not a plain e-mail address: {address!r}")
    return f"{local}@{domain.lower()}"


def header_text(value: str | None, limit: int = MAX_SUBJECT) -> str:
    """A header value that cannot inject anything: one line, no controls, at most `limit` chars."""
    text = plain(value or "")
    return text[:limit].rstrip()


def display_name(name: str | None) -> str:
    """A display name safe to quote: `header_text` without quotes or backslashes, which some
    clients mis-parse inside quoted strings (RFC 5322 3.2.4)."""
    return header_text((name or "").replace('"', " ").replace("\\", " "), MAX_NAME)


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


def _address(recipient: Recipient) -> Address:
    local, _, domain = valid_address(recipient.address).rpartition("@")
    return Address(display_name=display_name(recipient.name), username=local, domain=domain)


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
    message = EmailMessage(policy=WIRE)
    message["From"] = _address(envelope.sender)
    message["To"] = [_address(r) for r in envelope.to]
    message["Subject"] = header_text(envelope.subject)
    message["Date"] = format_datetime(envelope.date)
    message["Message-ID"] = message_id
    parent = valid_message_id(envelope.in_reply_to)
    if parent is not None:
        # RFC 5322 3.6.4: References is the parent's References followed by the parent's id.
        message["In-Reply-To"] = parent
        chain = [r for r in (valid_message_id(x) for x in envelope.references) if r]
        chain = [*[r for r in dict.fromkeys(chain) if r != parent][-20:], parent]
        message["References"] = " ".join(chain)
    message.set_content(body_text(body), charset="utf-8")
    return message.as_bytes(policy=WIRE)


def intended_headers(envelope: Envelope) -> dict[str, str]:
    """The header values a reader should see after parsing `build_message`'s output (tests)."""
    headers = {
        "From": str(_address(envelope.sender)),
        "To": ", ".join(str(_address(r)) for r in envelope.to),
        "Subject": header_text(envelope.subject),
        "Message-ID": envelope.message_id,
    }
    return headers


def sequence_of_ids(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Message-IDs from a References value (space-separated) or a list of them."""
    if not value:
        return ()
    items = value.split() if isinstance(value, str) else list(value)
    return tuple(i for i in (valid_message_id(x) for x in items) if i)
