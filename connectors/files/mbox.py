"""Streaming mbox reader: the header block of each message and its byte offsets, never the bodies.

An mbox (RFC 4155) is messages separated by "From " lines. The file is read in large chunks and
only the header block of each message (up to its first empty line) is handed out; bodies are
skipped with `bytes.find`, so memory stays at about one chunk however large the mailbox is
(Google Takeout exports run to tens of gigabytes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20  # 1 MiB reads: large enough that read() calls cost nothing next to parsing
MAX_HEADER = 256 << 10  # a header block larger than this is not mail; quarantined, not buffered
# A From_ line carries a time of day ("From sender Sat Feb  5 09:19:10 2022", Takeout's
# "From 1757...@xxx Wed Mar 08 15:27:52 +0000 2023", Thunderbird's "From - Mon Jan 01 ..."),
# which tells it apart from a body line that happens to start with "From " unquoted.
_FROM_LINE = re.compile(rb"From \S*[ \t].*\d:\d\d")
# git format-patch writes this fixed date on purpose so tools can tell a patch from a mailbox;
# a patch pasted into a message body is not a message separator.
_GIT_PATCH = b"Mon Sep 17 00:00:00 2001"
_SEP = b"\nFrom "


@dataclass(frozen=True, slots=True)
class MboxMessage:
    """One message: where it starts (its From_ line), where it ends, and its header block."""

    offset: int
    end: int
    headers: bytes
    truncated: bool = False  # the header block was longer than MAX_HEADER


def is_separator(line: bytes) -> bool:
    """True when `line` (starting at a line start) is an mbox From_ line."""
    head = line[:200]
    return bool(_FROM_LINE.match(head)) and _GIT_PATCH not in head


def looks_like_mbox(first_bytes: bytes) -> bool:
    """True when a file starts like an mbox."""
    return first_bytes.startswith(b"From ") and is_separator(first_bytes.split(b"\n", 1)[0])


_BLANK_LINE = re.compile(rb"\n\r?\n")


def _header_end(buf: bytes | bytearray, start: int, limit: int) -> int:
    """Index of the newline before the empty line ending the header block in buf[start:limit],
    or -1. One regex scan that stops at the first hit: searching for "\\n\\n" and "\\n\\r\\n"
    separately would scan the whole buffer for the kind of line end the file does not use."""
    match = _BLANK_LINE.search(buf, start, limit)
    return match.start() if match else -1


class _Window:
    """A sliding window over a file: `buf` holds file bytes from offset `base`."""

    def __init__(self, f: BinaryIO, start: int, chunk: int) -> None:
        self.f, self.chunk = f, chunk
        f.seek(start)
        self.base = start
        self.buf = bytearray()
        self.eof = False

    def fill(self) -> None:
        more = self.f.read(self.chunk)
        self.eof = len(more) < self.chunk
        self.buf += more

    def drop(self, upto: int) -> None:
        """Forget buf[:upto]; indices shift down by `upto`."""
        del self.buf[:upto]
        self.base += upto


def _next_separator(w: _Window, s: int) -> int:
    """Index in w.buf of the newline before the next From_ line at or after s, or -1 at EOF.

    May drop body bytes (and so shift indices): callers use the return value only.
    """
    while True:
        nxt = w.buf.find(_SEP, s)
        if nxt < 0:
            if w.eof:
                return -1
            keep = max(0, len(w.buf) - len(_SEP) + 1)  # a separator may straddle the chunks
            w.drop(keep)
            w.fill()
            s = 0
            continue
        line_end = w.buf.find(b"\n", nxt + 1)
        if line_end < 0 and not w.eof:
            w.drop(nxt)
            w.fill()
            s = 0
            continue
        if is_separator(bytes(w.buf[nxt + 1 : line_end if line_end >= 0 else len(w.buf)])):
            return nxt
        s = nxt + 1


def read_messages(f: BinaryIO, start: int = 0, *, chunk: int = CHUNK) -> Iterator[MboxMessage]:
    """The messages of an mbox from byte `start` (a message's From_ line, or 0) to the end.

    The last message ends at the end of the file as it was read. Bytes before the first From_
    line (not an mbox, or a damaged start) form a message of their own, so that the caller can
    quarantine it rather than lose it.
    """
    w = _Window(f, start, chunk)
    pos = 0
    while True:
        if pos > chunk:
            w.drop(pos)
            pos = 0
        if pos >= len(w.buf):
            if w.eof:
                return
            w.fill()
            continue
        # The header block: up to the first empty line, bounded by MAX_HEADER.
        hdr = _header_end(w.buf, pos, len(w.buf))
        while hdr < 0 and not w.eof and len(w.buf) - pos < MAX_HEADER:
            w.fill()
            hdr = _header_end(w.buf, pos, len(w.buf))
        stop = hdr + 1 if hdr >= 0 else min(len(w.buf), pos + MAX_HEADER)
        truncated = hdr < 0 and not w.eof and len(w.buf) - pos >= MAX_HEADER
        # A message with no empty line before the next From_ line ends at that line.
        inner = w.buf.find(_SEP, pos + 1, stop)
        while inner >= 0:
            line_end = w.buf.find(b"\n", inner + 1)
            if is_separator(bytes(w.buf[inner + 1 : line_end if line_end >= 0 else len(w.buf)])):
                stop, truncated = inner + 1, False
                break
            inner = w.buf.find(_SEP, inner + 1, stop)
        headers = bytes(w.buf[pos:stop])
        offset = w.base + pos
        nxt = _next_separator(w, stop - 1)
        end = nxt + 1 if nxt >= 0 else len(w.buf)
        yield MboxMessage(offset, w.base + end, headers, truncated)
        pos = end
