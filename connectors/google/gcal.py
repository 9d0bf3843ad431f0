"""Google Calendar: meetings from events.list(singleEvents=True), incremental by sync token.

Follows the incremental-sync guide (https://developers.google.com/calendar/api/guides/sync):
the full sync pages events.list from `past_days` ago to the last page's `nextSyncToken`; later
runs pass only that syncToken (it may not be combined with timeMin, timeMax, q or orderBy); a
410 means the token expired: one full resync, recorded on its first page.

Cursor (JSON): `{"sync_token": T}` when complete; mid-sync it carries the next `page_token`
(and `time_min` for a full sync, whose later pages must repeat the same query).
Cancelled events come as meetings flagged cancelled, or as `removed` ids when Google sends
only a stub (an event deleted outright).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from touchbase.connectors.base import AccountContext, InteractionRecord, Page, Quarantined, Sweep
from touchbase.connectors.errors import BadRecord, ConnectorError, CursorExpired
from touchbase.connectors.google.auth import authorize as google_authorize
from touchbase.connectors.google.auth import credentials_for
from touchbase.connectors.google.gcal_events import interaction_from_event
from touchbase.connectors.google.http import GoogleHttp, RequestFailed, build_service, execute
from touchbase.connectors.google.settings import GoogleSettings, parse_settings
from touchbase.connectors.retry import RetryPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Position:
    """A calendar cursor: a sync token when complete, a page token (and time_min) mid-way."""

    sync_token: str | None = None
    page_token: str | None = None
    time_min: str | None = None
    sweep: bool | None = None  # this full sync is a resync that reconciles (base.py Sweep)

    def dump(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None})

    @classmethod
    def load(cls, text: str) -> Position | None:
        try:
            position = cls(**json.loads(text))
        except (ValueError, TypeError):
            return None
        if position.sync_token is None and position.time_min is None:
            return None
        return position


class CalendarSource:
    """One Google calendar as a Source of meetings."""

    def __init__(
        self,
        service: Any,
        http: GoogleHttp,
        settings: GoogleSettings,
        *,
        account: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._events = service.events()
        self.http = http
        self.account = account
        self.calendar_id = settings.calendar_id
        self.past_days = settings.past_days
        self.page_size = settings.page_size
        self.now = now
        self.sleep = sleep
        self.policy = policy or RetryPolicy()

    def pull(self, cursor: str | None) -> Iterator[Page]:
        position = Position.load(cursor) if cursor is not None else None
        if position is None:
            if cursor is not None:
                log.warning("account %s: unreadable cursor; one full resync", self.account)
            yield from self._full(None, None, resync=cursor is not None)
        elif position.sync_token is None:
            try:
                yield from self._full(
                    position.time_min, position.page_token, resync=False, sweep=position.sweep
                )
            except RequestFailed as exc:
                if exc.status != 400:
                    raise
                log.info("account %s: page token refused; full sync again", self.account)
                yield from self._full(None, None, resync=True)
        else:
            try:
                yield from self._incremental(position.sync_token, position.page_token)
            except CursorExpired:
                log.info("account %s: calendar sync token expired; one full resync", self.account)
                yield from self._full(None, None, resync=True)

    def close(self) -> None:
        self.http.close()

    def _list(self, **params: Any) -> dict[str, Any]:
        return execute(
            lambda: self._events.list(
                calendarId=self.calendar_id,
                singleEvents=True,
                maxResults=self.page_size,
                **params,
            ),
            self.account,
            "events.list",
            policy=self.policy,
            sleep=self.sleep,
        )

    def _full(
        self, time_min: str | None, token: str | None, *, resync: bool, sweep: bool | None = None
    ) -> Iterator[Page]:
        """A full sync from `time_min` (now - past_days when None). A resync sweeps: the
        events it does not list again are gone (the 410 answer says "wipe the store")."""
        if time_min is None:
            horizon = self.now().astimezone(UTC) - timedelta(days=self.past_days)
            time_min = horizon.strftime("%Y-%m-%dT%H:%M:%SZ")
        sweep = sweep or resync or None
        started = resync
        while True:
            found = self._list(timeMin=time_min, pageToken=token, showDeleted=False)
            nxt = found.get("nextPageToken")
            if nxt:
                after = Position(page_token=nxt, time_min=time_min, sweep=sweep)
            else:
                after = self._done(found)
            page = self._page(found, after, resync)
            if sweep:
                marker = Sweep(
                    f"calendar:{self.calendar_id}",
                    self.calendar_id,
                    since=datetime.fromisoformat(time_min),
                    started=started,
                    done=not nxt,
                )
                page = replace(page, sweep=marker)
            yield page
            resync = started = False
            if not nxt:
                return
            token = nxt

    def _incremental(self, sync_token: str, token: str | None) -> Iterator[Page]:
        while True:
            found = self._list(syncToken=sync_token, pageToken=token)
            nxt = found.get("nextPageToken")
            after = Position(sync_token=sync_token, page_token=nxt) if nxt else self._done(found)
            yield self._page(found, after, False)
            if not nxt:
                return
            token = nxt

    def _done(self, found: Mapping[str, Any]) -> Position:
        token = found.get("nextSyncToken")
        if not token:
            raise ConnectorError("the last page of events.list carried no nextSyncToken")
        return Position(sync_token=str(token))

    def _page(self, found: Mapping[str, Any], after: Position, resync: bool) -> Page:
        interactions: list[InteractionRecord] = []
        quarantined: list[Quarantined] = []
        removed: list[str] = []
        time_zone = found.get("timeZone")
        for event in found.get("items", []):
            event_id = str(event.get("id", ""))
            if event.get("status") == "cancelled" and not event.get("start"):
                removed.append(event_id)  # a deleted event's stub: only id and status
                continue
            try:
                item = interaction_from_event(
                    event, time_zone=time_zone, calendar_id=self.calendar_id
                )
            except BadRecord as exc:
                quarantined.append(Quarantined(event_id, str(exc)))
                continue
            if item is not None:
                interactions.append(item)
        return Page(
            interactions=interactions,
            cursor=after.dump(),
            quarantined=quarantined,
            removed=removed,
            resync=resync,
        )


def open_account(
    settings: Mapping[str, object],
    context: AccountContext,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> CalendarSource:
    """The Calendar connector for one configured account (settings: google_settings.py).

    Raises AuthError when the account has not signed in yet; `now` and `sleep` are for tests.
    """
    parsed = parse_settings(settings, account=context.name, kind="gcal")
    http = GoogleHttp(
        credentials_for(parsed, context), account=context.name, timeout=parsed.timeout
    )
    service = build_service("calendar", "v3", http, parsed.api_root)
    return CalendarSource(service, http, parsed, account=context.name, now=now, sleep=sleep)


def authorize(
    settings: Mapping[str, object], context: AccountContext, **kwargs: Any
) -> tuple[str, ...]:
    """`touchbase auth ACCOUNT`: sign in to Google and store the refresh token."""
    parsed = parse_settings(settings, account=context.name, kind="gcal")
    return google_authorize(parsed, context, **kwargs)
