"""Any IMAP server as a Source (header metadata of Sent and received mail) and a DraftSink (APPEND).

Settings (the account's TOML table; `open_account` checks them and says what to change):

- `host` (required), `port` (993 for tls, 143 otherwise)
- `username` (required)
- `security`: "tls" (default, implicit TLS), "starttls", or "plain". Plain text is refused unless
  the host is loopback or `allow_plaintext = true` says the network is trusted.
- `ca_file`: a PEM bundle to trust instead of the system's (a private CA)
- `auth`: "password" (default; LOGIN with the secret "password") or "xoauth2" (the secret
  "access_token", or a token provider passed to `open_account`: Gmail, Outlook.com, Microsoft 365)
- `timeout`: seconds for connect and for every read (default 30)
- `sent_folder`, `drafts_folder`: override SPECIAL-USE and name detection
- `received_folders`: only these folders besides Sent; unset (the default), every selectable
  folder but Junk, Trash and Drafts, or Sent and the all-mail folder where there is one
  (connectors/imap/folders.py says why)
- `exclude_folders`: folders (and the folders inside them) not read when received_folders is unset
- `page_size`: messages per page, at most 5000 (default 2000)
- `keep_subjects`: false drops subjects from interactions (default true)

Sync reads header fields only (connectors.headers.FIELDS plus INTERNALDATE and FLAGS) with
BODY.PEEK, so no body is fetched and \\Seen is untouched; a message flagged \\Draft outside Sent
is no interaction. The cursor (connectors/imap/cursor.py) holds per folder
UIDVALIDITY, the last UID stored and HIGHESTMODSEQ; each page's cursor covers exactly the UIDs up
to that page's last one. An unchanged folder costs one STATUS. A UIDVALIDITY change re-reads that
folder; source ids are "sent:" (a folder whose hint is "sent") or "received:" (any other folder)
plus the Message-ID (or a hash of the header block when there is none), so they survive the new
UIDs, and a message moved between folders other than Sent stays one interaction (the prefix
names the folder, not the direction: the rules decide that from the addresses). Within a pull,
a message in several folders is taken once, from Sent first. Expunged and moved messages are
never reported as removed (issue 15.4): a message once sent or received stays counted, and a
folder renamed or deleted on the server simply leaves the cursor, its mail kept.

Drafts are APPENDed to the Drafts folder with \\Draft and \\Seen; their id is "UIDVALIDITY:UID"
(from APPENDUID, RFC 4315, where UIDPLUS is offered). There is no send path, by design.

One ImapAccount holds one connection and is not for concurrent use: drain or drop a pull before
pushing a draft on the same account.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from imapclient import IMAPClient
from imapclient.imapclient import DRAFT, SEEN

from touchbase.connectors.base import (
    AccountContext,
    DraftMessage,
    InteractionRecord,
    Page,
    Quarantined,
)
from touchbase.connectors.bounces import with_failures
from touchbase.connectors.errors import BadRecord, ConnectorError, TransientError
from touchbase.connectors.headers import FIELDS, interaction_from_headers, message_ids
from touchbase.connectors.imap import cursor as imap_cursor
from touchbase.connectors.imap.blocks import record_from_block
from touchbase.connectors.imap.cursor import BadCursor, FolderState, dump, load
from touchbase.connectors.imap.fetch import (
    Fetched,
    RawReader,
    fetch_failures,
    header_fields,
    parse_internal_date,
)
from touchbase.connectors.imap.folders import Folder, drafts_folder, listed, sync_folders
from touchbase.connectors.imap.limits import MAX_LITERAL, ResponseTooLarge
from touchbase.connectors.imap.session import Credential, close_quietly, connect, imap_errors
from touchbase.connectors.imap.settings import ImapSettings, parse_settings
from touchbase.connectors.retry import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
Connector = Callable[[ImapSettings, Credential], IMAPClient]


def source_id(kind: str, header: bytes, headers: list[tuple[str, str]]) -> str:
    """Stable across UIDVALIDITY changes: the Message-ID, else a digest of the header block."""
    for name, value in headers:
        # No other length lowers to "message-id" (lower() never shortens, and the one letter
        # it lengthens, U+0130, lowers to no letter of it): most names skip the lower().
        if len(name) == 10 and name.lower() == "message-id":
            ids = message_ids(value)
            if ids:
                return f"{kind}:{ids[0]}"
            break
    return f"{kind}:sha256:{hashlib.sha256(header).hexdigest()[:32]}"


class ImapAccount:
    """Source and DraftSink over one IMAP login. See the module docstring."""

    def __init__(
        self,
        settings: ImapSettings,
        credential: Credential,
        *,
        connector: Connector = connect,
        retry: RetryPolicy = RetryPolicy(attempts=3),
    ) -> None:
        self.settings = settings
        self._credential = credential
        self._connector = connector
        self._retry = retry
        self._client: IMAPClient | None = None
        self._enable = True  # ENABLE CONDSTORE is due on the next session
        self._selected = False  # a folder is selected on the session

    # -- connection --------------------------------------------------------------------------

    def _session(self) -> IMAPClient:
        if self._client is None:
            # Connecting and logging in change nothing on the server: safe to retry.
            self._client = call_with_retry(
                lambda: self._connector(self.settings, self._credential),
                self._retry,
                what=f"IMAP connect to {self.settings.host}",
            )
        return self._client

    def _drop(self, *, logout: bool = True) -> None:
        if self._client is not None:
            close_quietly(self._client, logout=logout)
            self._client = None
            self._enable, self._selected = True, False

    def close(self) -> None:
        self._drop()

    def _errors(self, what: str) -> Any:
        return imap_errors(self.settings.host, what)

    # -- Source ------------------------------------------------------------------------------

    def pull(self, cursor: str | None) -> Iterator[Page]:
        try:
            yield from self._pull(cursor)
        except ConnectorError as exc:
            # The connection is in an unknown state; the next pull reconnects. A server that
            # sent too much gets no LOGOUT: its answer would be read first.
            self._drop(logout=not isinstance(exc.__cause__, ResponseTooLarge))
            raise

    def _pull(self, cursor: str | None) -> Iterator[Page]:
        try:
            states, restart = load(cursor), False
        except BadCursor as exc:
            log.warning("IMAP cursor unreadable (%s): full resync", exc)
            states, restart = {}, True
        client = self._session()
        with self._errors("LIST"):
            folders = sync_folders(listed(client.list_folders()), self.settings)
            capabilities = set(client.capabilities())
        # Folders no longer synced leave the cursor; a folder coming back is read in full,
        # which the stable source ids make harmless.
        states = {f.name: states[f.name] for f in folders if f.name in states}
        last_cursor = cursor
        # Copies of one message (same Message-ID, or header digest) come once per pull, from
        # the first folder that has one: Sent, then INBOX, then by name. A pull killed and
        # resumed remembers what its stored part took before it reads anything new
        # (`_remember`: the folders' `started` marks, cursor.py).
        seen: set[str] = set()
        resume = {name: state for name, state in states.items() if state.started is not None}
        for folder in folders:
            for page in self._pull_folder(
                client, folder, states, capabilities, restart, seen, resume, folders
            ):
                restart = False
                last_cursor = page.cursor
                yield page
        if self._selected:
            # STATUS on the selected folder may be stale (RFC 3501 6.3.10): leave none selected.
            with self._errors("CLOSE"):
                client.close_folder()  # EXAMINEd, so CLOSE expunges nothing
            self._selected = False
        # The pull is over: its cursor drops the `started` marks.
        final = dump({name: replace(state, started=None) for name, state in states.items()})
        if final != last_cursor or restart:
            yield Page(cursor=final, resync=restart)

    def _pull_folder(
        self,
        client: IMAPClient,
        folder: Folder,
        states: dict[str, FolderState],
        capabilities: set[bytes],
        restart: bool,
        seen: set[str],
        resume: dict[str, FolderState],
        folders: list[Folder],
    ) -> Iterator[Page]:
        condstore = b"CONDSTORE" in capabilities
        old = states.get(folder.name)
        if old is not None:
            what = [b"UIDNEXT", b"UIDVALIDITY"] + ([b"HIGHESTMODSEQ"] if condstore else [])
            with self._errors(f"STATUS {folder.hint}"):
                status = client.folder_status(folder.name, what)
            unchanged = int(status[b"UIDVALIDITY"]) == old.uidvalidity and (
                int(status[b"UIDNEXT"]) - 1 <= old.last_uid
            )
            if unchanged:
                modseq = status.get(b"HIGHESTMODSEQ")
                states[folder.name] = FolderState(
                    old.uidvalidity,
                    old.last_uid,
                    int(modseq) if modseq else old.modseq,
                    old.started,
                )
                return
        if resume:
            self._remember(client, folders, resume, seen, capabilities)
        selected = self._select(client, folder, capabilities)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        uidnext = int(selected.get(b"UIDNEXT", 0))
        modseq_raw = selected.get(b"HIGHESTMODSEQ")
        modseq = int(modseq_raw) if modseq_raw else None
        expired = old is not None and old.uidvalidity != uidvalidity
        if old is None:
            # A folder new to the cursor: made since the last sync, renamed, or read for the
            # first time now that every folder is (issue 15.7). Its copies of stored mail
            # keep their source ids, so this adds only what was not stored.
            log.info("IMAP folder %s: reading it in full for the first time", folder.name)
        if expired:
            log.info("IMAP folder %s has a new UIDVALIDITY: reading it again", folder.hint)
        start = 0 if old is None or expired else old.last_uid
        # Where this pull (or the killed one it resumes) began reading the folder.
        started = (
            old.started if old is not None and not expired and old.started is not None else start
        )
        reader = RawReader(client)
        with self._errors(f"SEARCH {folder.hint}"):
            if uidnext:
                uids = reader.search_uids(start + 1, uidnext - 1, b"ESEARCH" in capabilities)
            else:  # UIDNEXT is optional in old servers' SELECT answers: ask up to "*"
                uids = reader.search_uids(start + 1, 2**32 - 1, b"ESEARCH" in capabilities)
        size = self.settings.page_size
        chunks = [uids[i : i + size] for i in range(0, len(uids), size)] or [[]]
        pending: bytes | None = None
        try:
            with self._errors(f"FETCH {folder.hint}"):
                pending = reader.start_fetch(chunks[0], FIELDS) if chunks[0] else None
            for number, chunk in enumerate(chunks):
                with self._errors(f"FETCH {folder.hint}"):
                    fetched = reader.finish_fetch(pending, chunk) if pending else []
                    pending = None
                    failures = fetch_failures(reader, fetched)  # bounces: nothing in flight
                    if number + 1 < len(chunks):
                        # Pipelined (RFC 3501 5.5): the server reads the next chunk off its disk
                        # while this one is parsed, on the other core.
                        pending = reader.start_fetch(chunks[number + 1], FIELDS)
                found, bad = self._records(folder, fetched, seen, failures)
                final = number == len(chunks) - 1
                last = chunk[-1] if chunk else start
                if final:
                    # Every UID below UIDNEXT existed by the SELECT and was listed by the search.
                    last = max(last, uidnext - 1, start)
                kept = old.modseq if old is not None and not expired else None
                states[folder.name] = FolderState(
                    uidvalidity, last, modseq if final else kept, started
                )
                yield Page(
                    interactions=found,
                    quarantined=bad,
                    cursor=dump(states),
                    resync=(expired or restart) and number == 0,
                )
        finally:
            if pending is not None:
                # Abandoned with an answer still on the wire: the stream is out of step.
                self._drop()

    def _select(
        self, client: IMAPClient, folder: Folder, capabilities: set[bytes]
    ) -> dict[bytes, Any]:
        with self._errors(f"SELECT {folder.hint}"):
            if b"CONDSTORE" in capabilities and b"ENABLE" in capabilities and self._enable:
                # RFC 7162 3.1: SELECT reports HIGHESTMODSEQ only once CONDSTORE is enabled.
                # Asked for here, not at login: an unchanged mailbox never gets this far.
                client.enable("CONDSTORE")
                self._enable = False
            selected: dict[bytes, Any] = client.select_folder(folder.name, readonly=True)
            self._selected = True
        return selected

    def _remember(
        self,
        client: IMAPClient,
        folders: list[Folder],
        resume: dict[str, FolderState],
        seen: set[str],
        capabilities: set[bytes],
    ) -> None:
        """A resumed pull's memory: the identities the killed pull took from the UIDs it
        stored, (started, last_uid] of each folder it reached, read again (header fields only)
        and remembered as `_records` would have. Done once, before the first message the
        resumed pull reads; a folder whose UIDVALIDITY changed since is read again in full
        anyway and gives nothing to remember."""
        todo = [(folder, resume[folder.name]) for folder in folders if folder.name in resume]
        resume.clear()
        for folder, state in todo:
            if state.started is None or state.last_uid <= state.started:
                continue
            selected = self._select(client, folder, capabilities)
            if int(selected[b"UIDVALIDITY"]) != state.uidvalidity:
                continue
            reader = RawReader(client)
            with self._errors(f"SEARCH {folder.hint}"):
                uids = reader.search_uids(
                    state.started + 1, state.last_uid, b"ESEARCH" in capabilities
                )
            size = self.settings.page_size
            for at in range(0, len(uids), size):
                with self._errors(f"FETCH {folder.hint}"):
                    fetched = reader.fetch_headers(uids[at : at + size], FIELDS)
                for item in fetched:
                    identity = self._identity(folder, item)
                    if identity is not None:
                        seen.add(identity)

    @staticmethod
    def _identity(folder: Folder, item: Fetched) -> str | None:
        """What makes copies of one message one (the source id less its folder kind), or
        None for an answer that is no message to take (too large, a draft outside Sent)."""
        if item.too_large or (item.draft and folder.kind != "sent"):
            return None
        return source_id(folder.kind, item.header, header_fields(item.header)).partition(":")[2]

    def _records(
        self,
        folder: Folder,
        fetched: list[Fetched],
        seen: set[str],
        failures: Mapping[int, tuple[str, ...]] = MappingProxyType({}),
    ) -> tuple[list[InteractionRecord], list[Quarantined]]:
        found: list[InteractionRecord] = []
        bad: list[Quarantined] = []
        # Runs once per message of a sync: names looked up once, the record built here and the
        # slower paths (no usable Date, a bounce's failed recipients) taken only when needed.
        kind, hint, keep = folder.kind, folder.hint, self.settings.keep_subjects
        sent, build, add = kind == "sent", interaction_from_headers, found.append
        usual, skip = record_from_block, len(kind) + 1  # a source id is "<kind>:<identity>"
        for item in fetched:
            uid, _, header, draft, too_large = item
            # The server sent only the FIELDS asked for: no need to filter them again.
            if too_large:
                where = f"{hint} folder, UID {uid}"
                bad.append(
                    Quarantined(
                        f"{kind}:too-large:{folder.name}:{uid}",
                        f"header fields of {too_large:,} bytes, more than touchbase reads "
                        f"({MAX_LITERAL:,}) ({where})",
                    )
                )
                continue
            if draft and not sent:
                continue  # a draft (Gmail keeps them in All Mail too) is no mail that happened
            record = usual(header, kind, hint, keep)
            if record is not None:  # the usual block, read in one pass (blocks.py)
                identity = record.source_id[skip:]
                if identity in seen:
                    continue  # two copies of one message: one interaction
                seen.add(identity)
                add(with_failures(record, failures.get(uid, ())) if failures else record)
                continue
            headers = header_fields(header)
            sid = source_id(kind, header, headers)
            identity = sid.partition(":")[2]
            if identity in seen:
                continue  # two copies of one message: one interaction
            seen.add(identity)
            try:
                try:
                    record = build(headers, source_id=sid, folder=hint, keep_subject=keep)
                except BadRecord:
                    record = self._interaction(folder, item, headers, sid)
                if failures:
                    record = with_failures(record, failures.get(uid, ()))
                add(record)
            except BadRecord as exc:
                bad.append(Quarantined(sid, f"{exc} ({hint} folder, UID {uid})"))
        return found, bad

    def _interaction(
        self, folder: Folder, item: Fetched, headers: list[tuple[str, str]], sid: str
    ) -> InteractionRecord:
        try:
            return interaction_from_headers(
                headers, source_id=sid, folder=folder.hint, keep_subject=self.settings.keep_subjects
            )
        except BadRecord:
            # No usable Date: the server's arrival time stands in (parsed only when needed).
            fallback = parse_internal_date(item.internal_date)
            if fallback is None:
                raise
            return interaction_from_headers(
                headers,
                source_id=sid,
                folder=folder.hint,
                fallback_date=fallback,
                keep_subject=self.settings.keep_subjects,
            )

    # -- DraftSink ---------------------------------------------------------------------------

    def _drafts(self, client: IMAPClient) -> str:
        with self._errors("LIST"):
            return drafts_folder(listed(client.list_folders()), self.settings)

    def push_draft(self, draft: DraftMessage) -> str:
        """APPEND once; never retried here (the caller looks the draft up first, contract 4)."""
        client = self._session()
        folder = self._drafts(client)
        try:
            with self._errors("APPEND"):
                answer = client.append(folder, draft.raw, flags=(DRAFT, SEEN))
        except TransientError:
            self._drop()
            raise
        found = _APPENDUID.search(answer if isinstance(answer, bytes) else b"")
        if found:
            return f"{int(found.group(1))}:{int(found.group(2))}"
        draft_id = self.find_draft(draft)  # no UIDPLUS: look it up by its Message-ID
        if draft_id is None:
            raise ConnectorError("the server accepted the draft but does not list it in Drafts")
        return draft_id

    def find_draft(self, draft: DraftMessage) -> str | None:
        client = self._session()
        folder = self._drafts(client)
        try:
            with self._errors("SEARCH Drafts"):
                selected = client.select_folder(folder, readonly=True)
                self._selected = True
                uids = client.search(["NOT", "DELETED", "HEADER", "Message-ID", draft.message_id])
        except TransientError:
            self._drop()
            raise
        if not uids:
            return None
        return f"{int(selected[b'UIDVALIDITY'])}:{max(uids)}"


def open_account(
    settings: Mapping[str, Any],
    context: AccountContext,
    *,
    token_provider: Callable[[], str | None] | None = None,
) -> ImapAccount:
    """The factory the agent's registry calls (connectors/base.py AccountContext)."""
    parsed = parse_settings(settings)
    if parsed.auth == "xoauth2":
        credential = token_provider or (lambda: context.secrets.get("access_token"))
    else:

        def credential() -> str | None:
            return context.secrets.get("password")

    return ImapAccount(parsed, credential)


def describe_cursor(cursor: str | None) -> list[str]:
    """For `touchbase status`: one line per folder of what the cursor holds."""
    return imap_cursor.describe(cursor)
