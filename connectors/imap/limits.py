"""Ceilings on what an IMAP server may make us hold: literals, lines, answers per command.

imaplib reads whatever a server announces: `* LIST () "/" {3000000000}` had it allocate the three
billion bytes (issue 13: a sync peaked at 8.6 GiB), and it keeps every untagged response of a
command until the tagged completion comes, however many there are. A real server never gets
near these ceilings (the largest answers a sync asks for are a page of header fields: about
400 bytes a message, 2 MB for a page of 5,000), so crossing one means a broken or hostile
server: the connection is dropped and the account's run fails with a clear error
(ConnectorError; the daemon goes on, the cursor stays where it was). Each check happens
*before* the bytes are read.

`BoundedIMAPClient` is an IMAPClient whose imaplib connection enforces them for every command
imapclient sends; connectors/imap/fetch.py's bulk reader enforces the same per command.
"""

from __future__ import annotations

import imaplib
from typing import Any

from imapclient import IMAPClient, imap4, tls

# A literal is a header block, a folder name or a LIST/STATUS value: none comes near 4 MiB.
MAX_LITERAL = 4 << 20
# A line is one response without its literals. The longest real one is a plain (non-ESEARCH)
# UID SEARCH answer: about 7 bytes a message, so 4 MiB covers 600,000 messages in a folder.
MAX_LINE = 4 << 20
# A header literal of a FETCH between MAX_LITERAL and this is read off the wire in pieces and
# dropped, its message quarantined: a real (if absurd) message, 100,000 addresses in To, must not
# stop an account for good. Above this it is no message: the account fails.
MAX_DRAINED = 64 << 20
# What one command's answer may hold, all untagged responses together.
MAX_ANSWER_BYTES = 64 << 20
# Untagged responses per command: a page of 5,000 FETCH answers, a LIST of an account with
# thousands of folders, and the unsolicited EXISTS / FETCH FLAGS updates that come along.
MAX_RESPONSES = 50_000


class ResponseTooLarge(imaplib.IMAP4.abort):
    """The server announced or sent more than a ceiling above allows; nothing more is read.

    An `abort` for imaplib and imapclient (the connection is unusable); session.imap_errors
    makes it a ConnectorError with advice.
    """


def literal_size(size: int) -> None:
    if size > MAX_LITERAL:
        raise ResponseTooLarge(
            f"a literal of {size:,} bytes was announced (the limit is {MAX_LITERAL:,})"
        )


def checked_line(line: bytes) -> bytes:
    """`line` as read with `readline(MAX_LINE + 1)`; refused when it hit the ceiling."""
    if len(line) > MAX_LINE:
        raise ResponseTooLarge(f"a response line longer than {MAX_LINE:,} bytes")
    return line


class Answer:
    """Counts one command's untagged responses and their bytes against the ceilings."""

    __slots__ = ("responses", "size")

    def __init__(self, responses: int = 0, size: int = 0) -> None:
        self.responses = responses
        self.size = size

    def add(self, size: int) -> None:
        """One more response of `size` bytes."""
        self.responses += 1
        if self.responses > MAX_RESPONSES:
            raise ResponseTooLarge(f"more than {MAX_RESPONSES:,} untagged responses to a command")
        self.check(size)
        self.size += size

    def add_many(self, responses: int, size: int) -> None:
        """`responses` more responses of `size` bytes in all (counted in a caller's loop)."""
        self.responses += responses
        if self.responses > MAX_RESPONSES:
            raise ResponseTooLarge(f"more than {MAX_RESPONSES:,} untagged responses to a command")
        self.check(size)
        self.size += size

    def check(self, pending: int) -> None:
        """Refuse before reading on when `pending` more bytes would cross the ceiling."""
        if self.size + pending > MAX_ANSWER_BYTES:
            raise ResponseTooLarge(f"more than {MAX_ANSWER_BYTES:,} bytes answering a command")


def _size(item: Any) -> int:
    if isinstance(item, bytes | bytearray):
        return len(item)
    if isinstance(item, tuple):
        return sum(_size(part) for part in item)
    return 0


class Bounded(imaplib.IMAP4):
    """imaplib.IMAP4 with the ceilings above on every read (mixed in before imapclient's
    connection classes, so the greeting is bounded too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._answer = Answer()  # the greeting is read inside __init__
        self._refused: ResponseTooLarge | None = None
        super().__init__(*args, **kwargs)

    def readline(self) -> bytes:
        try:
            line: bytes = self.file.readline(MAX_LINE + 1)  # type: ignore[assignment]
            return checked_line(line)
        except ResponseTooLarge as exc:
            self._refused = exc
            raise

    def read(self, size: int) -> bytes:
        try:
            literal_size(size)
        except ResponseTooLarge as exc:
            self._refused = exc
            raise
        data: bytes = self.file.read(size)  # type: ignore[assignment]
        return data

    def _command(self, name: str, *args: Any) -> Any:
        # Responses left from earlier commands are still held (imaplib keeps any a caller did
        # not ask for), so the new command's count starts from them.
        held = [item for items in self.untagged_responses.values() for item in items]
        self._answer = Answer(len(held), sum(_size(item) for item in held))
        return super()._command(name, *args)  # type: ignore[misc]

    def _command_complete(self, name: str, tag: bytes) -> Any:
        try:
            return super()._command_complete(name, tag)  # type: ignore[misc]
        except imaplib.IMAP4.abort as exc:
            # imaplib rewraps every abort as a plain one ("command: X => ..."): say which.
            if self._refused is not None:
                raise self._refused from exc
            raise

    def _append_untagged(self, typ: str, dat: Any) -> None:
        try:
            self._answer.add(_size(dat))
        except ResponseTooLarge as exc:
            self._refused = exc
            raise
        super()._append_untagged(typ, dat)  # type: ignore[misc]


class _Plain(Bounded, imap4.IMAP4WithTimeout):
    pass


class _TLS(Bounded, tls.IMAP4_TLS):
    pass


class BoundedIMAPClient(IMAPClient):
    """An IMAPClient whose connection refuses oversized answers before reading them."""

    def _create_IMAP4(self) -> imaplib.IMAP4:
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _TLS(self.host, self.port, self.ssl_context, connect_timeout)
        return _Plain(self.host, self.port, connect_timeout)
