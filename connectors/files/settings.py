"""A files account's settings (`type = "files"`), declared in the settings schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from touchbase.connectors.errors import ConnectorError
from touchbase.rules.schema import (
    REQUIRED,
    Entry,
    Number,
    PathText,
    SchemaError,
    Whole,
    account_table,
)

# Records per page (one transaction each). Each page costs a commit, a cursor write and a
# duplicate check whatever its size: measured on a 30k-message mbox, 500 per page stored in
# 4.2 s, 2,000 in 3.1 s, 5,000 in 2.1 s. 2,000 keeps a killed import's lost work small.
PAGE_SIZE = 2000
HORIZON = timedelta(days=5 * 365)
LOOKAHEAD = timedelta(days=14)

TABLE = account_table(
    "files",
    Entry(
        "path",
        PathText(),
        REQUIRED,
        "an mbox, a Maildir, a folder of .eml files or an .ics calendar (or a folder of them)",
    ),
    Entry(
        "horizon_days",
        Number(0),
        HORIZON.days,
        "how far back calendars' repeating events are expanded, in days",
    ),
    Entry("lookahead_days", Number(0), LOOKAHEAD.days, "how far ahead they are expanded, in days"),
    Entry("page_size", Whole(1), PAGE_SIZE, "interactions per page (one transaction each)"),
)


@dataclass(frozen=True)
class FileSettings:
    """A files account's validated settings; `path` as written (`~` not yet expanded)."""

    path: str
    horizon: timedelta = HORIZON
    lookahead: timedelta = LOOKAHEAD
    page_size: int = PAGE_SIZE


def parse_settings(settings: Mapping[str, Any], *, account: str = "") -> FileSettings:
    """Check a files account's table; a problem is a ConnectorError saying what to change."""
    at = f"account {account!r}: " if account else ""
    try:
        values = TABLE.parse(settings, at, account=account)
    except SchemaError as exc:
        raise ConnectorError(str(exc), advice=exc.advice) from None
    return FileSettings(
        path=values["path"],
        horizon=timedelta(days=values["horizon_days"]),
        lookahead=timedelta(days=values["lookahead_days"]),
        page_size=values["page_size"],
    )
