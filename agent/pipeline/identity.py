"""Who is who, as the owner decided it: people rows, merges, merge suggestions, contacts files.

Addresses that nobody merged are each their own person and need no row. A row appears when the
owner says something about a person: a merge, a setting, an imported contact, a draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.models import MergeSuggestion, Person, PersonAddress
from touchbase.rules.addresses import normalise
from touchbase.rules.contacts import Contact
from touchbase.rules.merges import suggest_merges


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


def suggestions(session: Session, contacts: Iterable[Contact]) -> list[dict[str, str]]:
    """Pairs of people with the same full display name (rules.merges), less those the owner
    kept apart: offered with the command that merges them, never merged silently."""
    declined = {
        (row.address_a, row.address_b)
        for row in session.scalars(
            select(MergeSuggestion).where(MergeSuggestion.status == "declined")
        )
    }
    people = {contact.person: contact for contact in contacts}
    offered: list[dict[str, str]] = []
    for suggestion in suggest_merges(people.values()):
        first, second = people[suggestion.a], people[suggestion.b]
        pair = sorted((first.address, second.address))
        if tuple(pair) in declined:
            continue
        offered.append(
            {
                "address": pair[0],
                "other": pair[1],
                "name": first.name,
                "reason": suggestion.reason,
                "command": f"touchbase people merge {pair[0]} {pair[1]}",
            }
        )
    return sorted(offered, key=lambda o: (o["address"], o["other"]))


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
