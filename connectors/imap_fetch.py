"""The bulk path: UID lists and header-field fetches read straight off imaplib's stream.

imapclient's response parser costs about 3 s per 100,000 messages (TESTING.md), three times the
wire time, so the two bulk commands of a sync (listing UIDs, fetching header fields) are written
to and read from the imaplib connection underneath the IMAPClient here, with a reader that knows
just the shapes those two commands return. Everything else still goes through imapclient.

Each command is sent with its own tag and read through to its tagged completion before this
returns, so imaplib and imapclient find the stream exactly where they left it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from imapclient import IMAPClient

from connectors.errors import ConnectorError, TransientError

_tags = itertools.count(1)
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_EMPTY_BODY = re.compile(rb"BODY\[HEADER\.FIELDS \([^)]*\)\] (?:NIL|\"\")")
_ESEARCH_ALL = re.compile(rb"\bALL ([0-9:,]+)")
_MONTHS = {
    m: i for i, m in enumerate(b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)
}
# RFC 3501 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be space-padded).
_DATE_TIME = re.compile(rb"^ ?(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$")


@dataclass(frozen=True, slots=True)
class Fetched:
    """One message's answer to a header-field fetch."""

    uid: int
    internal_date: datetime | None
    header: bytes


def uid_set(uids: Sequence[int]) -> str:
    """Sorted UIDs as a compact IMAP sequence set ("1:5,9,12:14"), RFC 3501 section 9."""
    parts: list[str] = []
    start = prev = -1
    for uid in uids:
        if uid == prev + 1:
            prev = uid
            continue
        if start >= 0:
            parts.append(str(start) if start == prev else f"{start}:{prev}")
        start = prev = uid
    if start >= 0:
        parts.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(parts)


def parse_uid_set(text: bytes) -> list[int]:
    """The inverse of uid_set, for ESEARCH answers (RFC 4731)."""
    uids: list[int] = []
    for part in text.split(b","):
        if b":" in part:
            low, high = sorted(int(x) for x in part.split(b":"))
            uids.extend(range(low, high + 1))
        elif part:
            uids.append(int(part))
    return uids


def parse_internal_date(raw: bytes) -> datetime | None:
    match = _DATE_TIME.match(raw)
    if not match:
        return None
    day, mon, year, hh, mm, ss, sign, zh, zm = match.groups()
    month = _MONTHS.get(mon.capitalize())
    if month is None:
        return None
    offset = (int(zh) * 60 + int(zm)) * (1 if sign == b"+" else -1)
    try:
        local = datetime(int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=UTC)
    except ValueError:
        return None
    return local - timedelta(minutes=offset)


class RawReader:
    """Sends one tagged command on an IMAPClient's imaplib connection and reads its answer."""

    def __init__(self, client: IMAPClient) -> None:
        self._imap = client._imap

    def _line(self) -> bytes:
        line: bytes = self._imap.readline()
        if not line:
            raise TransientError("the IMAP server closed the connection mid-response")
        return line

    def run(self, command: bytes) -> list[tuple[bytes, list[bytes]]]:
        """Each untagged response as (its text without literals, its literals), in order."""
        tag = b"TB%d" % next(_tags)
        self._imap.send(tag + b" " + command + b"\r\n")
        responses: list[tuple[bytes, list[bytes]]] = []
        while True:
            line = self._line()
            if line.startswith(tag + b" "):
                status = line[len(tag) + 1 :].split(b" ", 1)[0].upper()
                if status != b"OK":
                    detail = line.decode("latin-1").strip()
                    raise ConnectorError(f"IMAP server refused {command[:40]!r}: {detail}")
                return responses
            if not line.startswith(b"* "):
                raise TransientError(f"unexpected IMAP line {line[:60]!r}")
            literals: list[bytes] = []
            text: list[bytes] = []
            match = _LITERAL.search(line)
            while match is not None:
                size = int(match.group(1))
                text.append(line[: match.start()])
                data: bytes = self._imap.read(size)
                if len(data) != size:
                    raise TransientError("the IMAP server closed the connection mid-literal")
                literals.append(data)
                line = self._line()
                match = _LITERAL.search(line)
            text.append(line)
            if b"BYE" in text[0][:8]:
                raise TransientError(f"the IMAP server said goodbye: {text[0][:80]!r}")
            responses.append((b"".join(text), literals))

    def search_uids(self, low: int, high: int, esearch: bool) -> list[int]:
        """The UIDs in low:high that exist, ascending.

        `UID SEARCH UID n:*` answers the highest UID even when n is past it (RFC 3501 6.4.8:
        "*" is the largest UID in use), so the bounds are explicit and the answer filtered.
        ESEARCH (RFC 4731) returns a compact set instead of every number on one line.
        """
        if high < low:
            return []
        if esearch:
            answers = self.run(b"UID SEARCH RETURN (ALL) UID %d:%d" % (low, high))
            uids = []
            for text, _ in answers:
                if text.startswith(b"* ESEARCH"):
                    found = _ESEARCH_ALL.search(text)
                    if found:
                        uids.extend(parse_uid_set(found.group(1)))
        else:
            answers = self.run(b"UID SEARCH UID %d:%d" % (low, high))
            uids = []
            for text, _ in answers:
                if text.startswith(b"* SEARCH"):
                    uids.extend(int(x) for x in text[8:].split())
        return sorted({u for u in uids if low <= u <= high})

    def fetch_headers(self, uids: Sequence[int], fields: Iterable[str]) -> list[Fetched]:
        """Header fields and INTERNALDATE of `uids` (at most MAX_PAGE); BODY.PEEK keeps \\Seen."""
        if not uids:
            return []
        names = " ".join(f.upper() for f in fields).encode("ascii")
        command = b"UID FETCH %s (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (%s)])" % (
            uid_set(sorted(uids)).encode("ascii"),
            names,
        )
        wanted = set(uids)
        out: list[Fetched] = []
        for text, literals in self.run(command):
            if b" FETCH (" not in text[:40]:
                continue  # EXISTS, EXPUNGE, RECENT: mailbox news, not our answer
            uid_match = _UID.search(text)
            if uid_match is None:
                continue
            uid = int(uid_match.group(1))
            if uid not in wanted:
                continue  # an unsolicited FETCH (a flag change by another client)
            if literals:
                header = literals[-1]
            elif _EMPTY_BODY.search(text):
                header = b""
            else:
                continue  # a flags-only FETCH for a UID we asked about; its answer follows
            date_match = _INTERNALDATE.search(text)
            when = parse_internal_date(date_match.group(1)) if date_match else None
            out.append(Fetched(uid, when, header))
            wanted.discard(uid)  # a second answer for one UID is not a second message
        out.sort(key=lambda f: f.uid)
        return out
