"""CardDAV address books (`type = "carddav"`): the owner's contacts, kept in step with the server.

Each vCard (RFC 6350; 3.0 from older servers) becomes a ContactRecord: its e-mail addresses, its
name (FN, else N), BDAY, ANNIVERSARY, ORG and TITLE. The store writes them where `touchbase
contacts import` does (the person owning those addresses), in the page's transaction. A card
with no e-mail address is nobody touchbase can write to and is passed over; a card that does not
parse is quarantined with the reason. A card deleted on the server leaves its person as it is
(an address book import never deletes people either).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import vobject

from touchbase.connectors.base import AccountContext, ContactRecord, Quarantined
from touchbase.connectors.dav.caldav import client_for
from touchbase.connectors.dav.collection import ADDRESS_BOOK
from touchbase.connectors.dav.settings import parse_settings
from touchbase.connectors.dav.source import Converted, DavSource, State, describe_cursor
from touchbase.connectors.retry import RetryPolicy

log = logging.getLogger(__name__)

__all__ = ["describe_cursor", "open_account"]

TYPE = "carddav"
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_DATES = (
    (re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})"), (1, 2, 3)),  # 19850412, 1985-04-12, ...T...
    (re.compile(r"^--(\d{2})-?(\d{2})$"), (None, 1, 2)),  # vCard 4 without a year: --0412
)


def parse_day(text: str) -> date | None:
    """A vCard date as a date; a yearly date without its year gets year 1 (as imports do)."""
    text = text.strip()
    for pattern, (y, m, d) in _DATES:
        match = pattern.match(text)
        if match:
            year = int(match.group(y)) if y else 1
            return date(year, int(match.group(m)), int(match.group(d)))
    if text:
        raise ValueError(f"unreadable date {text!r}")
    return None


def _first(card: Any, key: str) -> Any:
    found = card.contents.get(key)
    return found[0].value if found else None


def _name(card: Any) -> str:
    full = _first(card, "fn")
    if full and str(full).strip():
        return " ".join(str(full).split())
    name = _first(card, "n")
    if name is not None:
        parts = (getattr(name, "given", ""), getattr(name, "family", ""))
        return " ".join(" ".join(p) if isinstance(p, list) else str(p) for p in parts if p).strip()
    return ""


def _org(card: Any) -> str:
    value = _first(card, "org")
    if isinstance(value, list):  # ORG is structured: organisation;unit;unit
        value = value[0] if value else ""
    return " ".join(str(value or "").split())


def read_card(data: str, path: str) -> ContactRecord | None:
    """One vCard as a ContactRecord; None when it has no e-mail address. Raises ValueError."""
    try:
        card = vobject.readOne(data)
    except Exception as exc:  # vobject raises ParseError and assorted errors on broken cards
        raise ValueError(f"the vCard does not parse: {exc}") from None
    addresses = []
    for email in card.contents.get("email", []):
        address = str(email.value).strip().lower()
        if address.startswith("mailto:"):
            address = address[7:]
        if _EMAIL.match(address):
            addresses.append(address)
    if not addresses:
        return None
    birthday = _first(card, "bday")
    anniversary = _first(card, "anniversary") or _first(card, "x-anniversary")
    return ContactRecord(
        source_id=path,
        addresses=tuple(dict.fromkeys(addresses)),
        name=_name(card),
        birthday=parse_day(str(birthday)) if birthday else None,
        anniversary=parse_day(str(anniversary)) if anniversary else None,
        organization=_org(card),
        title=" ".join(str(_first(card, "title") or "").split()),
    )


class CardDavSource(DavSource):
    """Every address book of one CardDAV account, as a Source of contacts."""

    kind = ADDRESS_BOOK

    def convert(self, state: State, path: str, etag: str, data: str) -> Converted:
        try:
            record = read_card(data, path)
        except ValueError as exc:
            return Converted(item=[etag], quarantined=[Quarantined(path, f"{path}: {exc}")])
        if record is None:
            log.debug("account %s: %s has no e-mail address; passed over", self.account, path)
            return Converted(item=[etag])
        return Converted(item=[etag], contacts=[record])


def open_account(
    settings: Mapping[str, Any],
    context: AccountContext,
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CardDavSource:
    """The factory the agent's registry calls; `policy` and `sleep` are for tests."""
    parsed = parse_settings(settings, kind=TYPE, account=context.name)
    client = client_for(parsed, context, policy=policy, sleep=sleep)
    return CardDavSource(client, account=context.name, page_size=parsed.page_size)
