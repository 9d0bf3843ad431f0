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


# RFC 5322 3.2.3 dot-atom for the local part, LDH labels for the domain (RFC 1035 2.3.1, RFC 5890
# for A-labels): the only addresses a draft is written to (compose/message.py checks with this).
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
# A domain: two labels or more, each of 1-63 letters, digits and hyphens, no hyphen at either
# end, matched whole in one search (a split and a search per label took 2.2-2.8 us an address
# where this takes 1.4; a plan asks it of each person it proposes for, 4,090 at
# bench/rules.py's 1M). `\n?`: a label searched alone with `...$` passed with one newline
# after it, and this answers as that did (tests/rules/test_writable.py).
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)\n?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+{_LABEL}")


def is_writable(address: str) -> bool:
    """A plain local@domain a draft can be addressed to: not "k..allen@" nor ".shemin@" (an
    export's mangled address), nor anything with quotes, spaces or a bare domain."""
    local, at, domain = address.rpartition("@")
    return bool(
        at
        and len(address) <= 254  # RFC 5321 4.5.3.1.3: a path is at most 256 octets with <>
        and len(local) <= 64
        and _DOT_ATOM.match(local)
        and _DOMAIN.fullmatch(domain)
    )


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
