"""Build the rules' input types from an Enron maildir's headers (stdlib only, tests only)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from functools import cache
from pathlib import Path

from touchbase.rules.types import BCC, BULK, CC, FROM, MAIL, TO, Interaction, Party

_ROLES = ((FROM, "From"), (TO, "To"), (CC, "Cc"), (BCC, "Bcc"))


def _when(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _headers(path: Path) -> dict[str, list[str]]:
    """The header block only (RFC 5322 2.2: it ends at the first empty line), unfolded.

    Much faster than email.parser on 12,000 files, and the bodies are never looked at.
    """
    raw = path.read_bytes()
    end = raw.find(b"\n\n")
    block = (raw if end < 0 else raw[:end]).decode("latin-1").replace("\r\n", "\n")
    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in block.split("\n"):
        if line[:1] in (" ", "\t") and last is not None:
            last[-1] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if colon:
            last = headers.setdefault(name.strip().lower(), [])
            last.append(value.strip())
    return headers


def read_message(path: Path, ident: int, account: str, folder: str) -> Interaction | None:
    headers = _headers(path)

    def one(name: str) -> str | None:
        values = headers.get(name.lower())
        return values[0] if values else None

    when = _when(one("Date"))
    if when is None:
        return None
    parties = []
    for role, header in _ROLES:
        for name, address in getaddresses(headers.get(header.lower(), [])):
            if "@" in address:
                parties.append(Party(address.strip().lower(), role, name))
    flags = frozenset({BULK}) if one("List-Id") or one("Precedence") else frozenset()
    return Interaction(
        id=ident,
        account=account,
        kind=MAIL,
        occurred_at=when,
        participants=tuple(parties),
        subject=(one("Subject") or "").strip() or None,
        message_id=(one("Message-ID") or "").strip() or None,
        folder=folder,
        flags=flags,
    )


@cache
def mailbox(root: Path) -> tuple[Interaction, ...]:
    """Every message in every folder of one Enron mailbox, as interactions."""
    found = []
    for ident, path in enumerate(sorted(p for p in root.rglob("*") if p.is_file())):
        folder = path.parent.relative_to(root).as_posix()
        item = read_message(path, ident, root.name, folder)
        if item is not None:
            found.append(item)
    return tuple(found)
