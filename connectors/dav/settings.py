"""CalDAV and CardDAV accounts' settings (`type = "caldav"` / `"carddav"`), declared and checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from touchbase.connectors.errors import ConnectorError
from touchbase.connectors.files.settings import HORIZON, LOOKAHEAD
from touchbase.rules.schema import (
    REQUIRED,
    Entry,
    Number,
    SchemaError,
    Secret,
    Text,
    Url,
    Whole,
    account_table,
)

# Resources per calendar-multiget / addressbook-multiget (one page, one transaction each).
# bench/dav.py, 1,000 events on Radicale (a loaded machine): pages of 100 took 2.6 s, of 250
# 1.6 s, of 500 1.7 s. 250 keeps what a dropped connection loses small.
PAGE_SIZE = 250


def _common(kind: str) -> tuple[Entry, ...]:
    what = "calendar" if kind == "caldav" else "address book"
    return (
        Entry(
            "url",
            Url(loopback_http=True, example="https://dav.example.com/"),
            REQUIRED,
            f"the server's or your principal's URL; every {what} found under it is synced",
        ),
        Entry("username", Text(example="you@example.com"), REQUIRED, "the login name"),
        Entry("password", Secret(), None, "HTTP Basic password; `touchbase auth` can store it"),
        Entry("ca_file", Text(example="/path/ca.pem"), None, "a PEM bundle to trust instead"),
        Entry("timeout", Number(1, 600), 30, "seconds for connect and for every read"),
        Entry("page_size", Whole(1, 1000), PAGE_SIZE, f"{what} entries per page"),
    )


CALDAV = account_table(
    "caldav",
    *_common("caldav"),
    Entry(
        "horizon_days",
        Number(0),
        HORIZON.days,
        "how far back repeating events are expanded, in days (as for .ics files)",
    ),
    Entry("lookahead_days", Number(0), LOOKAHEAD.days, "how far ahead they are expanded, in days"),
)
CARDDAV = account_table("carddav", *_common("carddav"))


@dataclass(frozen=True, slots=True)
class DavSettings:
    """A CalDAV or CardDAV account's validated settings."""

    url: str
    username: str
    ca_file: str | None = None
    timeout: float = 30.0
    page_size: int = PAGE_SIZE
    horizon: timedelta = HORIZON
    lookahead: timedelta = LOOKAHEAD


def parse_settings(table: Mapping[str, Any], *, kind: str, account: str = "") -> DavSettings:
    """Validate an account's TOML table; raise ConnectorError naming the key and the fix."""
    at = f"account {account!r}: " if account else ""
    try:
        values = (CALDAV if kind == "caldav" else CARDDAV).parse(table, at, account=account)
    except SchemaError as exc:
        raise ConnectorError(str(exc), advice=exc.advice) from None
    url = values["url"]
    extra: dict[str, Any] = {}
    if kind == "caldav":
        extra = {
            "horizon": timedelta(days=values["horizon_days"]),
            "lookahead": timedelta(days=values["lookahead_days"]),
        }
    return DavSettings(
        url=url if url.endswith("/") else url + "/",
        username=values["username"],
        ca_file=values["ca_file"],
        timeout=values["timeout"],
        page_size=values["page_size"],
        **extra,
    )
