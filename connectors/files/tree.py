"""Walking a folder of mail files: which files are messages, in which folder, and their headers.

A tree may mix layouts: Maildir (cur/ and new/, with Maildir++ ".Sub" folders, RFC-less but
documented at https://cr.yp.to/proto/maildir.html), plain folders of one-message files (the Enron
release, notmuch corpora), mbox files and .ics calendars. Folder names become the hint that
InteractionRecord.folder carries ("sent", "drafts", "inbox", or the folder's own name).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from touchbase.connectors.files.mbox import MAX_HEADER

_NORMALISE = re.compile(r"[\s_\-.]+")
_SENT = {
    "sent",
    "sent items",
    "sent mail",
    "sent messages",
    "outbox sent",
    "gesendet",
    "gesendete elemente",
    "gesendete objekte",
    "éléments envoyés",
    "elements envoyes",
    "envoyés",
    "enviados",
    "elementos enviados",
    "posta inviata",
    "verzonden items",
}
_DRAFTS = {"draft", "drafts", "entwürfe", "brouillons", "borradores", "bozze", "concepten"}
_INBOX = {"inbox", "posteingang", "boîte de réception"}
# Maildir bookkeeping that lives beside cur/ and new/ (Dovecot, Courier): never messages.
_MAILDIR_PARTS = {"cur", "new", "tmp"}
READ_SIZE = 64 << 10  # most header blocks fit in one read


def _special(component: str) -> str | None:
    name = _NORMALISE.sub(" ", component.lower()).strip()
    name = name.removeprefix("inbox ").removeprefix("[gmail] ").removeprefix("[google mail] ")
    if name in _SENT:
        return "sent"
    if name in _DRAFTS:
        return "drafts"
    if name in _INBOX:
        return "inbox"
    return None


def folder_hint(parts: Sequence[str]) -> str:
    """The folder hint for a folder path: "sent", "drafts", "inbox", else the path itself.

    The last component decides; a folder inside Sent or Drafts (Sent/2019) is sent mail too.
    """
    if not parts:
        return "inbox"
    for component in reversed(parts):
        special = _special(component)
        if special is not None:
            return special
    return "/".join(parts)


@dataclass(frozen=True, slots=True)
class Folder:
    """A directory that holds messages: its path, its key in the cursor and its hint.

    For a Maildir the message files sit in `cur/` and `new/` (`message_dirs`); for a plain
    folder, in the folder itself.
    """

    path: str
    key: str
    hint: str
    message_dirs: tuple[str, ...]
    maildir: bool


def is_maildir(path: str) -> bool:
    return os.path.isdir(os.path.join(path, "cur")) or os.path.isdir(os.path.join(path, "new"))


def _maildirpp_parts(name: str) -> list[str]:
    # Maildir++ ".Archive.2019" is Archive/2019; ".INBOX.Sent" (some servers) is INBOX/Sent.
    return [p for p in name.lstrip(".").split(".") if p]


_MAILDIR_TOPS = {"maildir", "mail", "mails", "mailbox"}


def folders(root: str) -> Iterator[Folder]:
    """Every folder under `root` that may hold messages, in a stable order.

    A Maildir's top level is the INBOX when it is the root or is named like one ("Maildir");
    elsewhere (mbsync's Archive/{cur,new}) it is named after its folder. Maildir++ ".Sub"
    folders are named after their own path. Symlinked folders are not followed (a loop would
    never end); other hidden folders (.git, .notmuch) are skipped.
    """
    # (path, parts for the hint, key); parts are relative to the enclosing Maildir's top.
    stack: list[tuple[str, list[str], str, bool]] = [(root, [], "", False)]
    while stack:
        path, parts, key, inside = stack.pop()
        maildir = is_maildir(path)
        if maildir:
            top = not inside and (not parts or parts[-1].lower() in _MAILDIR_TOPS)
            hint = "inbox" if top else folder_hint(parts)
            # Messages live in cur/ and new/; some tools (notmuch's corpora) also drop them in
            # the Maildir itself, beside the server's bookkeeping files, which skip_file knows.
            dirs = (path, *(os.path.join(path, d) for d in ("cur", "new")))
            yield Folder(path, key, hint, dirs, True)
            if top:
                parts = []
        else:
            yield Folder(path, key, folder_hint(parts), (path,), False)
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            name = entry.name
            sub_key = f"{key}/{name}" if key else name
            if maildir and name in _MAILDIR_PARTS:
                continue
            if name.startswith("."):
                if maildir and is_maildir(entry.path):
                    stack.append((entry.path, parts + _maildirpp_parts(name), sub_key, True))
                continue
            stack.append((entry.path, [*parts, name], sub_key, inside or maildir))


def message_name(folder: Folder, file_name: str) -> str:
    """A message's stable name in its folder: a Maildir file keeps its unique part only, so the
    move from new/ to cur/ and flag changes (":2,S") do not make it a new message."""
    if folder.maildir:
        return file_name.split(":", 1)[0]
    return file_name


_BOOKKEEPING = ("dovecot", "courier", "maildir", "subscriptions", "uidvalidity", "mbsync")


def skip_file(folder: Folder, name: str, directory: str) -> bool:
    """Files that are never messages: hidden files, editor or index debris, and the files mail
    servers keep beside cur/ and new/ (dovecot-uidlist, maildirfolder, courierimapuiddb...)."""
    if name.startswith(".") or name.endswith(("~", ".swp", ".lock", ".db", ".sqlite")):
        return True
    return folder.maildir and directory == folder.path and name.lower().startswith(_BOOKKEEPING)


class HeaderTooLarge(Exception):
    """A file has no header/body separator within MAX_HEADER bytes."""


_BLANK_LINE = re.compile(rb"\n\r?\n")


def header_end(data: bytes, start: int = 0) -> int:
    """Index just past the last header line (before the empty line), or -1 if not found."""
    match = _BLANK_LINE.search(data, start)
    return match.start() + 1 if match else -1


def read_header_block(f: BinaryIO, first: bytes) -> bytes:
    """A one-message file's bytes up to its header/body separator (the whole file when it has
    no body), given the `first` bytes already read from `f`. Never reads past MAX_HEADER."""
    data = first
    start = 0
    more = first
    while True:
        end = header_end(data, start)
        if end >= 0:
            return data[:end]
        if len(more) < READ_SIZE:
            return data
        if len(data) >= MAX_HEADER:
            raise HeaderTooLarge(f"no end of the header block within {MAX_HEADER} bytes")
        start = max(0, len(data) - 2)
        more = f.read(READ_SIZE)
        data += more
