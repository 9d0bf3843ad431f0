"""Outlook / Microsoft 365 accounts over Microsoft Graph: mail and meeting metadata, Outlook drafts.

`open_account(settings, context)` returns a GraphAccount (a Source and a DraftSink). Settings, the
account's TOML table (every key but `client_id` optional):

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

Sign-in (`touchbase auth ACCOUNT`) calls `GraphAccount.sign_in`; its token cache is kept in the
account's secrets as `token_cache` (connectors/msal_auth.py). The app registration needs delegated
Mail.ReadWrite (drafts) and Calendars.Read, and "Allow public client flows" for the device code.
No code here sends mail: there is no send call (DESIGN.md contract 6).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from touchbase.connectors.base import AccountContext, DraftMessage, Page
from touchbase.connectors.errors import ConnectorError
from touchbase.connectors.graph import calendar as graph_calendar
from touchbase.connectors.graph import mail as graph_mail
from touchbase.connectors.graph.delta import Round, Stream, pull_streams
from touchbase.connectors.graph.drafts import GraphDrafts
from touchbase.connectors.graph.http import MAX_CONCURRENCY, GraphClient, TokenProvider
from touchbase.connectors.graph.msal_auth import DEFAULT_SCOPES, MsalAuth

log = logging.getLogger(__name__)

TYPE = "outlook"
FOLDER_HINTS = {"sentitems": "sent", "inbox": "inbox", "drafts": "drafts"}


@dataclass(frozen=True)
class GraphSettings:
    """An account's validated settings (see the module docstring)."""

    client_id: str
    tenant: str = "common"
    authority: str = ""
    graph_url: str = "https://graph.microsoft.com/v1.0"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    mail_folders: tuple[str, ...] = ("sentitems", "inbox")
    calendar: bool = True
    calendar_past_days: int = 365
    calendar_ahead_days: int = 30
    page_size: int = 200
    timeout: float = 60.0
    concurrency: int = MAX_CONCURRENCY


def _bad(key: str, what: str) -> ConnectorError:
    return ConnectorError(
        f"setting `{key}` {what}", advice=f"fix `{key}` in this account's settings"
    )


def _int(settings: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(key, f"must be a whole number from {low} to {high}, not {value!r}")
    return value


def _strings(settings: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = settings.get(key, list(default))
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise _bad(key, f"must be a non-empty list of names, not {value!r}")
    return tuple(v.strip() for v in value)


def _url(key: str, value: object, *, allow_loopback_http: bool) -> str:
    if not isinstance(value, str):
        raise _bad(key, f"must be a URL, not {value!r}")
    parts = urlsplit(value)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and loopback and allow_loopback_http
    )
    if secure and parts.hostname:
        return value.rstrip("/")
    raise _bad(key, f"must be an https:// URL, not {value!r}")


def parse_settings(settings: Mapping[str, Any]) -> GraphSettings:
    """Check an account's settings; every problem is a ConnectorError saying what to change."""
    known = set(GraphSettings.__dataclass_fields__) | {"type", "name"}
    for key in sorted(set(settings) - known):
        log.warning("outlook account: unknown setting %r ignored", key)
    client_id = settings.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        raise ConnectorError(
            "an Outlook account needs `client_id`",
            advice="register an app in Microsoft Entra (README, 'Outlook') and set `client_id`",
        )
    tenant = settings.get("tenant", "common")
    if not isinstance(tenant, str) or not tenant.strip() or "/" in tenant:
        raise _bad(
            "tenant", f"must be common, organizations, consumers or a tenant id, not {tenant!r}"
        )
    authority = _url(
        "authority",
        settings.get("authority", f"https://login.microsoftonline.com/{tenant.strip()}"),
        allow_loopback_http=False,  # msal refuses plain-http authorities
    )
    calendar = settings.get("calendar", True)
    if not isinstance(calendar, bool):
        raise _bad("calendar", f"must be true or false, not {calendar!r}")
    timeout = settings.get("timeout", 60.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 1 <= timeout <= 600:
        raise _bad("timeout", f"must be seconds from 1 to 600, not {timeout!r}")
    return GraphSettings(
        client_id=client_id.strip(),
        tenant=tenant.strip(),
        authority=authority,
        graph_url=_url(
            "graph_url",
            settings.get("graph_url", GraphSettings.graph_url),
            allow_loopback_http=True,  # a local fake or proxy
        ),
        scopes=_strings(settings, "scopes", DEFAULT_SCOPES),
        mail_folders=_strings(settings, "mail_folders", GraphSettings.mail_folders),
        calendar=calendar,
        calendar_past_days=_int(settings, "calendar_past_days", 365, 0, 3650),
        calendar_ahead_days=_int(settings, "calendar_ahead_days", 30, 1, 365),
        page_size=_int(settings, "page_size", 200, 1, 1000),
        timeout=float(timeout),
        concurrency=_int(settings, "concurrency", MAX_CONCURRENCY, 1, MAX_CONCURRENCY),
    )


@dataclass
class GraphAccount:
    """One Outlook mailbox: a Source (sent mail, inbox, meetings) and a DraftSink."""

    client: GraphClient
    settings: GraphSettings
    auth: MsalAuth | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _drafts: GraphDrafts = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._drafts = GraphDrafts(self.client)

    def pull(self, cursor: str | None) -> Generator[Page, None, None]:
        if self.auth is not None:
            self.auth.silent()  # acquire_token_silent once per sync: fails early, with advice
        yield from pull_streams(self.client, self.streams(), cursor)

    def push_draft(self, draft: DraftMessage) -> str:
        return self._drafts.push_draft(draft)

    def find_draft(self, draft: DraftMessage) -> str | None:
        return self._drafts.find_draft(draft)

    def sign_in(self, show: Callable[[str], None], *, browser: bool = False) -> str:
        """`touchbase auth ACCOUNT`: the device-code flow, or a local browser when asked."""
        if self.auth is None:
            raise ConnectorError("this account was opened with a fixed token; nothing to sign in")
        if browser:
            return self.auth.sign_in_interactively()
        return self.auth.sign_in_with_device_code(show)

    def close(self) -> None:
        self.client.close()

    def streams(self) -> list[Stream]:
        s = self.settings
        # Immutable ids survive moves between folders, so a source id stays the same
        # (https://learn.microsoft.com/graph/outlook-immutable-id).
        prefer = f'odata.maxpagesize={s.page_size}, IdType="ImmutableId"'
        streams = [self._mail_stream(folder, prefer) for folder in s.mail_folders]
        if s.calendar:
            streams.append(
                Stream(
                    name="calendar",
                    fresh=self._calendar_round,
                    convert=graph_calendar.event_to_interaction,
                    headers={"Prefer": prefer + ', outlook.timezone="UTC"'},
                    stale=self._calendar_stale,
                )
            )
        return streams

    def _mail_stream(self, folder: str, prefer: str) -> Stream:
        hint = FOLDER_HINTS.get(folder.lower(), folder)
        return Stream(
            name=f"mail:{folder}",
            fresh=lambda: Round(
                f"me/mailFolders/{folder}/messages/delta", {"$select": graph_mail.MAIL_SELECT}
            ),
            convert=lambda message: graph_mail.message_to_interaction(message, hint),
            headers={"Prefer": prefer},
        )

    def _calendar_round(self) -> Round:
        start, end = graph_calendar.window(
            self.now(), self.settings.calendar_past_days, self.settings.calendar_ahead_days
        )
        bounds = {
            "startDateTime": graph_calendar.iso(start),
            "endDateTime": graph_calendar.iso(end),
        }
        return Round("me/calendarView/delta", bounds, {"end": bounds["endDateTime"]})

    def _calendar_stale(self, saved: Mapping[str, str]) -> bool:
        """A deltaLink keeps its window; renew it once half the look-ahead has gone by."""
        try:
            end = datetime.fromisoformat(saved["end"])
        except (KeyError, ValueError):
            return True
        margin = timedelta(days=self.settings.calendar_ahead_days / 2)
        return self.now() + margin > end


def open_account(
    settings: Mapping[str, Any],
    context: AccountContext,
    *,
    token: TokenProvider | None = None,
    http_client: Any = None,
) -> GraphAccount:
    """The factory the agent's registry calls (connectors/base.py AccountContext).

    `token` (a fixed token provider) and `http_client` (msal's HTTP, routed to a local fake) are
    for tests and benchmarks only.
    """
    parsed = parse_settings(settings)
    auth: MsalAuth | None = None
    if token is None:
        auth = MsalAuth(
            account=context.name,
            client_id=parsed.client_id,
            authority=parsed.authority,
            secrets=context.secrets,
            scopes=parsed.scopes,
            http_client=http_client,
            timeout=parsed.timeout,
        )
        token = auth
    client = GraphClient(
        base_url=parsed.graph_url,
        token=token,
        account=context.name,
        timeout=(min(10.0, parsed.timeout), parsed.timeout),
        max_concurrency=parsed.concurrency,
    )
    return GraphAccount(client=client, settings=parsed, auth=auth)
