"""Who is who, as the owner decided it: people rows, merges, merge suggestions, contacts files.

Addresses that nobody merged are each their own person and need no row. A row appears when the
owner says something about a person: a merge, a setting, an imported contact, a draft.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agent.models import MergeSuggestion, Person, PersonAddress
from rules.addresses import normalise
from rules.contacts import Contact


def ensure_person(session: Session, address: str, now: datetime, *, source: str = "seen") -> Person:
    """The Person row owning `address`, created on first need."""
    address = normalise(address)
    pid = session.scalar(select(PersonAddress.person_id).where(PersonAddress.address == address))
    if pid is not None:
        found = session.get(Person, pid)
        assert found is not None  # the foreign key guarantees it
        return found
    person = Person(name="", created_at=now)
    person.addresses.append(PersonAddress(address=address, source=source))
    session.add(person)
    session.flush()
    return person


def merge(
    session: Session, first: str, second: str, now: datetime, *, source: str = "merge"
) -> Person:
    """Make `second` (and every address of its person) the same person as `first`.

    Settings the surviving person lacks are taken from the other one; nothing is lost.
    """
    keep = ensure_person(session, first, now, source=source)
    other = ensure_person(session, second, now, source=source)
    if other.id == keep.id:
        return keep
    for attribute in ("name", "cadence_days", "snoozed_until", "birthday", "work_anniversary"):
        if not getattr(keep, attribute) and getattr(other, attribute):
            setattr(keep, attribute, getattr(other, attribute))
    keep.never_draft = keep.never_draft or other.never_draft
    for row in list(other.addresses):
        row.person_id = keep.id
    session.flush()
    session.execute(delete(Person).where(Person.id == other.id))
    a, b = sorted((normalise(first), normalise(second)))
    session.execute(
        delete(MergeSuggestion).where(
            MergeSuggestion.address_a == a, MergeSuggestion.address_b == b
        )
    )
    session.expire_all()
    found = session.get(Person, keep.id)
    assert found is not None
    return found


def decline(session: Session, first: str, second: str, now: datetime) -> None:
    """Remember that these two are different people: never suggest them again."""
    a, b = sorted((normalise(first), normalise(second)))
    row = session.scalar(
        select(MergeSuggestion).where(
            MergeSuggestion.address_a == a, MergeSuggestion.address_b == b
        )
    )
    if row is None:
        session.add(
            MergeSuggestion(
                address_a=a,
                address_b=b,
                reason="declined by the owner",
                status="declined",
                created_at=now,
            )
        )
    else:
        row.status = "declined"


def _name_key(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z]+", folded)
    return " ".join(sorted(words)) if len(words) >= 2 else ""  # one word is too weak a sign


def suggestions(session: Session, contacts: Iterable[Contact]) -> list[dict[str, str]]:
    """Pairs of people with the same full display name: offered, never merged silently."""
    declined = {
        (row.address_a, row.address_b)
        for row in session.scalars(
            select(MergeSuggestion).where(MergeSuggestion.status == "declined")
        )
    }
    by_name: dict[str, list[Contact]] = defaultdict(list)
    for contact in contacts:
        key = _name_key(contact.name)
        if key and contact.excluded is None:
            by_name[key].append(contact)
    offered: list[dict[str, str]] = []
    for group in by_name.values():
        group.sort(key=lambda c: c.address)
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                pair = tuple(sorted((first.address, second.address)))
                if pair in declined:
                    continue
                offered.append(
                    {
                        "address": pair[0],
                        "other": pair[1],
                        "name": first.name,
                        "reason": f"both appear as {first.name!r}",
                        "command": f"touchbase people merge {pair[0]} {pair[1]}",
                    }
                )
    return offered


def apply_contact(
    session: Session,
    addresses: list[str],
    fields: Mapping[str, object],
    now: datetime,
) -> Person:
    """One imported contact: its addresses become one person, with its name and dates."""
    person = ensure_person(session, addresses[0], now, source="contacts")
    for other in addresses[1:]:
        person = merge(session, addresses[0], other, now, source="contacts")
    for key, value in fields.items():
        if value:
            setattr(person, key, value)
    return person
