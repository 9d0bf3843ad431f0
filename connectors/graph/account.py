"""Outlook / Microsoft 365 accounts over Microsoft Graph: mail and meeting metadata, Outlook drafts.

`open_account(settings, context)` returns a GraphAccount (a Source and a DraftSink). Its settings,
the account's TOML table, are declared and checked in connectors/graph/settings.py.

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

from touchbase.connectors.base import AccountContext, DraftMessage, InteractionRecord, Page
from touchbase.connectors.errors import ConnectorError
from touchbase.connectors.graph import calendar as graph_calendar
from touchbase.connectors.graph import mail as graph_mail
from touchbase.connectors.graph.bounces import BounceLookup
from touchbase.connectors.graph.bulk import BulkLookup
from touchbase.connectors.graph.delta import Round, Stream, pull_streams
from touchbase.connectors.graph.drafts import GraphDrafts
from touchbase.connectors.graph.http import GraphClient, TokenProvider
from touchbase.connectors.graph.msal_auth import MsalAuth
from touchbase.connectors.graph.settings import GraphSettings, parse_settings

log = logging.getLogger(__name__)

TYPE = "outlook"
FOLDER_HINTS = {"sentitems": "sent", "inbox": "inbox", "drafts": "drafts"}


@dataclass
class GraphAccount:
    """One Outlook mailbox: a Source (sent mail, inbox, meetings) and a DraftSink."""

    client: GraphClient
    settings: GraphSettings
    auth: MsalAuth | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _drafts: GraphDrafts = field(init=False, repr=False)
    _bulk: BulkLookup = field(init=False, repr=False)
    _bounces: BounceLookup = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._drafts = GraphDrafts(self.client)
        prefer = {"Prefer": 'IdType="ImmutableId"'}  # the ids the delta pages hand out
        self._bulk = BulkLookup(self.client, self.settings.header_lookups, prefer)
        self._bounces = BounceLookup(self.client, self.settings.header_lookups, prefer)

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
                    sweep_folder="calendar",  # graph/calendar.py stores events under it
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
            refine=self._refine if hint != "sent" else None,  # our own mail is no bulk, no bounce
        )

    def _refine(self, message: Mapping[str, Any], record: InteractionRecord) -> InteractionRecord:
        """A received message's failed recipients if it is a bounce, then its list flags."""
        return self._bulk.refine(message, self._bounces.refine(message, record))

    def _calendar_round(self) -> Round:
        start, end = graph_calendar.window(
            self.now(), self.settings.calendar_past_days, self.settings.calendar_ahead_days
        )
        bounds = {
            "startDateTime": graph_calendar.iso(start),
            "endDateTime": graph_calendar.iso(end),
        }
        window = {"start": bounds["startDateTime"], "end": bounds["endDateTime"]}
        return Round("me/calendarView/delta", bounds, window)

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
    parsed = parse_settings(settings, account=context.name)
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
