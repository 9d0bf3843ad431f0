"""Who is who, as the owner decided it: people rows, merges, merge suggestions, contacts files.

Addresses that nobody merged are each their own person and need no row. A row appears when the
owner says something about a person: a merge, a setting, an imported contact, a draft.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.models import (
    ContactDirty,
    InteractionRow,
    MergeSuggestion,
    ParticipantRow,
    Person,
    PersonAddress,
    PersonEvent,
)
from touchbase.rules.addresses import normalise
from touchbase.rules.contacts import Contact
from touchbase.rules.life_events import (
    LifeEvent,
    at_left_employer,
    latest_move,
    out_of_office_move,
)
from touchbase.rules.merges import name_key, suggest_merges
from touchbase.rules.types import AUTO_REPLY, FROM, TO

# What a merge carries over to the surviving person when it lacks them.
_SETTINGS = (
    "name",
    "cadence_days",
    "snoozed_until",
    "birthday",
    "work_anniversary",
    "company",
    "position",
    "connected_on",
    "profile_url",
)


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


def is_profile(address: str) -> bool:
    """A LinkedIn profile page given where an address goes (`people merge ADDRESS URL`)."""
    return "linkedin.com/" in address and "@" not in address


def _owner_of(session: Session, address: str, now: datetime, source: str) -> Person:
    """The person with this address, or the connection with this profile page."""
    if is_profile(address):
        url = address.strip().rstrip("/").lower()
        found = session.scalar(select(Person).where(Person.profile_url == url))
        if found is not None:
            return found
    return ensure_person(session, address, now, source=source)


def merge(
    session: Session, first: str, second: str, now: datetime, *, source: str = "merge"
) -> Person:
    """Make `second` (and every address of its person) the same person as `first`.

    Settings the surviving person lacks are taken from the other one; nothing is lost.
    """
    keep = _owner_of(session, first, now, source)
    other = _owner_of(session, second, now, source)
    if other.id == keep.id:
        return keep
    for attribute in _SETTINGS:
        if not getattr(keep, attribute) and getattr(other, attribute):
            value = getattr(other, attribute)
            if attribute == "profile_url":
                other.profile_url = None  # (indexed: one person holds it at a time)
                session.flush()
            setattr(keep, attribute, value)
    keep.never_draft = keep.never_draft or other.never_draft
    for row in list(other.addresses):
        row.person_id = keep.id
    session.execute(
        update(PersonEvent).where(PersonEvent.person_id == other.id).values(person_id=keep.id)
    )
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


def person_of(session: Session, address: str) -> int | None:
    """The id of the Person row owning `address`; None when nobody merged or named it."""
    return session.scalar(
        select(PersonAddress.person_id).where(PersonAddress.address == normalise(address))
    )


def unmerge(session: Session, address: str, now: datetime) -> tuple[Person, list[str]]:
    """Split `address` out of its person into a person of its own: (that person, the
    addresses left with the other one). Settings, events and drafts stay with the other one
    (they were the merged person's). The pair is remembered apart (never suggested again;
    `merge` still joins them), and every address of both is marked in the persisted contact
    state (ContactDirty), so the next evaluation refolds both people from their own mail.
    Raises UserError when the address is not merged with anyone."""
    address = normalise(address)
    pid = person_of(session, address)
    others = (
        sorted(
            session.scalars(
                select(PersonAddress.address).where(
                    PersonAddress.person_id == pid, PersonAddress.address != address
                )
            )
        )
        if pid is not None
        else []
    )
    if not others:
        raise UserError(
            f"{address} is not merged with anyone",
            advice=f"`touchbase person {address}` shows who it is; "
            "`touchbase people merge A B` joins two addresses",
        )
    alone = Person(name="", created_at=now)
    session.add(alone)
    session.flush()
    session.execute(
        update(PersonAddress)
        .where(PersonAddress.address == address)
        .values(person_id=alone.id, source="unmerge")
    )
    for other in others:
        decline(session, address, other, now)
    session.execute(insert(ContactDirty), [{"address": a} for a in [address, *others]])
    session.flush()
    session.expire_all()
    found = session.get(Person, alone.id)
    assert found is not None
    return found, others


def suggestions(
    session: Session, contacts: Iterable[Contact], personal: frozenset[str] = frozenset()
) -> list[dict[str, str]]:
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
    for suggestion in suggest_merges(people.values(), personal):
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
    offered.extend(_connections_by_name(session, people.values()))
    # One offer per pair, whichever way round it was found: several out-of-office replies (one
    # per mail the owner sent while they were away) name the same pair, as may a shared name.
    seen = {tuple(sorted((o["address"], o["other"]))) for o in offered}
    for found in _out_of_office_moves(session, people.values(), personal):
        both = tuple(sorted((found["address"], found["other"])))
        if both not in declined and both not in seen:
            offered.append(found)
            seen.add(both)
    return sorted(offered, key=lambda o: (o["address"], o["other"]))


def _out_of_office_moves(
    session: Session, contacts: Iterable[Contact], personal: frozenset[str]
) -> list[dict[str, str]]:
    """Out-of-office replies (issue 18) that answered the owner's mail to one address from
    another organisation's: found by In-Reply-To (an index lookup per auto-reply, and there
    are few), offered as a merge with the evidence."""
    owner_of = {a: c for c in contacts for a in c.addresses}
    replies = session.execute(
        select(InteractionRow.id, InteractionRow.in_reply_to, InteractionRow.occurred_at).where(
            InteractionRow.flags.contains(AUTO_REPLY), InteractionRow.in_reply_to.is_not(None)
        )
    ).all()
    offered: list[dict[str, str]] = []
    for reply_id, in_reply_to, replied_at in replies:
        sender = session.scalar(
            select(ParticipantRow.address).where(
                ParticipantRow.interaction_id == reply_id, ParticipantRow.role == FROM
            )
        )
        original = session.execute(
            select(InteractionRow.id, InteractionRow.occurred_at)
            .where(InteractionRow.message_id == in_reply_to)
            .limit(1)
        ).first()
        if sender is None or original is None:
            continue
        wrote_to = session.scalars(
            select(ParticipantRow.address).where(
                ParticipantRow.interaction_id == original.id, ParticipantRow.role == TO
            )
        ).all()
        sender = normalise(sender)
        found = out_of_office_move(
            [normalise(a) for a in wrote_to], sender, original.occurred_at, replied_at, personal
        )
        if found is None or found[0] not in owner_of or sender not in owner_of:
            continue
        old, why = found
        if owner_of[old].person == owner_of[sender].person:
            continue  # one person already
        offered.append(
            {
                "address": old,
                "other": sender,
                "name": owner_of[old].name,
                "reason": why,
                "command": f"touchbase people merge {old} {sender}",
            }
        )
    return offered


def _connections_by_name(session: Session, contacts: Iterable[Contact]) -> list[dict[str, str]]:
    """LinkedIn connections kept without an address (issue 18) whose name someone writing to
    the owner uses: offered as a merge of that address into the connection."""
    waiting: dict[str, Person] = {}
    for row in session.scalars(
        select(Person).where(Person.profile_url.is_not(None), ~Person.addresses.any())
    ):
        named = name_key(row.name)
        if named is not None:
            waiting.setdefault(named, row)
    if not waiting:
        return []
    offered = []
    for contact in contacts:
        key = name_key(contact.name) if contact.name and contact.excluded is None else None
        person = waiting.get(key) if key else None
        if person is None or person.profile_url is None:
            continue
        where = ", ".join(p for p in (person.position, person.company) if p)
        offered.append(
            {
                "address": contact.address,
                "other": person.profile_url,
                "name": person.name,
                "reason": f'"{person.name}" is a LinkedIn connection'
                + (f" ({where})" if where else "")
                + f" with no email address; {contact.address} writes as {contact.name}",
                "command": f"touchbase people merge {contact.address} {person.profile_url}",
            }
        )
    return offered


def imported_events(
    session: Session, person_id: int | None = None
) -> dict[int, tuple[LifeEvent, ...]]:
    """Person id -> the life events imports recorded (a new company or position), oldest
    first; of one person with `person_id`."""
    found: dict[int, list[LifeEvent]] = {}
    query = select(PersonEvent).order_by(PersonEvent.occurred_at, PersonEvent.id)
    if person_id is not None:
        query = query.where(PersonEvent.person_id == person_id)
    for row in session.scalars(query):
        evidence = tuple(json.loads(row.evidence or "[]"))
        found.setdefault(row.person_id, []).append(
            LifeEvent(row.kind, row.occurred_at, row.text, evidence)
        )
    # The newest move says they left a company an address of theirs is at: the event says so,
    # from the addresses stored now (one added since changes it), and the rules hold the
    # person or write to the other address (rules/life_events.py left_employer).
    owners = select(PersonEvent.person_id)
    if person_id is not None:
        owners = owners.where(PersonEvent.person_id == person_id)
    known: dict[int, list[str]] = {}
    for pid, address in session.execute(
        select(PersonAddress.person_id, PersonAddress.address).where(
            PersonAddress.person_id.in_(owners)
        )
    ):
        known.setdefault(pid, []).append(address)
    for pid, events in found.items():
        note = at_left_employer(known.get(pid, ()), events)
        move = latest_move(events)
        if note is not None and move is not None:
            events[events.index(move)] = move._replace(evidence=(*move.evidence, note))
    return {pid: tuple(events) for pid, events in found.items()}


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


_IN_CHUNK = 900  # SQLite's bound-parameter limit, with room to spare


def apply_contacts(
    session: Session,
    contacts: Iterable[tuple[list[str], Mapping[str, object]]],
    now: datetime,
) -> int:
    """`apply_contact` for a whole address book; how many contacts were applied.

    A contact none of whose addresses has a person yet (nearly all of a first import) becomes
    a new person in one flush with the others, where `apply_contact` looked each address up
    and flushed twice per contact: 100k vCards went from about 2 ms to a few tens of
    microseconds a card (issue 13.7). Any contact touching an address already owned (stored,
    or earlier in the same book) takes `apply_contact`'s path, merges and all.
    """
    book = [([normalise(a) for a in addresses], fields) for addresses, fields in contacts]
    wanted = sorted({a for addresses, _ in book for a in addresses})
    owned: set[str] = set()
    for start in range(0, len(wanted), _IN_CHUNK):
        owned.update(
            session.scalars(
                select(PersonAddress.address).where(
                    PersonAddress.address.in_(wanted[start : start + _IN_CHUNK])
                )
            )
        )
    together: list[list[str]] = []  # the addresses of each new person with more than one
    pending: list[tuple[dict[str, object], list[str]]] = []
    applied = 0
    for addresses, fields in book:
        if not addresses:
            continue
        applied += 1
        distinct = list(dict.fromkeys(addresses))
        if owned.intersection(distinct) or len(distinct) != len(addresses):
            _insert_people(session, pending, now)  # what apply_contact may look up
            apply_contact(session, addresses, fields, now)
        else:
            pending.append(({k: v for k, v in fields.items() if v}, distinct))
            if len(distinct) > 1:
                together.append(distinct)
        owned.update(distinct)
    _insert_people(session, pending, now)
    _drop_settled_suggestions(session, together)
    return applied


def _insert_people(
    session: Session, pending: list[tuple[dict[str, object], list[str]]], now: datetime
) -> None:
    """New people with their addresses, in two executemany statements (ORM objects for 100k
    contacts took 950 MB); `pending` is emptied."""
    if not pending:
        return
    session.flush()
    for start in range(0, len(pending), 10_000):
        chunk = pending[start : start + 10_000]
        ids = session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"name": "", "created_at": now, **fields} for fields, _ in chunk],
        ).all()
        session.execute(
            insert(PersonAddress),
            [
                {"person_id": pid, "address": address, "source": "contacts"}
                for pid, (_, addresses) in zip(ids, chunk, strict=True)
                for address in addresses
            ],
        )
    pending.clear()


def _drop_settled_suggestions(session: Session, together: list[list[str]]) -> None:
    """Suggestions to merge two addresses one contact has just made one person (as `merge`
    drops them)."""
    pairs = {tuple(sorted((a, b))) for group in together for a in group for b in group if a < b}
    firsts = sorted({a for a, _ in pairs})
    for start in range(0, len(firsts), _IN_CHUNK):
        rows = session.execute(
            select(MergeSuggestion.address_a, MergeSuggestion.address_b).where(
                MergeSuggestion.address_a.in_(firsts[start : start + _IN_CHUNK])
            )
        ).all()
        for a, b in rows:
            if (a, b) in pairs:
                session.execute(
                    delete(MergeSuggestion).where(
                        MergeSuggestion.address_a == a, MergeSuggestion.address_b == b
                    )
                )
