"""Reading an address book export: vCard (.vcf, RFC 6350) or CSV (Google, Outlook, or plain).

Each entry gives a person's addresses, name and known dates. An entry that cannot be used is
reported with where it was and why; the rest is imported.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from touchbase.agent.errors import UserError

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


@dataclass
class Entry:
    where: str
    addresses: list[str] = field(default_factory=list)
    name: str = ""
    birthday: date | None = None
    work_anniversary: date | None = None


@dataclass
class ContactsFile:
    entries: list[Entry]
    problems: list[tuple[str, str]]  # (where, why)


def parse_day(text: str) -> date | None:
    """YYYY-MM-DD, YYYYMMDD, --MMDD / --MM-DD (vCard without year), MM/DD/YYYY (Outlook)."""
    text = text.strip()
    if not text:
        return None
    patterns = (
        (r"^(\d{4})-?(\d{2})-?(\d{2})", (1, 2, 3)),
        (r"^--(\d{2})-?(\d{2})$", (None, 1, 2)),
        (r"^(\d{1,2})/(\d{1,2})/(\d{4})$", (3, 1, 2)),
    )
    for pattern, (y, m, d) in patterns:
        match = re.match(pattern, text)
        if match:
            year = int(match.group(y)) if y else 1  # year 1: a yearly date, year unknown
            return date(year, int(match.group(m)), int(match.group(d)))
    raise ValueError(f"unreadable date {text!r}")


def read_contacts(path: Path) -> ContactsFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    text = raw.decode("utf-8-sig", errors="replace")
    if "BEGIN:VCARD" in text[:4096].upper():
        return _vcards(text, path.name)
    return _csv(text, path.name)


def _vcards(text: str, name: str) -> ContactsFile:
    import vobject

    entries: list[Entry] = []
    problems: list[tuple[str, str]] = []
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=True))
    except Exception as exc:  # vobject raises its own ParseError and assorted ValueErrors
        raise UserError(f"{name} is not a readable vCard file: {exc}") from None
    for number, card in enumerate(cards, 1):
        entry = Entry(where=f"{name} card {number}")
        contents = card.contents
        entry.name = str(contents["fn"][0].value).strip() if "fn" in contents else ""
        entry.addresses = [str(e.value).strip().lower() for e in contents.get("email", [])]
        try:
            if "bday" in contents:
                entry.birthday = parse_day(str(contents["bday"][0].value))
            for key in ("anniversary", "x-anniversary"):
                if key in contents:
                    entry.work_anniversary = parse_day(str(contents[key][0].value))
        except ValueError as exc:
            problems.append((entry.where, str(exc)))
        _keep(entry, entries, problems)
    return ContactsFile(entries, problems)


def _csv(text: str, name: str) -> ContactsFile:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise UserError(f"{name} has no header row", advice="export contacts as vCard or CSV")
    columns = {c.lower().strip(): c for c in reader.fieldnames if c}
    email_columns = [c for k, c in columns.items() if "mail" in k and "type" not in k]
    name_column = next(
        (columns[k] for k in ("name", "full name", "display name") if k in columns), None
    )
    first, last = (
        columns.get("first name") or columns.get("given name"),
        (columns.get("last name") or columns.get("family name")),
    )
    if not email_columns:
        raise UserError(
            f"{name}: no e-mail column in {', '.join(reader.fieldnames)}",
            advice="the CSV needs a column such as 'E-mail Address' or 'email'",
        )
    entries: list[Entry] = []
    problems: list[tuple[str, str]] = []
    for number, row in enumerate(reader, 2):
        entry = Entry(where=f"{name} line {number}")
        for column in email_columns:
            for part in re.split(r"[;,:]| ::: ", row.get(column) or ""):
                if part.strip():
                    entry.addresses.append(part.strip().lower())
        if name_column:
            entry.name = (row.get(name_column) or "").strip()
        if not entry.name and (first or last):
            entry.name = " ".join(
                (row.get(c) or "").strip() for c in (first, last) if c and row.get(c)
            )
        try:
            birthday = columns.get("birthday")
            if birthday:
                entry.birthday = parse_day(row.get(birthday) or "")
            anniversary = columns.get("anniversary")
            if anniversary:
                entry.work_anniversary = parse_day(row.get(anniversary) or "")
        except ValueError as exc:
            problems.append((entry.where, str(exc)))
        _keep(entry, entries, problems)
    return ContactsFile(entries, problems)


def _keep(entry: Entry, entries: list[Entry], problems: list[tuple[str, str]]) -> None:
    bad = [a for a in entry.addresses if not _EMAIL.match(a)]
    for address in bad:
        problems.append((entry.where, f"not an e-mail address: {address!r}"))
    entry.addresses = list(dict.fromkeys(a for a in entry.addresses if _EMAIL.match(a)))
    if not entry.addresses:
        problems.append((entry.where, "no e-mail address"))
        return
    entries.append(entry)
