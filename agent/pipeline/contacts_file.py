"""Reading an address book export: vCard (.vcf, RFC 6350) or CSV (Google, Outlook, or plain).

Each entry gives a person's addresses, name and known dates. An entry that cannot be used is
reported with where it was and why; the rest is imported.
"""

from __future__ import annotations

import csv
import io
import quopri
import re
from collections.abc import Iterator
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


# The properties an entry is made of (RFC 6350 6.2.1 FN, 6.4.2 EMAIL, 6.2.5 BDAY, 6.2.6
# ANNIVERSARY; X-ANNIVERSARY is what Apple and Android write for a vCard 3.0 anniversary).
_WANTED = {"FN", "EMAIL", "BDAY", "ANNIVERSARY", "X-ANNIVERSARY"}
_ESCAPES = re.compile(r"\\([\\,;nN])")


def _unescape(value: str) -> str:
    """RFC 6350 3.4 text escapes: backslash, comma, semicolon and n (a newline, which in a
    name reads as a space)."""
    if "\\" not in value:
        return value
    return _ESCAPES.sub(lambda m: " " if m.group(1) in "nN" else m.group(1), value)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) with folded lines joined (RFC 6350 3.2: a line break followed by a
    space or a tab continues the line), and vCard 2.1 quoted-printable values whose lines end
    in a soft break ("=") joined with the next line."""
    number, current, qp = 0, None, False
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if current is not None and (line[:1] in (" ", "\t") or qp):
            current = current[:-1] + line if qp else current + line[1:]
        else:
            if current is not None:
                yield start, current
            current, start = line, number
        head = current.split(":", 1)[0].upper()
        qp = "QUOTED-PRINTABLE" in head and current.endswith("=")
    if current is not None:
        yield start, current


def _property(line: str) -> tuple[str, dict[str, str], str] | None:
    """(NAME, params, value) of a content line (RFC 6350 3.3), group prefix dropped; None for a
    line that is none. Parameter values may be quoted and hold a colon."""
    colon = line.find(":")
    if colon < 0:
        return None
    if '"' in line[:colon]:  # a quoted parameter value: the value starts at the first colon
        quoted = False  # outside quotes
        for index, char in enumerate(line):
            if char == '"':
                quoted = not quoted
            elif char == ":" and not quoted:
                colon = index
                break
    head, value = line[:colon], line[colon + 1 :]
    name, *raw_params = head.split(";")
    params: dict[str, str] = {}
    for param in raw_params:
        key, eq, param_value = param.partition("=")
        # vCard 2.1 writes bare values ("EMAIL;INTERNET;QUOTED-PRINTABLE:...")
        params[key.strip().upper() if eq else param.strip().upper()] = param_value.strip('"')
    return name.rsplit(".", 1)[-1].strip().upper(), params, value


def _value(params: dict[str, str], value: str) -> str:
    if params.get("ENCODING", "").upper() == "QUOTED-PRINTABLE" or "QUOTED-PRINTABLE" in params:
        charset = params.get("CHARSET") or "utf-8"
        try:
            return quopri.decodestring(value.encode("ascii", "replace")).decode(charset, "replace")
        except LookupError:  # an unknown charset: the bytes as UTF-8
            return quopri.decodestring(value.encode("ascii", "replace")).decode("utf-8", "replace")
    return value


def _vcards(text: str, name: str) -> ContactsFile:
    """Every card of a vCard file (RFC 6350; 2.1 and 3.0 read alike for what is used here).

    Read line by line, so one broken card costs only itself: a card without END:VCARD (cut
    off, or followed by the next BEGIN) is reported with its line and skipped, and the cards
    around it are imported. Measured: about 10 us a card, where vobject took about 200 us and
    rejected the whole file over one unterminated card (issue 13.7, 13.9).
    """
    entries: list[Entry] = []
    problems: list[tuple[str, str]] = []
    number = 0
    card: Entry | None = None
    dates: dict[str, str] = {}
    stray: int | None = None  # the first line of content outside any card
    for line_number, line in _logical_lines(text):
        upper = line[:11].upper()
        if upper == "BEGIN:VCARD":
            if card is not None:
                problems.append((card.where, "no END:VCARD before the next card; skipped"))
            number += 1
            card, dates = Entry(where=f"{name} card {number} (line {line_number})"), {}
            continue
        if upper[:9] == "END:VCARD":
            if card is None:
                problems.append((f"{name} line {line_number}", "END:VCARD without BEGIN:VCARD"))
            else:
                _finish(card, dates, entries, problems)
                card = None
            continue
        if card is None:
            if line.strip() and stray is None:
                stray = line_number
                problems.append((f"{name} line {line_number}", "text outside any card; skipped"))
            continue
        prop = _property(line)
        if prop is None or prop[0] not in _WANTED:
            continue
        key, params, value = prop
        if key == "FN":
            card.name = " ".join(_unescape(_value(params, value)).split())
        elif key == "EMAIL":
            address = _value(params, value).strip().lower().removeprefix("mailto:")
            if address:
                card.addresses.append(address)
        else:
            dates.setdefault(key, value)
    if card is not None:
        problems.append((card.where, "no END:VCARD before the end of the file; skipped"))
    return ContactsFile(entries, problems)


def _finish(
    entry: Entry, dates: dict[str, str], entries: list[Entry], problems: list[tuple[str, str]]
) -> None:
    try:
        if "BDAY" in dates:
            entry.birthday = parse_day(dates["BDAY"])
        for key in ("ANNIVERSARY", "X-ANNIVERSARY"):
            if key in dates:
                entry.work_anniversary = parse_day(dates[key])
    except ValueError as exc:
        problems.append((entry.where, str(exc)))
    _keep(entry, entries, problems)


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
