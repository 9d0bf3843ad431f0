"""LinkedIn's connections export (`Connections.csv`): who, where they work, since when connected.

LinkedIn's "Get a copy of your data" writes a CSV with a few "Notes:" lines before the header
(a warning that some email addresses are missing), then `First Name, Last Name, URL, Email
Address, Company, Position, Connected On`, dates like "04 Mar 2021". Most rows have no email
address: they are kept, found again by their profile URL in a newer export, and offered as a
merge when mail from someone of that name appears (agent/pipeline/identity.py).

Importing a newer export records a changed company or position as a dated new-role event with
the evidence (what it was, what it is, which file); the rules congratulate from it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline import identity
from touchbase.agent.pipeline.models import Person, PersonEvent
from touchbase.rules.addresses import normalise
from touchbase.rules.life_events import COMPANY_CHANGE, NEW_ROLE

HEADER = ("First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On")
_DATE_FORMATS = ("%d %b %Y", "%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d")
SNIFF = 16384  # bytes of a file enough to find the header after LinkedIn's preamble


@dataclass(frozen=True)
class Connection:
    """One row: `where` says which line of the file it came from."""

    where: str
    name: str
    url: str
    email: str
    company: str
    position: str
    connected_on: date | None


@dataclass
class Connections:
    rows: list[Connection] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where, why)


def _header_at(lines: list[str]) -> int | None:
    """The index of the header line, after LinkedIn's "Notes:" preamble (if any)."""
    for index, line in enumerate(lines[:20]):
        cells = [c.strip().strip('"').strip() for c in line.split(",")]
        if cells[:3] == list(HEADER[:3]) and "Connected On" in cells:
            return index
    return None


def is_connections(text: str) -> bool:
    """The text of a LinkedIn connections export (its header within the first lines); only
    the start of `text` is looked at (a 100,000-card address book is not split)."""
    return _header_at(text[:SNIFF].splitlines()[:20]) is not None


def _day(text: str) -> date | None:
    text = text.strip()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    if text:
        raise ValueError(f"unreadable date {text!r}")
    return None


def read_connections(text: str, name: str) -> Connections:
    """The rows of an export; a row that cannot be used is a problem with its line, not an end."""
    lines = text.splitlines()
    start = _header_at(lines)
    found = Connections()
    if start is None:
        found.problems.append((name, "no LinkedIn header line (First Name,Last Name,URL,...)"))
        return found
    reader = csv.DictReader(io.StringIO("\n".join(lines[start:])))
    for number, row in enumerate(reader, start + 2):
        where = f"{name} line {number}"
        cells = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        person = " ".join(p for p in (cells.get("First Name", ""), cells.get("Last Name", "")) if p)
        email = cells.get("Email Address", "")
        url = cells.get("URL", "").rstrip("/").lower()
        if not person and not email:
            found.problems.append((where, "neither a name nor an email address"))
            continue
        if email and ("@" not in email or " " in email):
            found.problems.append((where, f"not an email address: {email!r}"))
            email = ""
        try:
            connected = _day(cells.get("Connected On", ""))
        except ValueError as exc:
            found.problems.append((where, str(exc)))
            connected = None
        found.rows.append(
            Connection(
                where,
                person,
                url,
                normalise(email) if email else "",
                cells.get("Company", ""),
                cells.get("Position", ""),
                connected,
            )
        )
    return found


@dataclass(frozen=True)
class Applied:
    """What an import did: people written, job changes recorded, problems (where, why)."""

    imported: int
    changes: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]


def _find(session: Session, row: Connection, now: datetime) -> Person:
    """The person of a row: by email address, else by profile URL, else a new one."""
    if row.email:
        person = identity.ensure_person(session, row.email, now, source="contacts")
        if row.url and not person.profile_url:
            other = session.scalar(select(Person).where(Person.profile_url == row.url))
            if other is not None and other.id != person.id:
                # Known before without an address: the same connection, now with one.
                person = identity.merge(session, row.email, row.url, now, source="contacts")
        return person
    known = session.scalar(select(Person).where(Person.profile_url == row.url)) if row.url else None
    if known is not None:
        return known
    person = Person(name=row.name, created_at=now, profile_url=row.url or None)
    session.add(person)
    session.flush()
    return person


def record_role_change(
    session: Session, person: Person, row: Connection, seen_in: str, source: str, now: datetime
) -> str | None:
    """Record a dated new-role event when `row`'s company or position differs from what
    `person` had (a LinkedIn export, a CardDAV card's ORG/TITLE); its sentence, or None."""
    changed = _change(person, row)
    if changed is None:
        return None
    sentence, evidence = changed
    evidence.append(seen_in)
    session.add(
        PersonEvent(
            person_id=person.id,
            occurred_at=now,
            kind=NEW_ROLE,
            text=sentence,
            evidence=json.dumps(evidence),
            source=source,
            created_at=now,
        )
    )
    return sentence


def _change(person: Person, row: Connection) -> tuple[str, list[str]] | None:
    """The new-role sentence and evidence when the row's company or position differs."""
    old_company, old_position = person.company or "", person.position or ""
    if not (old_company or old_position):
        return None  # first sight: nothing to compare with
    moved = row.company and row.company.lower() != old_company.lower()
    promoted = row.position and row.position.lower() != old_position.lower()
    if not (moved or promoted):
        return None
    if moved:
        text = f"moved from {old_company or 'elsewhere'} to {row.company}"
        if row.position:
            text += f" ({row.position})"
    else:
        text = f"new position at {row.company or old_company}: {row.position}"
    evidence = []
    if moved:
        evidence.append(f"{COMPANY_CHANGE}{old_company or '-'} -> {row.company}")
    if promoted:
        evidence.append(f"position: {old_position or '-'} -> {row.position}")
    return text, evidence


def as_of(path: Path, rows: list[Connection], now: datetime) -> datetime:
    """When an export was taken, as well as we can tell: it has no date of its own, but it was
    written no earlier than its newest "Connected On" day, and (unless copied without its
    times) no later than its file's mtime. The later of the two; `now` when neither is known."""
    try:
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        written = None
    days = [r.connected_on for r in rows if r.connected_on is not None]
    newest = datetime.combine(max(days), time(), UTC) if days else None
    known = [t for t in (written, newest) if t is not None]
    return max(known) if known else now


def _newest_change(session: Session, person: Person) -> datetime | None:
    return session.scalar(
        select(func.max(PersonEvent.occurred_at)).where(
            PersonEvent.person_id == person.id,
            PersonEvent.kind == NEW_ROLE,
            PersonEvent.source == "linkedin",
        )
    )


def import_connections(session: Session, path: Path, text: str, now: datetime) -> Applied:
    """Write an export's rows: names (where none is set), company, position, connected on;
    a changed company or position becomes a dated new-role event.

    An older export imported again must not undo a job change a newer one recorded (QA: Frank
    "moved from Raviga Capital to Hooli"). The rule: an export taken (as_of) at or before this
    person's newest recorded job change says nothing about their job: its company and position
    are neither recorded nor stored, and the row is reported. A newer export still applies."""
    read = read_connections(text, path.name)
    taken = as_of(path, read.rows, now)
    changes: list[str] = []
    problems = list(read.problems)
    for row in read.rows:
        person = _find(session, row, now)
        newest = _newest_change(session, person) if person.id is not None else None
        if newest is not None and taken <= newest and (row.company or row.position):
            if _change(person, row) is not None:
                problems.append(
                    (
                        row.where,
                        f"this export ({taken.date().isoformat()}) is older than the job change "
                        f"recorded on {newest.date().isoformat()}; company and position kept",
                    )
                )
            row = replace(row, company="", position="")
        sentence = record_role_change(
            session,
            person,
            row,
            f"LinkedIn export {path.name} imported {now.date().isoformat()}",
            "linkedin",
            now,
        )
        if sentence is not None:
            changes.append(f"{row.name or row.email}: {sentence}")
        if row.name and not person.name:
            person.name = row.name
        person.company = row.company or person.company
        person.position = row.position or person.position
        person.connected_on = row.connected_on or person.connected_on
        person.profile_url = person.profile_url or row.url or None
    session.flush()
    return Applied(len(read.rows), tuple(changes), tuple(problems))
