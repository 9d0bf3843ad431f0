"""An Outlook / Microsoft 365 account's settings, declared in the settings schema.

The account's TOML table (every key but `client_id` optional; see TABLE for each one's help):

    client_id            the app registration's Application (client) id (required)
    tenant               "common" (default), "organizations", "consumers", a tenant id or domain
    authority            sign-in authority URL; default https://login.microsoftonline.com/{tenant}
    graph_url            Graph service root; default https://graph.microsoft.com/v1.0
                         (national clouds: https://graph.microsoft.us/v1.0 and the like)
    scopes               delegated permissions; default ["Mail.ReadWrite", "Calendars.Read"]
    mail_folders         folders to sync; default ["sentitems", "inbox"] (well-known names or ids)
    calendar             sync meetings too; default true
    calendar_past_days   how far back meetings are read; default 365
    calendar_ahead_days  how far ahead; default 30 (the window is renewed as time passes)
    page_size            items per delta page (Prefer: odata.maxpagesize); default 200
    timeout              seconds per request; default 60
    concurrency          concurrent requests for this mailbox, 1-4; default 4
    header_lookups       "Other" mail whose list headers are looked up per sync; default 500
    token_cache          msal's token cache, a secret `touchbase auth` keeps (in the keyring)

Only the standard library and the schema here, so the agent checks a configuration file without
loading msal (a quarter of a second to import).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from touchbase.connectors.errors import ConnectorError
from touchbase.rules.schema import (
    REQUIRED,
    Entry,
    Flag,
    Number,
    SchemaError,
    Secret,
    Strings,
    Text,
    Url,
    Whole,
    account_table,
)

# The same values as msal_auth.DEFAULT_SCOPES and http.MAX_CONCURRENCY (a test keeps them equal);
# written here so that reading settings does not import msal and requests.
DEFAULT_SCOPES = ("Mail.ReadWrite", "Calendars.Read")
# Outlook allows 4 concurrent requests per app per mailbox; more is answered with 429
# (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits).
MAX_CONCURRENCY = 4
GRAPH_URL = "https://graph.microsoft.com/v1.0"

TABLE = account_table(
    "outlook",
    Entry(
        "client_id",
        Text(example="00000000-0000-0000-0000-000000000000"),
        REQUIRED,
        "the Application (client) id of your app registration in Microsoft Entra (README, Outlook)",
    ),
    Entry(
        "tenant",
        Text(pattern=r"^[^/\s]+$", hint="common, organizations, consumers or a tenant id"),
        "common",
        "who may sign in: common, organizations, consumers, a tenant id or domain",
    ),
    Entry(
        "authority",
        # msal refuses plain-http authorities, so even loopback needs https here.
        Url(example="https://login.microsoftonline.com/common"),
        None,
        "sign-in authority URL; default https://login.microsoftonline.com/{tenant}",
    ),
    Entry(
        "graph_url",
        Url(loopback_http=True),  # a local fake or proxy
        GRAPH_URL,
        "Graph service root (national clouds: https://graph.microsoft.us/v1.0 ...)",
    ),
    Entry(
        "scopes",
        Strings(what="permissions", filled=True),
        list(DEFAULT_SCOPES),
        "delegated permissions to ask for",
    ),
    Entry(
        "mail_folders",
        Strings(what="folder names", filled=True),
        ["sentitems", "inbox"],
        "folders to sync: well-known names or ids",
    ),
    Entry("calendar", Flag(), True, "sync meetings too"),
    Entry("calendar_past_days", Whole(0, 3650), 365, "how far back meetings are read, in days"),
    Entry("calendar_ahead_days", Whole(1, 365), 30, "how far ahead, in days; renewed as time goes"),
    Entry("page_size", Whole(1, 1000), 200, "items per delta page (Prefer: odata.maxpagesize)"),
    Entry("timeout", Number(1, 600), 60, "seconds per request"),
    Entry(
        "concurrency",
        Whole(1, MAX_CONCURRENCY),
        MAX_CONCURRENCY,
        "concurrent requests for this mailbox",
    ),
    Entry(
        "header_lookups",
        Whole(0, 100_000),
        500,
        "mail Outlook filed as Other whose list headers (List-Id...) are looked up per sync, "
        "one request each, to tell newsletters from people",
    ),
    Entry("token_cache", Secret(), None, "kept by `touchbase auth`; set it to keep it elsewhere"),
)


@dataclass(frozen=True)
class GraphSettings:
    """An account's validated settings (see the module docstring)."""

    client_id: str
    tenant: str = "common"
    authority: str = ""
    graph_url: str = GRAPH_URL
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    mail_folders: tuple[str, ...] = ("sentitems", "inbox")
    calendar: bool = True
    calendar_past_days: int = 365
    calendar_ahead_days: int = 30
    page_size: int = 200
    timeout: float = 60.0
    concurrency: int = MAX_CONCURRENCY
    header_lookups: int = 500


def parse_settings(settings: Mapping[str, Any], *, account: str = "") -> GraphSettings:
    """Check an account's settings; every problem is a ConnectorError saying what to change."""
    at = f"account {account!r}: " if account else ""
    try:
        values = TABLE.parse(settings, at, account=account)
    except SchemaError as exc:
        raise ConnectorError(str(exc), advice=exc.advice) from None
    tenant = values["tenant"]
    authority = values["authority"] or f"https://login.microsoftonline.com/{tenant}"
    return GraphSettings(
        client_id=values["client_id"],
        tenant=tenant,
        authority=authority.rstrip("/"),
        graph_url=values["graph_url"].rstrip("/"),
        scopes=values["scopes"],
        mail_folders=values["mail_folders"],
        calendar=values["calendar"],
        calendar_past_days=values["calendar_past_days"],
        calendar_ahead_days=values["calendar_ahead_days"],
        page_size=values["page_size"],
        timeout=values["timeout"],
        concurrency=values["concurrency"],
        header_lookups=values["header_lookups"],
    )
