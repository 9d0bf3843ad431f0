"""Colleagues at the owner's own organisation: still there (a co-worker) or gone (a dead address).

A check-in goes to someone whose tie lapsed. At the owner's own organisation (the domain of the
owner's work address; a personal mailbox provider is no organisation) that lapse has two usual
causes the headers can tell apart:

- they are still there: their address is still in the owner's mail (a group's mail with both
  on it, their own mail) lately. They are a co-worker the owner sees at work; "it's been a
  while" would be false, and a check-in is not what one writes to a co-worker;
- they left: their address went silent while the rest of the organisation kept writing to the
  owner (at least `left_organisation_colleagues` other people there wrote after their silence
  began, `left_organisation_quiet` later). People who leave announce their new address in the
  body of a farewell ("my new address is ..."), which touchbase never reads, so a draft to the
  old work address would reach nobody, or a stranger reading a dead mailbox. The hold says so
  and how to add the new address (`touchbase people merge OLD NEW`).

When the whole organisation went quiet too (the owner left it, or the mailbox is an old one),
silence says nothing about them and the check-in stands. Pure: reads Contacts, no I/O.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from touchbase.rules.addresses import domain_of
from touchbase.rules.contacts import Contact
from touchbase.rules.dates import show_day
from touchbase.rules.life_events import organisation, organisation_label

LEFT_ORGANISATION = "left-organisation"
COWORKER = "coworker"


def owner_organisations(domains: Iterable[str], personal: frozenset[str]) -> frozenset[str]:
    """The organisations of the owner's own addresses' domains, personal mailboxes left out."""
    found = set()
    for domain in domains:
        domain = domain.lower().strip()
        if domain and domain not in personal and "." in domain:
            found.add(organisation(domain))
    return frozenset(found)


def _org_of(contact: Contact, orgs: frozenset[str]) -> str:
    """The owner's organisation the address a draft would go to is at, else ""."""
    org = _organisation(domain_of(contact.address))
    return org if org in orgs else ""


@lru_cache(maxsize=1 << 14)
def _organisation(domain: str) -> str:
    """organisation(domain), once per domain (a plan asks for each of 10,000 people)."""
    return organisation(domain) if domain else ""


@dataclass(frozen=True, slots=True)
class Workplace:
    """Per owner organisation, when each person there last wrote to the owner (sorted), so
    "how many others wrote after T" is a bisect."""

    wrote: dict[str, tuple[tuple[datetime, ...], tuple[str, ...]]]

    @classmethod
    def of(cls, contacts: Iterable[Contact], orgs: frozenset[str]) -> Workplace:
        per: dict[str, list[tuple[datetime, str]]] = {}
        if orgs:
            for contact in contacts:
                if contact.excluded is not None or contact.last_received is None:
                    continue
                org = _org_of(contact, orgs)
                if org:
                    per.setdefault(org, []).append((contact.last_received, contact.person))
        wrote = {}
        for org, rows in per.items():
            rows.sort()
            wrote[org] = (tuple(t for t, _ in rows), tuple(p for _, p in rows))
        return cls(wrote)

    def wrote_after(self, org: str, after: datetime, but: str) -> int:
        """Other people at `org` whose latest mail to the owner is later than `after`."""
        times, people = self.wrote.get(org, ((), ()))
        start = bisect_right(times, after)
        return sum(1 for p in people[start:] if p != but)


def last_in_mail(contact: Contact) -> datetime | None:
    """The latest mail their address was on with the owner: theirs, the owner's, a group's."""
    times = [
        t
        for t in (contact.last_seen, contact.last_received, contact.last_sent, contact.last_contact)
        if t is not None
    ]
    return max(times) if times else None


def workplace_hold(
    contact: Contact,
    workplace: Workplace,
    orgs: frozenset[str],
    *,
    quiet: timedelta,
    colleagues: int,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[str, str] | None:
    """(rule, reason) holding a check-in to a colleague at the owner's own organisation who is
    still in the owner's mail (a co-worker) or went silent while the rest kept writing (left);
    None when the address is not at the owner's organisation, the rule is off
    (`colleagues` 0), or nothing tells."""
    org = _org_of(contact, orgs) if colleagues > 0 else ""
    if not org:
        return None
    seen = last_in_mail(contact)
    if seen is None:
        return None
    name = organisation_label(org) or org
    if now - seen < quiet:
        return (
            COWORKER,
            f"a colleague at {name}: still in your mail there (last on {show_day(seen, zone)}); "
            f"a check-in is for a tie that lapsed, not someone you work alongside",
        )
    others = workplace.wrote_after(org, seen + quiet, contact.person)
    if others < colleagues:
        return None
    return (
        LEFT_ORGANISATION,
        f"may have left {name}: {contact.address} has been silent since "
        f"{show_day(seen, zone)} while {others} other people at {org} kept writing to you; a "
        f"draft to the old work address would reach nobody. Add their new address with "
        f"`touchbase people merge {contact.address} NEW-ADDRESS`",
    )


__all__ = [
    "COWORKER",
    "LEFT_ORGANISATION",
    "Workplace",
    "last_in_mail",
    "owner_organisations",
    "workplace_hold",
]
