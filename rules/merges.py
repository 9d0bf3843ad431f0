"""Merge suggestions: people who look like one person, offered with the evidence, never applied.

Two people look like one when they carry the same full display name; when two addresses at one
domain spell the same name (jane.doe@ and j..doe@, as an old and a new address often do); or
when a distinctive local part turns up at another domain (gthorse@keyad.com, then
gthorse@about-cis.com: someone who changed jobs or providers). The owner decides: `touchbase
people merge A B`. Until then, a check-in to one is held while the other is in touch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from touchbase.rules.addresses import domain_of
from touchbase.rules.contacts import Contact
from touchbase.rules.life_events import is_new_employer, organisation

_SPACE = re.compile(r"\s+")
_PIECES = re.compile(r"[._-]+")
# Local parts that many different people or roles use: never evidence of one person.
GENERIC_LOCALS = frozenset(
    {
        "info", "sales", "admin", "support", "office", "contact", "hello", "mail", "email",
        "team", "help", "service", "billing", "accounts", "marketing", "jobs", "careers",
        "webmaster", "postmaster", "enquiries", "inquiries", "reception", "finance", "legal",
    }
)  # fmt: skip
MIN_LOCAL = 6  # a shorter local part (jsmith) is too common to say anything across domains
MIN_SURNAME = 5  # an initial and a surname this long (csanchez@) is rare enough to compare


class MergeSuggestion(NamedTuple):
    """Two people that look like one; `touchbase people merge A B` applies it if approved."""

    a: str  # person key
    b: str
    reason: str


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str | None:
    """A display name in comparable form, or None when it says too little to go on (cached: a
    plan asks it for each person up to three times, the owed-mail lookup for each sender).

    Quotes and "Last, First" order are undone; a single word ("Bob") or an address used as a
    name is not enough to suggest anything.
    """
    text = name.strip().strip("'\"").strip()
    if "@" in text:
        return None
    if text.count(",") == 1:
        last, first = text.split(",")
        text = f"{first} {last}"
    words = _SPACE.sub(" ", text).strip().lower().split(" ")
    return " ".join(words) if len(words) >= 2 else None


def likely_same_key(contact: Contact) -> Sequence[str]:
    """Keys two people share when they look like one person. "i:" (an initial: j..doe@) pairs
    only with "f:" (the full first name: jane.doe@) at the same domain, and "c:" (a full first
    name's initial and surname: christina.sanchez@ as csanchez) only with "l:" (a mailbox name
    as written: csanchez@), so jeffrey.hodge@ and john.hodge@ are not paired (germany-c: two
    colleagues); the rest pair alike."""
    addresses = contact.addresses
    if len(addresses) == 1 and (not contact.name or contact.name_guessed):
        return _address_keys(addresses[0])  # most people: their one address's keys, as cached
    keys: list[str] = []
    named = name_key(contact.name) if contact.name else None
    if named and not contact.name_guessed:
        keys.append(f"n:{named}")
    for address in addresses:
        keys.extend(_address_keys(address))
    return keys


@lru_cache(maxsize=1 << 16)
def _address_keys(address: str) -> tuple[str, ...]:
    """likely_same_key's keys from one address (cached: a long-lived process plans again and
    again over the same 10,000 people, and these were a tenth of each plan's deciding)."""
    local, _, domain = address.rpartition("@")
    if "." not in local and "_" not in local and "-" not in local:
        # One piece, as most mailbox names are (10,000 at every plan at bench/rules.py's 1M):
        # no split, no first and last name, only the mailbox name's own key.
        if (
            len(local) >= MIN_LOCAL
            and local not in GENERIC_LOCALS
            # The first letter before a scan: making the scan's generator was a third of the
            # function for the 10,000 mailbox names of bench/rules.py's 1M (all start with one).
            and (local[0].isalpha() or any(c.isalpha() for c in local))
        ):
            return (f"l:{local}",)
        return ()
    keys: list[str] = []
    pieces = [p for p in _PIECES.split(local) if p]
    if len(pieces) >= 2 and pieces[-1].isalpha() and len(pieces[-1]) > 1:
        first, last = pieces[0], pieces[-1]
        if first.isalpha():
            form = "i" if len(first) == 1 else "f"
            keys.append(f"{form}:{first[0]} {last}@{domain}")
            if form == "f":
                keys.append(f"n:{first} {last}@{domain}")
                if len(last) >= MIN_SURNAME:  # christina.sanchez@ and csanchez@ elsewhere
                    keys.append(f"c:{first[0]}{last}")
    squeezed = "".join(pieces)  # shemin.proctor@ and sheminproctor@ are one name
    if (
        len(squeezed) >= MIN_LOCAL
        and squeezed not in GENERIC_LOCALS
        and (squeezed[0].isalpha() or any(c.isalpha() for c in squeezed))
    ):
        keys.append(f"l:{squeezed}")
    return tuple(keys)


def _pairs(contacts: Iterable[Contact]) -> dict[tuple[str, str], tuple[Contact, Contact, str]]:
    """(person a, person b) -> the two contacts and the key they share."""
    # Each key's first contact, and a list only for a key two or more share: nearly every key
    # names one person alone, and a list for each (with a pass over them all to find the few
    # that pair) was 3.5 of 5.6 ms for the 10,000 contacts of bench/rules.py's 1M (issue 16).
    first: dict[str, Contact] = {}
    shared: dict[str, list[Contact]] = {}
    crossing: list[str] = []  # "i:" and "c:" keys: they pair with another key's people
    for contact in contacts:
        keys = likely_same_key(contact)
        for key in dict.fromkeys(keys) if len(keys) > 1 else keys:  # each key once
            found = first.setdefault(key, contact)
            if found is contact:
                if key[0] == "i" or key[0] == "c":
                    crossing.append(key)
            elif key in shared:
                shared[key].append(contact)
            else:
                shared[key] = [found, contact]
    # Only keys that can pair anyone, in key order.
    pairing: list[tuple[str, list[Contact], list[Contact]]] = []
    for key, group in shared.items():
        if key[0] not in "icf":  # "f:" is paired from the "i:" side
            pairing.append((key, group, group))
    for key in crossing:
        other = ("f:" if key[0] == "i" else "l:") + key[2:]
        partner = first.get(other)
        if partner is not None:
            group = shared.get(key) or [first[key]]
            pairing.append((key, group, shared.get(other) or [partner]))
    pairing.sort(key=lambda p: p[0])
    pairs: dict[tuple[str, str], tuple[Contact, Contact, str]] = {}
    for key, group, partners in pairing:
        for a in group:
            for b in partners:
                if a.person == b.person:
                    continue
                pair = tuple(sorted((a.person, b.person)))
                pairs.setdefault(pair, (a, b, key))  # type: ignore[arg-type]
    return pairs


def twins_of(
    contacts: Iterable[Contact], kept_apart: frozenset[tuple[str, str]] = frozenset()
) -> dict[str, list[Contact]]:
    """Person key -> the other people who look like them, less the pairs the owner kept apart
    (`kept_apart` holds sorted address pairs)."""
    twins: dict[str, list[Contact]] = {}
    for a, b, _key in _pairs(contacts).values():
        if any(tuple(sorted((x, y))) in kept_apart for x in a.addresses for y in b.addresses):
            continue
        twins.setdefault(a.person, []).append(b)
        twins.setdefault(b.person, []).append(a)
    return twins


def _reason(a: Contact, b: Contact, key: str, personal: frozenset[str]) -> str:
    if key.startswith("l:"):
        why = f"the same mailbox name at two domains ({a.address}, {b.address})"
    elif key.startswith("i:"):
        why = f"two spellings of one name at one domain ({a.address}, {b.address})"
    elif key.startswith("c:"):
        why = f"a first name's initial and the surname ({a.address}, {b.address})"
    else:
        why = f'both are called "{key[2:].split("@")[0]}" ({a.address}, {b.address})'
    return why + _moved(a, b, personal)


def _moved(old: Contact, new: Contact, personal: frozenset[str]) -> str:
    """The evidence of a move (issue 18) when `new` started writing after `old` stopped, at
    another organisation's domain (not a personal mailbox): merged, the move becomes a dated
    event on the person."""
    old_domain, new_domain = domain_of(old.address), domain_of(new.address)
    if not is_new_employer(old_domain, new_domain, personal):
        return ""
    if old.last_received is None or new.first_contact is None:
        return ""
    if new.first_contact <= old.last_received:
        return ""
    dead = dict(old.dead).get(old.address)
    bounced = f", mail to it bounced on {dead.date().isoformat()}" if dead else ""
    return (
        f"; {old.address} wrote until {old.last_received.date().isoformat()}{bounced}, "
        f"{new.address} since {new.first_contact.date().isoformat()}: moved from {old_domain} "
        f"to {new_domain}?"
    )


class Sighting(NamedTuple):
    """An address seen in the mail's headers (any role, anyone's mail) that may be a person's
    newer one: when it was first and last seen, their latest mail from it and the owner's
    latest mail to it (None: never). agent/pipeline/sightings.py finds them for those due."""

    address: str
    name: str
    first_seen: datetime
    last_seen: datetime
    wrote: datetime | None = None
    written: datetime | None = None

    @property
    def in_touch(self) -> datetime | None:
        """The latest mail between the owner and this address, either way."""
        times = [t for t in (self.wrote, self.written) if t is not None]
        return max(times) if times else None


def _locals(address: str) -> tuple[str, list[str]]:
    local = address.rpartition("@")[0]
    return local, [p for p in _PIECES.split(local) if p]


def sighted_as(contact: Contact, seen: Sighting) -> str | None:
    """Why an address seen in headers looks like this person's at another organisation, or
    None. Three signs, none of them a name or domain of any one mailbox: the same distinctive
    mailbox name (mark.breese@old, mark.breese@new); an initial plus a surname prefix of
    MIN_SURNAME+ letters (steve.gillespie@old, sgillesp@new) that the owner wrote to after the
    old address went quiet; the same full display name (not a guessed one)."""
    if seen.address in contact.addresses:
        return None
    new_org = organisation(domain_of(seen.address))
    olds = [a for a in contact.addresses if organisation(domain_of(a)) != new_org]
    if not olds or len(olds) < len(contact.addresses):
        return None  # one of theirs is already at that organisation: not a move
    new_local, new_pieces = _locals(seen.address)
    new_squeezed = "".join(new_pieces)
    quiet = contact.last_contact or contact.last_received
    for old in olds:
        _local, pieces = _locals(old)
        squeezed = "".join(pieces)
        if (
            squeezed == new_squeezed
            and len(squeezed) >= MIN_LOCAL
            and squeezed not in GENERIC_LOCALS
            and any(c.isalpha() for c in squeezed)
        ):
            return f"the same mailbox name as {old}"
        if len(pieces) >= 2 and pieces[0].isalpha() and pieces[-1].isalpha():
            first, last = pieces[0], pieces[-1]
            tail = new_local[1:]
            if (
                len(last) >= MIN_SURNAME
                and new_local[:1] == first[:1]
                and len(tail) >= MIN_SURNAME
                and last.startswith(tail)
                and seen.written is not None
                and (quiet is None or seen.written > quiet)
            ):
                return (
                    f"{first[0]} + the first {len(tail)} letters of {last}, as {old}; you wrote "
                    f"to it after {old} went quiet"
                )
    # Their name may be guessed from first.last@ (old corporate mail often shows no display
    # name); the sighting's must be one someone wrote.
    named = name_key(contact.name) if contact.name else None
    if named and seen.name and name_key(seen.name) == named:
        return f'the same name ("{seen.name}")'
    return None


def namesakes(contacts: Iterable[Contact]) -> dict[str, list[Sighting]]:
    """Name key -> the people whose own display name it is, as sightings (from their first
    to their last contact; their latest mail in and the owner's latest out): another address
    of someone due may be one of them."""
    found: dict[str, list[Sighting]] = {}
    for c in contacts:
        key = name_key(c.name) if c.name and not c.name_guessed else None
        if key is None or c.first_contact is None:
            continue
        last = c.last_contact or c.first_contact
        dead = dict(c.dead).get(c.address)
        # The owner's latest mail to it bounced: no sign it is anyone's (H7).
        written = None if dead is not None and c.last_sent and dead >= c.last_sent else c.last_sent
        found.setdefault(key, []).append(
            Sighting(c.address, c.name, c.first_contact, last, c.last_received, written)
        )
    return found


def sighted_twins(contact: Contact, sightings: Iterable[Sighting]) -> list[tuple[Sighting, str]]:
    """The sightings that look like this person's newer address, with why, newest first."""
    found = [(s, why) for s in sightings if (why := sighted_as(contact, s)) is not None]
    return sorted(found, key=lambda f: (f[0].last_seen, f[0].address), reverse=True)


def suggest_merges(
    contacts: Iterable[Contact], personal: frozenset[str] = frozenset()
) -> list[MergeSuggestion]:
    """Pairs of people (the older acquaintance first) who look like one person, with why;
    `personal`: mailbox providers (policy personal_domains), never evidence of a new job."""
    found = []
    for a, b, key in _pairs(c for c in contacts if c.excluded is None).values():
        first, other = sorted(
            (a, b), key=lambda c: (c.first_contact is None, c.first_contact, c.person)
        )
        reason = _reason(first, other, key, personal)
        found.append(MergeSuggestion(first.person, other.person, reason))
    return sorted(found)
