"""CalDAV calendars (`type = "caldav"`): meetings from every calendar the account's URL leads to.

Nextcloud, Fastmail, iCloud, Radicale, Baikal. Discovery, sync-collection and multiget are in
connectors/dav/collection.py, the cursor in connectors/dav/source.py. Each event resource is read
exactly as an imported .ics file is (connectors/files/ics.py `read_calendar`: recurrences
expanded inside the window, time zones, broken events quarantined), and its occurrences stored
with source ids `PATH#UID` (`PATH#UID/RECURRENCE-ID` for a series), so a resource deleted on the
server names the meetings to tombstone. The cursor keeps, per resource, its ETag, whether its
occurrences depend on the window (a series, or nothing in the window yet) and their ids: an
edited series tombstones the occurrences it no longer has.

The window is the files account's: from `horizon_days` before the first sync to `lookahead_days`
ahead of now. As days pass the window's end moves on; once it has moved a day, the resources
that depend on it are fetched again and expanded to the new end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from touchbase.connectors.base import AccountContext, Quarantined
from touchbase.connectors.dav.collection import CALENDAR
from touchbase.connectors.dav.http import DavClient
from touchbase.connectors.dav.settings import DavSettings, parse_settings
from touchbase.connectors.dav.source import Converted, DavSource, State, describe_cursor
from touchbase.connectors.files.ics import read_calendar
from touchbase.connectors.retry import RetryPolicy

log = logging.getLogger(__name__)

__all__ = ["describe_cursor", "open_account"]

TYPE = "caldav"
# How far the window's end may lag behind now + lookahead before series are expanded again: a
# meeting entering the look-ahead shows within a day, and a 15-minute daemon cycle does not
# fetch every series 96 times a day.
REFRESH = timedelta(days=1)


class CalDavSource(DavSource):
    """Every calendar of one CalDAV account, as a Source of meetings."""

    kind = CALENDAR

    def __init__(
        self,
        client: DavClient,
        settings: DavSettings,
        *,
        account: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(client, account=account, page_size=settings.page_size)
        self.horizon = settings.horizon
        self.lookahead = settings.lookahead
        self.now = now
        self._now = now()
        self._end = self._now + self.lookahead

    def begin(self) -> None:
        self._now = self.now().astimezone(UTC)
        self._end = self._now + self.lookahead

    def _start(self, state: State) -> datetime:
        if "a" not in state:
            state["a"] = (self._now - self.horizon).isoformat()
        return datetime.fromisoformat(state["a"])

    def convert(self, state: State, path: str, etag: str, data: str) -> Converted:
        found, bad = read_calendar(
            data.encode("utf-8"), start=self._start(state), end=self._end, where=path
        )
        ids = [record.source_id for record in found]
        depends = not found or "RRULE" in data or "RDATE" in data
        return Converted(
            item=[etag, int(depends), ids],
            interactions=[replace(r, source_id=f"{path}#{r.source_id}") for r in found],
            quarantined=[Quarantined(f"{path}#{q.source_id}", q.reason) for q in bad],
        )

    def forget(self, path: str, item: list[Any]) -> list[str]:
        return [f"{path}#{i}" for i in item[2]] if len(item) > 2 else []

    def refresh(self, state: State) -> list[str]:
        end = state.get("w")
        if end is not None and self._end - datetime.fromisoformat(end) < REFRESH:
            return []
        return [path for path, item in state["i"].items() if len(item) > 1 and item[1]]

    def finish(self, state: State) -> None:
        end = state.get("w")
        if end is None or self._end - datetime.fromisoformat(end) >= REFRESH:
            state["w"] = self._end.isoformat()


def client_for(
    settings: DavSettings,
    context: AccountContext,
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DavClient:
    return DavClient(
        settings.url,
        settings.username,
        lambda: context.secrets.get("password"),
        account=context.name,
        ca_file=settings.ca_file,
        timeout=settings.timeout,
        policy=policy,
        sleep=sleep,
    )


def open_account(
    settings: Mapping[str, Any],
    context: AccountContext,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CalDavSource:
    """The factory the agent's registry calls; `now`, `policy` and `sleep` are for tests."""
    parsed = parse_settings(settings, kind=TYPE, account=context.name)
    client = client_for(parsed, context, policy=policy, sleep=sleep)
    return CalDavSource(client, parsed, account=context.name, now=now)
