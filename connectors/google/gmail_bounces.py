"""Report-only bounces in Gmail: who failed, from the returned message's thread (issue 18).

Gmail's own delivery failures carry X-Failed-Recipients, read with the other header fields
(connectors/google/gmail.py). Another server's notice (Exchange's NDR, Postfix's DSN) may name
its failed recipient only in the report part, which the gmail.metadata scope cannot read
(format=full is refused). What it can read: the notice's In-Reply-To/References name the
message it returns (bounces.original_ids), and Gmail files a reply into the thread of the
message it references ("the References and In-Reply-To headers must be set in compliance with
the RFC 2822 standard", https://developers.google.com/gmail/api/guides/threads). So the
notice's thread is asked for (threads.get, format=metadata, address fields and Message-ID
only), and when the returned message is there and went to exactly one address outside the
owner's, that address failed (bounces.sole_recipient). Not found, or several recipients: no one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from touchbase.connectors.bounces import (
    looks_like_bounce,
    needs_report,
    original_ids,
    sole_recipient,
)
from touchbase.connectors.headers import parse_addresses

# What threads.get asks of each message in the thread: who sent it to whom, and its id.
THREAD_HEADERS = ["Message-ID", "From", "To", "Cc", "Bcc"]


def wants_thread(pairs: Sequence[tuple[str, str]], sender: str | None, subject: str | None) -> bool:
    """A bounce that names no one in its headers but names the message it returns."""
    if not (needs_report(pairs) or looks_like_bounce(sender, subject)):
        return False
    return bool(original_ids(pairs))


def _pairs(message: Mapping[str, Any]) -> list[tuple[str, str]]:
    headers = message.get("payload", {}).get("headers", [])
    return [(str(h.get("name", "")), str(h.get("value", ""))) for h in headers]


def _addresses(pairs: Sequence[tuple[str, str]], *names: str) -> list[str]:
    return [
        address
        for name, value in pairs
        if name.lower() in names
        for _shown, address in parse_addresses(value)
    ]


def failed_in_thread(
    get_thread: Callable[[], Mapping[str, Any]],
    pairs: Sequence[tuple[str, str]],
    own: Sequence[str],
) -> tuple[str, ...]:
    """The sole recipient of the message this bounce returns, found in the bounce's thread
    (`get_thread` asks for it), or nothing."""
    wanted = original_ids(pairs)
    thread = get_thread()
    for message_id in wanted:
        for message in thread.get("messages", []):
            found = _pairs(message)
            ids = [v.strip() for n, v in found if n.lower() == "message-id"]
            if message_id not in ids:
                continue
            sender = next(iter(_addresses(found, "from")), "")
            recipients = _addresses(found, "to", "cc", "bcc")
            one = sole_recipient(sender, recipients, own)
            return (one,) if one else ()
    return ()
