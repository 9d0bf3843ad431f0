"""Settings of Google accounts (types `gmail`, `gcal`), declared in the settings schema.

An account's TOML table (the agent passes it to `open_account`):

    [[account]]
    name = "work-mail"
    type = "gmail"
    client_file = "~/.config/touchbase/google-client.json"   # required: your OAuth client
    # labels = ["SENT", "INBOX"]     # Gmail labels to read, in order (system label ids)
    # batch_size = 50                # metadata gets per batch request (1-50, as Google advises)
    # quota_units_per_minute = 15000 # pace to Gmail's per-user quota
    # timeout = 30                   # seconds per HTTP request

    [[account]]
    name = "work-calendar"
    type = "gcal"
    client_file = "~/.config/touchbase/google-client.json"
    # calendar_id = "primary"
    # past_days = 730                # how far back the first sync reads
    # page_size = 250                # events per page (1-2500)

`client_file` is the JSON of an OAuth client of type "Desktop app" that you create in Google
Cloud Console (APIs & Services > Credentials) with the Gmail and Calendar APIs enabled.
`api_root` overrides Google's API root URL (tests point it at a local fake; the OAuth endpoints
come from the client file).
The refresh token is a secret, not a value: `touchbase auth ACCOUNT` stores it through the
account's secrets under the name "refresh_token" (the keyring, unless `refresh_token = { ... }`
references another place). The keys are declared in GMAIL and GCAL (rules/schema.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from touchbase.connectors.errors import ConnectorError
from touchbase.rules.schema import (
    REQUIRED,
    Entry,
    Number,
    SchemaError,
    Secret,
    Strings,
    Table,
    Text,
    Url,
    Whole,
    account_table,
)


@dataclass(frozen=True)
class GoogleSettings:
    """One Google account's settings, validated."""

    client_file: str
    api_root: str | None = None
    timeout: float = 30.0
    quota_units_per_minute: float = 15_000.0
    batch_size: int = 50
    labels: tuple[str, ...] = ("SENT", "INBOX")
    calendar_id: str = "primary"
    past_days: int = 730
    page_size: int = 250


COMMON = (
    Entry(
        "client_file",
        Text(example="~/.config/touchbase/google-client.json"),
        REQUIRED,
        "the JSON of a Google OAuth client of type Desktop app (Google Cloud Console > "
        "APIs & Services > Credentials)",
    ),
    Entry(
        "api_root",
        Url(loopback_http=True),
        None,
        "instead of Google's API root URL (tests point it at a local fake)",
    ),
    Entry("timeout", Number(1, 600), 30, "seconds per HTTP request"),
    Entry("refresh_token", Secret(), None, "kept by `touchbase auth`; set it to keep it elsewhere"),
)
GMAIL = account_table(
    "gmail",
    *COMMON,
    Entry(
        "labels",
        Strings(what="Gmail label ids", filled=True, example=("SENT", "INBOX")),
        ["SENT", "INBOX"],
        "Gmail labels to read, in order (system label ids)",
    ),
    Entry("batch_size", Whole(1, 50), 50, "metadata gets per batch request (as Google advises)"),
    Entry(
        "quota_units_per_minute",
        Number(1, 10_000_000),
        15_000,
        "pace to Gmail's per-user quota",
    ),
)
GCAL = account_table(
    "gcal",
    *COMMON,
    Entry("calendar_id", Text(example="primary"), "primary", "the calendar to read"),
    Entry("past_days", Whole(0, 36_500), 730, "how far back the first sync reads, in days"),
    Entry("page_size", Whole(1, 2500), 250, "events per page"),
)
TABLES: dict[str, Table] = {"gmail": GMAIL, "gcal": GCAL}
_FIELDS = frozenset(f.name for f in fields(GoogleSettings))


def parse_settings(raw: Mapping[str, object], *, account: str, kind: str) -> GoogleSettings:
    """Validate `raw` for an account of type `kind` ("gmail" or "gcal")."""
    try:
        values = TABLES[kind].parse(raw, f"account {account!r}: ", account=account)
    except SchemaError as exc:
        raise ConnectorError(str(exc), advice=exc.advice) from None
    settings: dict[str, Any] = {k: v for k, v in values.items() if k in _FIELDS and v is not None}
    return GoogleSettings(**settings)
