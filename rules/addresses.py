"""Addresses: normal form, aliases, and which ones belong to machines rather than people."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Gmail ignores dots in the local part and everything after "+", and googlemail.com is the same
# mailbox (support.google.com/mail/answer/7436150, /answer/10313). Other providers differ
# (Outlook treats dots as significant), so only these two domains are folded.
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

# Local parts that mean "a machine wrote this". Compared with separators removed, on the first
# one to three words, so "no-reply", "no_reply", "noreply-123" and "do-not-reply" all match
# while "alertsmith" does not. The shipped list lives in default.toml (automated_localparts).
_WORD_SPLIT = re.compile(r"[-_.+]")


def normalise(address: str) -> str:
    """The comparable form of an address: trimmed, lower-cased, Gmail dots and +tags folded.

    >>> normalise(" John.Smith+news@GoogleMail.com ")
    'johnsmith@gmail.com'
    """
    address = address.strip().strip("<>").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def domain_of(address: str) -> str:
    """The part after the last "@" ("" when there is none)."""
    return address.rpartition("@")[2]


def is_automated(address: str, localparts: frozenset[str]) -> bool:
    """True when the local part names a machine: noreply, mailer-daemon, notifications...

    `localparts` holds the words with separators removed ("noreply", "mailerdaemon").
    """
    local = address.rpartition("@")[0] or address
    words = [w for w in _WORD_SPLIT.split(local) if w]
    if not words:
        return False
    return any("".join(words[:n]) in localparts for n in (1, 2, 3))


def squeeze(localpart: str) -> str:
    """A configured local part in the form `is_automated` compares ("no-reply" -> "noreply")."""
    return _WORD_SPLIT.sub("", localpart.strip().lower())


def resolve_aliases(aliases: Mapping[str, str]) -> dict[str, str]:
    """Normalise an alias table (address -> canonical address) and follow chains to their end.

    A cycle (a -> b -> a) stops at the first address seen twice, so the result is always finite.
    """
    table = {normalise(k): normalise(v) for k, v in aliases.items()}
    resolved: dict[str, str] = {}
    for start in table:
        seen = {start}
        target = table[start]
        while target in table and target not in seen:
            seen.add(target)
            target = table[target]
        resolved[start] = target
    return resolved


def owner_addresses(addresses: Iterable[str]) -> frozenset[str]:
    """The owner's addresses in normal form (the owner is never a person)."""
    return frozenset(normalise(a) for a in addresses if a.strip())
