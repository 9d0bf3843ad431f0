"""A Source over exported files: mbox, Maildir, folders of one-message files and .ics calendars.

`open_account({"path": ...}, context)` reads a file or a whole folder tree (filetree.py says
which files are messages). Only header blocks are read, never bodies. The cursor is a JSON
object the store keeps with each page:

- `dirs`: per message folder, `m` and `eq`: every file whose ctime is below `m`, or whose name
  is in `eq`, is done; and `d`, the folder's mtime when it was last listed completely (an
  unchanged folder is not even statted again). Files are taken in (ctime, name) order, so a page
  boundary inside a folder is just a smaller `m`. A file's ctime is set by the kernel on
  creation, rename and copy (`cp -p` and rsync cannot preserve it), so new mail always sorts
  after everything done; no wall clock is involved.
- `mbox`: per mbox file, the offset of the next message plus the file's identity (inode, size,
  mtime) and a fingerprint of its first bytes. A grown mbox resumes at its offset; one that
  shrank or was replaced is read again whole (marked `resync`; source ids make that harmless).
- `ics`: per calendar, its identity and the window already expanded; an unchanged calendar
  only has its look-ahead extended as `now` moves on.
- `root`: the (device, inode) of the path; a replaced folder or file is one full resync.

Every page's cursor covers exactly the records of that page and those before it, so killing an
import anywhere and resuming from the last stored cursor loses and doubles nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from touchbase.connectors.base import AccountContext, InteractionRecord, Page, Quarantined
from touchbase.connectors.bounces import add_failures, file_body
from touchbase.connectors.errors import BadRecord, ConnectorError
from touchbase.connectors.files import tree as filetree
from touchbase.connectors.files.calendar_versions import VersionBook
from touchbase.connectors.files.ics import Window, calendar_records, note_versions
from touchbase.connectors.files.mbox import MboxMessage, looks_like_mbox, read_messages
from touchbase.connectors.files.settings import HORIZON, LOOKAHEAD, PAGE_SIZE, parse_settings
from touchbase.connectors.headers import (
    FIELDS,
    NAME_FIELDS,
    interaction_from_headers,
    message_ids,
    parse_date,
    parse_header_block,
    received_date,
)

log = logging.getLogger(__name__)

VERSION = 1
MAX_CALENDAR = 64 << 20  # a larger .ics is not a calendar export anyone made by hand
_FINGERPRINT = 4096  # bytes of an mbox's start that identify it
# interactions.source_id holds 512 characters (PostgreSQL refuses more) and the store may add a
# "#" and 12 to tell two messages with one Message-ID apart: a longer id is hashed instead.
_LONGEST_ID = 480
_RACY_NS = 2_000_000_000  # a folder changed this recently may change again within its mtime tick
_WANTED_FILES = {f.lower() for f in FIELDS} | {"x-gmail-labels", "received"} | NAME_FIELDS
Record = InteractionRecord | Quarantined


def _gmail_folder(labels: str) -> str | None:
    """Google Takeout's X-Gmail-Labels ("Sent,Important,Opened") as a folder hint."""
    names = [label.strip().lower() for label in labels.split(",")]
    for label, hint in (("sent", "sent"), ("drafts", "drafts"), ("inbox", "inbox")):
        if label in names:
            return hint
    return None


def mail_records(
    raw: bytes,
    *,
    where: str,
    folder: str,
    from_line: Callable[[], datetime | None] | None = None,
) -> Iterator[Record]:
    """One message's header block to an InteractionRecord, or a Quarantined saying where and why;
    then, when addresses had to be dropped from it, a Quarantined entry saying which (the record
    is kept without them; the entry is how the warning is counted and shown).

    A missing or unreadable Date is replaced by the newest Received stamp, then by the mbox
    From_ line's date (`from_line`, asked only then). Nothing else: a file's mtime is when it was
    copied, not when the mail was written, and an unknown date must never make someone look
    recently contacted, so a message with none of these is quarantined as undated.
    """
    fields = parse_header_block(raw, _WANTED_FILES)
    date = next((v for k, v in fields if k.lower() == "date"), None)
    fallback: datetime | None = None
    if parse_date(date) is None:
        fallback = received_date(v for k, v in fields if k.lower() == "received")
        if fallback is None and from_line is not None:
            fallback = from_line()
    labels = next((v for k, v in fields if k.lower() == "x-gmail-labels"), None)
    if labels is not None:
        folder = _gmail_folder(labels) or folder
    ids = next((message_ids(v) for k, v in fields if k.lower() == "message-id"), [])
    if ids and len(ids[0]) <= _LONGEST_ID:
        source_id = ids[0]
    else:
        # No Message-ID: the header block itself, minus an mbox From_ line and line-end style,
        # is what stays the same when the same file is imported again.
        block = raw.split(b"\n", 1)[1] if raw.startswith(b"From ") else raw
        source_id = "sha1:" + hashlib.sha1(block.replace(b"\r\n", b"\n")).hexdigest()
    warnings: list[str] = []
    try:
        record = interaction_from_headers(
            fields, source_id=source_id, folder=folder, fallback_date=fallback, warnings=warnings
        )
    except BadRecord as error:
        reason = str(error)
        if reason.startswith(("no Date", "unreadable Date")):
            elsewhere = "Received header" + (" or From_ line" if from_line is not None else "")
            reason = f"undated: {reason}, and no date in a {elsewhere}"
        yield Quarantined(where, f"{where}: {_also(reason, warnings)}")
        return
    yield record
    if warnings:
        yield Quarantined(
            where, f"{where}: kept without what is not an address: {'; '.join(warnings)}"
        )


def _also(reason: str, warnings: list[str]) -> str:
    return f"{reason} ({'; '.join(warnings)})" if warnings else reason


def _from_line_date(headers: bytes) -> datetime | None:
    """The delivery time on an mbox From_ line ("From x Sat Feb  5 09:19:10 2022"), if any."""
    line = headers.split(b"\n", 1)[0].decode("latin-1").split()
    for width in (5, 6):  # asctime, with or without a zone before the year
        try:
            text = " ".join(line[-width:][:4] + line[-1:]) if width == 6 else " ".join(line[-5:])
            return datetime.strptime(text, "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _located(rel: str, records: Iterable[Record]) -> Iterator[Record]:
    """`records` with the file they came from on every Quarantined entry (its `location`)."""
    for record in records:
        if isinstance(record, Quarantined) and not record.location:
            record = Quarantined(record.source_id, record.reason, rel)
        yield record


class _OutsideTree(OSError):
    """A file is a symbolic link to somewhere outside the folder being imported."""


def _identity(st: os.stat_result) -> list[int]:
    return [st.st_ino, st.st_size, st.st_mtime_ns]


class FileSource:
    """A Source over a path: a file (mbox, .ics, one message) or a folder tree of them."""

    # Reads local files and keeps no state the caller needs back, so agent/pullahead.py may
    # parse the next page in a worker process while the last one is stored.
    pulls_in_worker = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        now: datetime | None = None,
        horizon: timedelta = HORIZON,
        lookahead: timedelta = LOOKAHEAD,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.root = os.path.abspath(os.fspath(path))
        self._now = now
        self.horizon = horizon
        self.lookahead = lookahead
        self.page_size = page_size
        self._resync = False
        # Calendars' VersionBook, built once per pull (the pull's state dict says which).
        self._versions = VersionBook()
        self._versions_for: dict[str, Any] | None = None

    # -- the Source protocol -----------------------------------------------------------------

    def pull(self, cursor: str | None) -> Iterator[Page]:
        try:
            root_stat = os.stat(self.root)
        except OSError as error:
            raise ConnectorError(
                f"cannot read {self.root}: {error.strerror}",
                advice="Check that the path exists and is readable, or change the account's path.",
            ) from error
        state = self._load(cursor, root_stat)
        buffer: list[Record] = []
        pages = 0
        for record in self._records(state):
            buffer.append(record)
            if len(buffer) >= self.page_size:
                yield self._page(buffer, state)
                pages += 1
                buffer = []
        yield self._page(buffer, state)
        log.info("files: pulled %d page(s) from %s", pages + 1, self.root)

    def close(self) -> None:
        pass

    # -- cursor ------------------------------------------------------------------------------

    def _load(self, cursor: str | None, root_stat: os.stat_result) -> dict[str, Any]:
        root_id = [root_stat.st_dev, root_stat.st_ino]
        fresh: dict[str, Any] = {"v": VERSION, "root": root_id, "dirs": {}, "mbox": {}, "ics": {}}
        self._resync = False
        if cursor is None:
            return fresh
        try:
            state = json.loads(cursor)
            valid = (
                isinstance(state, dict)
                and state.get("v") == VERSION
                and state.get("root") == root_id
                and all(isinstance(state.get(k), dict) for k in ("dirs", "mbox", "ics"))
            )
        except ValueError:
            valid = False
        if not valid:
            log.info("files: cursor no longer matches %s; reading it all again", self.root)
            self._resync = True
            return fresh
        return state

    def _page(self, records: list[Record], state: dict[str, Any]) -> Page:
        page = Page(
            interactions=[r for r in records if isinstance(r, InteractionRecord)],
            quarantined=[r for r in records if isinstance(r, Quarantined)],
            cursor=json.dumps(state, separators=(",", ":"), sort_keys=True, default=sorted),
            resync=self._resync,
        )
        self._resync = False
        return page

    # -- walking -----------------------------------------------------------------------------

    def _records(self, state: dict[str, Any]) -> Iterator[Record]:
        for rel in sorted(state["mbox"]):
            yield from _located(rel, self._known_mbox(state, rel))
        for rel in sorted(state["ics"]):
            yield from _located(rel, self._calendar(state, rel))
        if os.path.isdir(self.root):
            for folder in filetree.folders(self.root):
                for directory in folder.message_dirs:
                    yield from self._directory(state, folder, directory)
        else:
            rel = os.path.basename(self.root)
            if rel not in state["mbox"] and rel not in state["ics"] and not state["dirs"]:

                def done() -> None:
                    state["dirs"][""] = {"m": 0, "eq": [], "d": None}

                yield from self._file(state, self.root, rel, filetree.folder_hint([]), done)

    def _path(self, rel: str) -> str:
        return self.root if not os.path.isdir(self.root) else os.path.join(self.root, rel)

    def _directory(
        self, state: dict[str, Any], folder: filetree.Folder, directory: str
    ) -> Iterator[Record]:
        key = os.path.relpath(directory, self.root).replace(os.sep, "/")
        try:
            listed_mtime = os.stat(directory).st_mtime_ns
        except OSError:
            return
        done = state["dirs"].get(key)
        if done is not None and done.get("d") == listed_mtime:
            return  # nothing was added, removed or renamed here since it was last listed
        m, eq = (done["m"], set(done["eq"])) if done else (-1, set())
        ctimes: dict[str, int] = {}
        todo: list[tuple[int, str, str, str]] = []
        try:
            entries = list(os.scandir(directory))
        except OSError as error:
            log.warning("files: cannot list a folder: %s", error.strerror)
            return
        for entry in entries:
            if filetree.skip_file(folder, entry.name, directory):
                continue
            try:
                if not entry.is_file():
                    continue
                ctime = entry.stat().st_ctime_ns
            except OSError:
                continue
            rel = f"{key}/{entry.name}" if key != "." else entry.name
            name = filetree.message_name(folder, entry.name)
            ctimes[name] = ctime
            if rel in state["mbox"] or rel in state["ics"]:
                continue
            if ctime < m or name in eq:
                continue
            todo.append((ctime, name, entry.path, rel))
        todo.sort()
        # The live state of this folder; `eq` stays a set until a page's cursor is written.
        live: dict[str, Any] = {"m": m, "eq": eq, "d": done.get("d") if done else None}
        state["dirs"][key] = live
        for ctime, name, path, rel in todo:

            def done(ctime: int = ctime, name: str = name) -> None:
                if ctime > live["m"]:
                    live["eq"] = {n for n in live["eq"] if ctimes.get(n, -1) >= ctime}
                    live["m"] = ctime
                live["eq"].add(name)

            yield from self._file(state, path, rel, folder.hint, done)
        # Racy-git's lesson: a folder changed within the last mtime tick may change again with
        # the same mtime; such a listing is not trusted to mean "unchanged" next time.
        racy = listed_mtime >= time.time_ns() - _RACY_NS
        live["d"] = None if racy else listed_mtime

    def _file(
        self,
        state: dict[str, Any],
        path: str,
        rel: str,
        hint: str,
        done: Callable[[], None] = lambda: None,
    ) -> Iterator[Record]:
        """The records of one file. `done` marks the file read in its folder's state: called
        before an mbox or a calendar (they keep their own place in the cursor), and before the
        last record of a message, so that a page cut between a message and the warning about
        it repeats the file on resume instead of losing the warning."""
        try:
            with self._open(path) as f:
                first = f.read(filetree.READ_SIZE)
                if looks_like_mbox(first) or rel.lower().endswith(".mbox"):
                    done()
                    state["mbox"][rel] = {}
                    # Named as _known_mbox names it on resume, so that the first pages and
                    # the resumed ones carry the same folder hint.
                    hint = filetree.folder_hint([os.path.splitext(os.path.basename(rel))[0]])
                    yield from _located(rel, self._mbox(state, rel, f, 0, hint))
                    return
                if rel.lower().endswith((".ics", ".ical")) or first.lstrip().startswith(
                    b"BEGIN:VCALENDAR"
                ):
                    done()
                    state["ics"][rel] = {}
                    yield from _located(rel, self._calendar(state, rel))
                    return
                # Binary or not is judged by the header block alone: a NUL far down a body (an
                # attachment sent raw) does not make a message with clean headers binary.
                end = filetree.header_end(first)
                if b"\0" in (first[:end] if end >= 0 else first):
                    records: list[Record] = [Quarantined(rel, f"{rel}: binary file, not a message")]
                else:
                    raw = filetree.read_header_block(f, first)
                    records = list(mail_records(raw, where=rel, folder=hint))
                    records = add_failures(records, raw, file_body(path, len(raw)))
        except _OutsideTree as error:
            records = [Quarantined(rel, f"{rel}: {error}")]
        except filetree.HeaderTooLarge as error:
            records = [Quarantined(rel, f"{rel}: {error}")]
        except OSError as error:
            records = [Quarantined(rel, f"{rel}: unreadable: {error.strerror}")]
        *first_records, last = _located(rel, records)
        yield from first_records
        done()
        yield last

    def _open(self, path: str) -> BinaryIO:
        """`path` opened for reading, unless it is a symbolic link leading out of the folder
        being imported (raises _OutsideTree): a `cur/x.eml` linked to /etc/passwd or to another
        user's mail is not read. A link within the tree is read like its target (mail tools
        link messages into virtual folders; source ids make the second sight a duplicate)."""
        if path != self.root and os.path.islink(path):
            target = os.path.realpath(path)
            real_root = os.path.realpath(self.root)
            if os.path.commonpath([target, real_root]) != real_root:
                raise _OutsideTree("a symbolic link to outside the imported folder; not followed")
            path = target
        # O_NOFOLLOW: the checked path cannot be swapped for a link between check and open.
        return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb")

    # -- mbox --------------------------------------------------------------------------------

    def _known_mbox(self, state: dict[str, Any], rel: str) -> Iterator[Record]:
        known = state["mbox"][rel]
        path = self._path(rel)
        try:
            f = self._open(path)
        except _OutsideTree as error:  # a link swapped since it was first read
            del state["mbox"][rel]
            yield Quarantined(rel, f"{rel}: {error}")
            return
        except OSError:
            del state["mbox"][rel]  # gone: what it held stays imported
            return
        with f:
            st = os.fstat(f.fileno())
            offset = int(known.get("o", 0))
            if known.get("id") == _identity(st) and offset == st.st_size:
                return
            if offset and not self._resumable(f, known, st, offset):
                log.info("files: an mbox was replaced or rewritten; reading it again")
                self._resync = True
                offset = 0
            hint = filetree.folder_hint([os.path.splitext(os.path.basename(rel))[0]])
            yield from self._mbox(state, rel, f, offset, hint)

    @staticmethod
    def _resumable(f: Any, known: Mapping[str, Any], st: os.stat_result, offset: int) -> bool:
        ident = known.get("id") or [None, None, None]
        if ident[0] != st.st_ino or st.st_size < offset:
            return False
        f.seek(0)
        head = f.read(int(known.get("fl", 0)))
        if hashlib.sha1(head).hexdigest() != known.get("fp"):
            return False
        if offset < st.st_size:  # the offset must still be a message boundary
            f.seek(offset - 1)
            return bool(f.read(6) == b"\nFrom ")
        return True

    def _mbox(
        self, state: dict[str, Any], rel: str, f: Any, offset: int, hint: str
    ) -> Iterator[Record]:
        st = os.fstat(f.fileno())
        f.seek(0)
        head = f.read(_FINGERPRINT)
        entry = {"fl": len(head), "fp": hashlib.sha1(head).hexdigest(), "o": offset}
        entry["id"] = [st.st_ino, -1, -1]  # the whole identity only once read to the end
        state["mbox"][rel] = entry
        message: MboxMessage
        end = offset
        for message in read_messages(f, offset):
            *first, last = add_failures(
                self._mbox_record(message, rel, hint),
                message.headers,
                file_body(self._path(rel), message.offset + len(message.headers), message.end),
            )
            yield from first  # the offset still points at this message (see _directory)
            end = message.end
            state["mbox"][rel] = {**entry, "o": end}
            yield last
        if end == st.st_size:  # read to the end of the file as it was when we started
            state["mbox"][rel] = {**entry, "o": end, "id": _identity(st)}

    @staticmethod
    def _mbox_record(message: MboxMessage, rel: str, hint: str) -> list[Record]:
        where = f"{rel}@{message.offset}"
        if message.truncated:
            return [Quarantined(where, f"{where}: header block longer than the limit")]
        return list(
            mail_records(
                message.headers,
                where=where,
                folder=hint,
                from_line=lambda: _from_line_date(message.headers),
            )
        )

    # -- calendars ---------------------------------------------------------------------------

    def _calendar(self, state: dict[str, Any], rel: str) -> Iterator[Record]:
        path = self._path(rel)
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                raw = f.read(MAX_CALENDAR + 1)
        except OSError:
            state["ics"].pop(rel, None)
            return
        now = self._now or datetime.now(UTC)
        end = now + self.lookahead
        policy_start = now - self.horizon
        known = state["ics"].get(rel) or {}
        ident = _identity(st)
        skip, full = 0, True
        if known.get("id") == ident and "n" in known:  # resume inside a window
            start, end = datetime.fromisoformat(known["a"]), datetime.fromisoformat(known["w"])
            skip, full = int(known["n"]), bool(known.get("q"))
            policy_start = datetime.fromisoformat(known.get("p", known["a"]))
        elif known.get("id") == ident:  # unchanged: only the part of the window that is new
            start, full = datetime.fromisoformat(known["w"]), False
        else:  # new or changed: the whole window again (source ids make repeats harmless)
            start = policy_start
        if start >= end:
            return
        records: Iterable[Record]
        if len(raw) > MAX_CALENDAR:
            records = [Quarantined(rel, f"{rel}: calendar larger than {MAX_CALENDAR} bytes")]
        else:
            window = Window(start, end, min(policy_start, start))
            records = calendar_records(
                raw, window=window, where=rel, versions=self._calendar_versions(state, rel, raw)
            )
        # The records stream (a 50 MB calendar is never held as records at once); their order
        # is fixed for a file and window, so a resumed read skips the `n` already stored.
        # Broken events are reported once, when the calendar is read whole, not on every
        # extension of its window.
        at = {"id": ident, "a": start.isoformat(), "w": end.isoformat(), "q": full}
        at["p"] = policy_start.isoformat()
        index = 0
        for record in records:
            if not full and isinstance(record, Quarantined):
                continue
            index += 1
            if index <= skip:
                continue
            state["ics"][rel] = {**at, "n": index}
            yield record
        state["ics"][rel] = {"id": ident, "w": end.isoformat()}

    def _calendar_versions(self, state: dict[str, Any], rel: str, raw: bytes) -> VersionBook | None:
        """The account's VersionBook for this pull, with `rel` as it is now noted in it.

        Only a folder can hold one event in two files. The book starts from every calendar
        the cursor knows (so a newer copy read in an earlier pull, or before a restart, still
        wins) and each new calendar is added as it is read (calendar_versions.py).
        """
        if not os.path.isdir(self.root):
            return None
        if self._versions_for is not state:  # a new pull: start from the calendars known
            self._versions, self._versions_for = VersionBook(), state
            for other in sorted(state["ics"]):
                if other == rel:
                    continue
                try:
                    with open(self._path(other), "rb") as f:
                        note_versions(self._versions, f.read(MAX_CALENDAR + 1), other)
                except OSError:
                    continue
        note_versions(self._versions, raw, rel)
        return self._versions


def open_account(settings: Mapping[str, Any], context: AccountContext) -> FileSource:
    """The factory the agent's registry calls for `type = "files"` accounts.

    settings (connectors/files/settings.py): `path` (a file or folder), optional `horizon_days`
    (how far back calendars are expanded, default 5 years), `lookahead_days` (how far ahead,
    default 14) and `page_size`.
    """
    parsed = parse_settings(settings, account=context.name)
    expanded = os.path.expanduser(parsed.path)
    if not os.path.exists(expanded):
        raise ConnectorError(
            f"{expanded} does not exist", advice="Check the account's path and try again."
        )
    return FileSource(
        expanded,
        horizon=parsed.horizon,
        lookahead=parsed.lookahead,
        page_size=parsed.page_size,
    )
