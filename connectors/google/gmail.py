"""Gmail: metadata-only sync, full by label then incremental by history, and drafts (never send).

Full sync (https://developers.google.com/gmail/api/guides/sync): record getProfile().historyId
first, list the ids under each label (SENT, then INBOX; labelIds, never `q`, which a
gmail.metadata token may not use), fetch format=metadata with only the header fields
connectors/headers.py reads, in batches. Incremental sync: history.list(startHistoryId,
historyTypes=messageAdded,labelAdded), then the same batched gets of every id added (history
records need not carry labelIds; messages.get's labelIds decide); a 404 means the history is
gone: one full resync. source_id is Gmail's message id, stable across resyncs.

The cursor is JSON: `{"history_id": H}` once a sync is complete; mid-sync it also names the
phase, the label, the list (or history) page token and how many ids of that page are stored, so
a killed sync resumes at the next unstored id.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from touchbase.connectors.base import (
    AccountContext,
    DraftMessage,
    InteractionRecord,
    Page,
    Quarantined,
    Role,
)
from touchbase.connectors.bounces import BOUNCE_FIELDS, failed_recipients, with_failures
from touchbase.connectors.errors import BadRecord, ConnectorError, CursorExpired
from touchbase.connectors.google.auth import authorize as google_authorize
from touchbase.connectors.google.auth import credentials_for
from touchbase.connectors.google.batch import UNITS, Batcher, QuotaBudget
from touchbase.connectors.google.gmail_bounces import THREAD_HEADERS, failed_in_thread, wants_thread
from touchbase.connectors.google.gmail_drafts import GmailDrafts
from touchbase.connectors.google.http import (
    GoogleHttp,
    RequestFailed,
    build_service,
    execute,
    refused,
)
from touchbase.connectors.google.settings import GoogleSettings, parse_settings
from touchbase.connectors.headers import FIELDS, interaction_from_headers
from touchbase.connectors.retry import RetryPolicy

log = logging.getLogger(__name__)

LIST_PAGE = 500  # the largest page messages.list and history.list hand out
# What messages.get(format=metadata) asks for: the fields the rules read, and a bounce's
# X-Failed-Recipients (Gmail's own mailer-daemon sets it; connectors/bounces.py). Content-Type
# comes along but a report part cannot be read: format=full is refused under gmail.metadata.
METADATA_HEADERS = [*FIELDS, *BOUNCE_FIELDS]


@dataclass(frozen=True)
class Position:
    """Where a sync stands. phase "done": complete at history_id; "full"/"history": mid-way."""

    history_id: str
    phase: str = "done"
    label: str | None = None
    page_token: str | None = None
    skip: int = 0  # ids of the page at page_token already stored

    def dump(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (None, 0)})

    @classmethod
    def load(cls, text: str) -> Position | None:
        """The position in a cursor, or None when the cursor is unreadable (then: resync)."""
        try:
            data = json.loads(text)
            position = cls(**data)
        except (ValueError, TypeError):
            return None
        if not position.history_id.isdigit() or position.phase not in ("done", "full", "history"):
            return None
        return position


class GmailAccount:
    """A Gmail account: a Source of sent and received mail, and a DraftSink."""

    def __init__(
        self,
        service: Any,
        http: GoogleHttp,
        settings: GoogleSettings,
        *,
        account: str,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.service = service
        self.http = http
        self.account = account
        self.labels = settings.labels
        self.sleep = sleep
        self.policy = policy or RetryPolicy()
        self.budget = QuotaBudget(settings.quota_units_per_minute, clock=clock, sleep=sleep)
        self.batcher = Batcher(
            service,
            http,
            account,
            self.budget,
            policy=self.policy,
            sleep=sleep,
            rng=rng or random.Random(),
            batch_size=settings.batch_size,
        )
        self.drafts = GmailDrafts(service, self.batcher, self._get, account=account)
        self._users = service.users()
        self.list_page = LIST_PAGE  # ids per messages.list / history.list page

    # ---- DraftSink ----------------------------------------------------------------------
    def push_draft(self, draft: DraftMessage) -> str:
        return self.drafts.push_draft(draft)

    def find_draft(self, draft: DraftMessage) -> str | None:
        return self.drafts.find_draft(draft)

    # ---- Source -------------------------------------------------------------------------
    def pull(self, cursor: str | None) -> Iterator[Page]:
        position = Position.load(cursor) if cursor is not None else None
        if position is None:
            if cursor is not None:
                log.warning("account %s: unreadable cursor; one full resync", self.account)
            yield from self._full(None, resync=cursor is not None)
        elif position.phase == "full":
            yield from self._resume_full(position)
        else:
            try:
                yield from self._history(position)
            except CursorExpired:
                log.info("account %s: Gmail history expired; one full resync", self.account)
                yield from self._full(None, resync=True)

    def close(self) -> None:
        self.http.close()

    def _get(self, make: Callable[[], Any], what: str) -> dict[str, Any]:
        self.budget.spend(UNITS.get(what, 5))
        return execute(make, self.account, what, policy=self.policy, sleep=self.sleep)

    def _resume_full(self, position: Position) -> Iterator[Page]:
        try:
            yield from self._full(position, resync=False)
        except RequestFailed as exc:
            if exc.status != 400 or position.page_token is None:
                raise
            # A list page token can lapse between runs; the store drops the doubles.
            log.info("account %s: list page token refused; full sync again", self.account)
            yield from self._full(None, resync=True)

    def _full(self, position: Position | None, *, resync: bool) -> Iterator[Page]:
        if position is None or position.label not in self.labels:
            profile = self._get(lambda: self._users.getProfile(userId="me"), "getProfile")
            position = Position(str(profile["historyId"]), "full", self.labels[0])
        hid = position.history_id
        labels = self.labels[self.labels.index(str(position.label)) :]
        token, skip = position.page_token, position.skip
        earlier = frozenset(self.labels[: self.labels.index(labels[0])])
        for i, label in enumerate(labels):
            while True:
                page_token = token
                listed = self._get(
                    partial(
                        self._users.messages().list,
                        userId="me",
                        labelIds=[label],
                        maxResults=self.list_page,
                        pageToken=page_token,
                    ),
                    "messages.list",
                )
                ids = [str(m["id"]) for m in listed.get("messages", [])]
                nxt = listed.get("nextPageToken")
                if nxt:
                    after = Position(hid, "full", label, nxt)
                elif i + 1 < len(labels):
                    after = Position(hid, "full", labels[i + 1])
                else:
                    after = Position(hid)
                here = Position(hid, "full", label, page_token)
                for page in self._pages(ids, skip, here, after, earlier):
                    yield replace(page, resync=resync)
                    resync = False
                token, skip = nxt, 0
                if not nxt:
                    break
            earlier = earlier | {label}

    def _history(self, position: Position) -> Iterator[Page]:
        start = position.history_id
        token = position.page_token if position.phase == "history" else None
        skip = position.skip if position.phase == "history" else 0
        wanted = set(self.labels)
        while True:
            page_token = token
            try:
                found = self._get(
                    partial(
                        self._users.history().list,
                        userId="me",
                        startHistoryId=start,
                        historyTypes=["messageAdded", "labelAdded"],
                        maxResults=self.list_page,
                        pageToken=page_token,
                    ),
                    "history.list",
                )
            except RequestFailed as exc:
                if exc.status == 404:  # startHistoryId too old (Gmail sync guide)
                    raise CursorExpired(str(exc)) from exc
                raise
            ids = history_ids(found.get("history", []), wanted)
            nxt = found.get("nextPageToken")
            if nxt:
                after = Position(start, "history", page_token=nxt)
            else:
                after = Position(str(found.get("historyId", start)))
            here = Position(start, "history", page_token=page_token)
            yield from self._pages(ids, skip, here, after, frozenset(), wanted=wanted)
            token, skip = nxt, 0
            if not nxt:
                return

    def _pages(
        self,
        ids: list[str],
        skip: int,
        here: Position,
        after: Position,
        earlier: frozenset[str],
        *,
        wanted: set[str] | None = None,
    ) -> Iterator[Page]:
        """Pages for ids[skip:], one per batch; each cursor points past its last id.

        `wanted`: keep only messages whose labels (as messages.get says) include one of these.
        """
        size = self.batcher.batch_size
        if skip >= len(ids):
            yield Page(cursor=after.dump())
            return
        for start in range(skip, len(ids), size):
            chunk = ids[start : start + size]
            end = start + len(chunk)
            interactions, quarantined = self._fetch(chunk, earlier, wanted)
            cursor = after if end >= len(ids) else replace(here, skip=end)
            yield Page(interactions=interactions, quarantined=quarantined, cursor=cursor.dump())

    def _fetch(
        self, ids: Sequence[str], earlier: frozenset[str], wanted: set[str] | None = None
    ) -> tuple[list[InteractionRecord], list[Quarantined]]:
        messages = self._users.messages()
        results = self.batcher.run(
            ids,
            lambda i: messages.get(
                userId="me", id=i, format="metadata", metadataHeaders=METADATA_HEADERS
            ),
            units=UNITS["messages.get"],
            what="messages.get",
        )
        interactions: list[InteractionRecord] = []
        quarantined: list[Quarantined] = []
        for msg_id in ids:
            result = results[msg_id]
            if isinstance(result, ConnectorError):
                if isinstance(result, RequestFailed) and result.status == 404:
                    continue  # deleted since it was listed
                raise refused(result, "messages.get")  # the page is not stored (issue 15.2)
            labels = set(result.get("labelIds", []))
            if wanted is not None and not labels & wanted:
                continue  # a draft, chat, spam...: decided on messages.get's own labelIds
            if labels & earlier:
                continue  # already read under an earlier label in this sync (mail to oneself)
            try:
                interactions.append(self._interaction(result, labels))
            except BadRecord as exc:
                quarantined.append(Quarantined(msg_id, str(exc)))
        return interactions, quarantined

    def _interaction(self, message: Mapping[str, Any], labels: set[str]) -> InteractionRecord:
        headers = message.get("payload", {}).get("headers", [])
        pairs = [(str(h.get("name", "")), str(h.get("value", ""))) for h in headers]
        fallback = None
        internal = str(message.get("internalDate", ""))
        if internal.isdigit():
            fallback = datetime.fromtimestamp(int(internal) / 1000, UTC)
        folder = next((lb.lower() for lb in self.labels if lb in labels), None)
        record = interaction_from_headers(
            pairs,
            source_id=str(message["id"]),
            folder=folder,
            fallback_date=fallback,
            thread_id=message.get("threadId"),
        )
        failed = failed_recipients(pairs)
        thread = message.get("threadId")
        sender = next(iter(record.addresses(Role.FROM)), None)
        if not failed and thread and wants_thread(pairs, sender, record.subject):
            get_thread = partial(
                self._get,
                partial(
                    self._users.threads().get,
                    userId="me",
                    id=str(thread),
                    format="metadata",
                    metadataHeaders=THREAD_HEADERS,
                ),
                "threads.get",
            )
            try:
                failed = failed_in_thread(get_thread, pairs, record.addresses(Role.TO))
            except RequestFailed as exc:
                if exc.status != 404:
                    raise
                failed = ()  # the thread is gone since the list: nobody is named
        return with_failures(record, failed)


def history_ids(records: Sequence[Mapping[str, Any]], wanted: set[str]) -> list[str]:
    """The ids a history page may have brought into a wanted label, in order, once each.

    ListHistoryResponse.history: "the history messages will typically only have id and threadId
    populated" (gmail.v1 discovery document), so a message added is fetched whatever labelIds
    it shows here, and messages.get decides. A label added counts when it is one we read (a
    draft sent from another client gains SENT; an archived message brought back gains INBOX).
    """
    ids: dict[str, None] = {}
    for record in records:
        for added in record.get("messagesAdded", []):
            message = added.get("message") or {}
            if message.get("id"):
                ids[str(message["id"])] = None
        for change in record.get("labelsAdded", []):
            message = change.get("message") or {}
            if message.get("id") and wanted & set(change.get("labelIds") or wanted):
                ids[str(message["id"])] = None
    return list(ids)


def open_account(
    settings: Mapping[str, object],
    context: AccountContext,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> GmailAccount:
    """The Gmail connector for one configured account (settings: connectors/google_settings.py).

    Raises AuthError when the account has not signed in yet. `sleep`, `clock` and `rng` are
    for tests (retry waits and quota pacing).
    """
    parsed = parse_settings(settings, account=context.name, kind="gmail")
    http = GoogleHttp(
        credentials_for(parsed, context), account=context.name, timeout=parsed.timeout
    )
    service = build_service("gmail", "v1", http, parsed.api_root)
    return GmailAccount(
        service, http, parsed, account=context.name, sleep=sleep, clock=clock, rng=rng
    )


def authorize(
    settings: Mapping[str, object], context: AccountContext, **kwargs: Any
) -> tuple[str, ...]:
    """`touchbase auth ACCOUNT`: sign in to Google and store the refresh token."""
    parsed = parse_settings(settings, account=context.name, kind="gmail")
    return google_authorize(parsed, context, **kwargs)
