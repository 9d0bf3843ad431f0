"""Who is who, as the owner says it: merges, keeping apart, per-person settings, an address
book (agent.pipeline.identity does the writing; this is the service's face of it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline import identity, linkedin
from touchbase.agent.pipeline.contacts_file import read_contacts
from touchbase.agent.pipeline.evaluation import person_key, policy_for
from touchbase.agent.pipeline.models import Person, PersonAddress
from touchbase.rules.addresses import normalise
from touchbase.rules.contacts import Contact

if TYPE_CHECKING:
    from touchbase.agent.service import Service

SETTINGS = "birthday, work_anniversary, cadence, never_draft, name, snooze_until"


@dataclass(frozen=True)
class Imported:
    """What an address book import did: how many contacts, and what was skipped and why."""

    imported: int
    problems: tuple[tuple[str, str], ...]
    changes: tuple[str, ...] = ()  # job changes a newer LinkedIn export showed


class Identity:
    """`service.identity`: the owner's word on who is who."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def names(self) -> dict[str, tuple[str, list[str]]]:
        """Person key -> (the owner's name for them, every address they own)."""
        known: dict[str, tuple[str, list[str]]] = {}
        with self._service.sessions() as session:
            for address, pid, name in session.execute(
                select(PersonAddress.address, PersonAddress.person_id, Person.name).join(Person)
            ):
                entry = known.setdefault(person_key(pid), (name or "", []))
                entry[1].append(address)
        return known

    def suggestions(self, contacts: Iterable[Contact]) -> list[dict[str, str]]:
        """People who may be one (the same full name), less the pairs kept apart."""
        personal = policy_for(self._service.config).personal_domains
        with self._service.sessions() as session:
            return identity.suggestions(session, contacts, personal)

    def merge(self, first: str, second: str) -> list[str]:
        """Make both addresses (and all of their people's) one person; its addresses."""
        first, second = _pair(first, second)
        with self._service.sessions.begin() as session:
            person = identity.merge(session, first, second, self._service.now())
            return sorted(a.address for a in person.addresses)

    def keep_apart(self, first: str, second: str) -> None:
        """Decline the suggestion that these two are one person. Two addresses the owner
        merged are one person already: refused, naming `unmerge`, which splits them."""
        first, second = _pair(first, second)
        with self._service.sessions.begin() as session:
            mine = identity.person_of(session, first)
            if mine is not None and mine == identity.person_of(session, second):
                raise UserError(
                    f"{first} and {second} are one person (merged); keeping them apart "
                    "would change nothing",
                    advice=f"`touchbase people unmerge {second}` splits {second} back into "
                    "a person of its own",
                )
            identity.decline(session, first, second, self._service.now())

    def unmerge(self, address: str) -> list[str]:
        """Split `address` back into a person of its own; the addresses left with the
        person it was merged into (agent.pipeline.identity.unmerge)."""
        with self._service.sessions.begin() as session:
            _alone, others = identity.unmerge(session, address, self._service.now())
            return others

    def settle(self, address: str, settings: Sequence[str]) -> str:
        """Apply `KEY=VALUE` settings to the person with `address`; their person key."""
        now = self._service.now()
        with self._service.sessions.begin() as session:
            person = identity.ensure_person(session, normalise(address), now)
            for item in settings:
                _apply(person, item, now)
            return person_key(person.id)

    def import_contacts(self, path: Path) -> Imported:
        """Names, merged addresses and dates from a vCard or CSV address book."""
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        now = self._service.now()
        if linkedin.is_connections(_text(path, linkedin.SNIFF)):
            text = _text(path)
            with self._service.sessions.begin() as session:
                done = linkedin.import_connections(session, path, text, now)
            return Imported(done.imported, done.problems, done.changes)
        book = read_contacts(path)
        with self._service.sessions.begin() as session:
            identity.apply_contacts(
                session,
                (
                    (
                        entry.addresses,
                        {
                            "name": entry.name,
                            "birthday": entry.birthday,
                            "work_anniversary": entry.work_anniversary,
                        },
                    )
                    for entry in book.entries
                ),
                now,
            )
        return Imported(len(book.entries), tuple(book.problems))


def _text(path: Path, limit: int = -1) -> str:
    """The file (or its first `limit` bytes) as text: UTF-8, a BOM dropped."""
    try:
        with path.open("rb") as f:
            return f.read(limit).decode("utf-8-sig", errors="replace")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None


def _pair(first: str, second: str) -> tuple[str, str]:
    a, b = normalise(first), normalise(second)
    if identity.is_profile(b):
        b = b.rstrip("/")
    if a == b:
        raise UserError("those are the same address")
    return a, b


def _apply(person: Person, item: str, now: datetime) -> None:
    key, sep, value = item.partition("=")
    key, value = key.strip().replace("-", "_"), value.strip()
    if not sep:
        raise UserError(f"--set {item!r}: expected KEY=VALUE")
    if key in ("birthday", "work_anniversary"):
        setattr(person, key, _parse_day(key, value) if value else None)
    elif key == "cadence":
        if value and (not value.isdigit() or int(value) < 1):
            raise UserError(f"--set cadence={value!r}: expected a number of days")
        person.cadence_days = int(value) if value else None
    elif key == "never_draft":
        if value.lower() not in ("true", "false", "yes", "no", "1", "0", ""):
            raise UserError(f"--set never_draft={value!r}: expected true or false")
        person.never_draft = value.lower() in ("true", "yes", "1")
    elif key == "name":
        person.name = value
    elif key == "snooze_until":
        person.snoozed_until = (
            datetime.combine(_parse_day(key, value), datetime.min.time(), tzinfo=now.tzinfo)
            if value
            else None
        )
    else:
        raise UserError(f"--set {key}: unknown setting", advice=f"one of {SETTINGS}")


def _parse_day(key: str, value: str) -> date:
    try:
        if len(value) == 5:  # MM-DD: a yearly date with no known year
            return date(1, int(value[:2]), int(value[3:]))
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--set {key}={value!r}: expected YYYY-MM-DD or MM-DD") from None
