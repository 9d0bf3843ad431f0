"""The bulk path: UID lists and header-field fetches read straight off imaplib's stream.

imapclient's response parser costs about 3 s per 100,000 messages (TESTING.md), three times the
wire time, so the two bulk commands of a sync (listing UIDs, fetching header fields) are written
to and read from the imaplib connection underneath the IMAPClient here, with a reader that knows
just the shapes those two commands return. Everything else still goes through imapclient.

Each command is sent with its own tag and read through to its tagged completion before this
returns, so imaplib and imapclient find the stream exactly where they left it.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from imapclient import IMAPClient

from touchbase.connectors.bounces import (
    BOUNCE_FIELDS,
    REPORT_LIMIT,
    failed_recipients,
    is_status_part,
    needs_report,
)
from touchbase.connectors.errors import ConnectorError, TransientError
from touchbase.connectors.headers import parse_header_block
from touchbase.connectors.imap.limits import (
    MAX_DRAINED,
    MAX_LINE,
    MAX_LITERAL,
    Answer,
    ResponseTooLarge,
    checked_line,
    literal_size,
)

_tags = itertools.count(1)
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_READ = MAX_LINE + 1
_DRAFT_FLAG = re.compile(rb"\bFLAGS \([^)]*\\Draft\b", re.IGNORECASE)
_EMPTY_BODY = re.compile(rb"BODY\[HEADER\.FIELDS \([^)]*\)\] (?:NIL|\"\")")
_ESEARCH_ALL = re.compile(rb"\bALL ([0-9:,]+)")
# The answer as servers write it, read with one match instead of three searches (0.05 s per
# 100,000): its UID and INTERNALDATE are the ones those searches find first, for nothing before
# them can hold "UID n" or 'INTERNALDATE "' (a sequence number of at most 10 digits keeps
# " FETCH (" within the first 40 bytes, and the flags hold no quote). Anything else is searched.
_USUAL_ANSWER = re.compile(
    rb'\* \d{1,10} FETCH \(UID (\d+) FLAGS \([^)"]*\) INTERNALDATE "([^"]+)"'
)
_MONTHS = {
    m: i for i, m in enumerate(b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)
}
# RFC 3501 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be space-padded).
_DATE_TIME = re.compile(rb"^ ?(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$")


# A header field as servers send HEADER.FIELDS answers (RFC 5322 2.2): a name of printable
# ASCII but ":", a CRLF-ended line, folded lines that start with a space or a tab.
_FIELD = re.compile(r"([!-9;-~]+):([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n")
# Lines that are each one whole field, none folded (the "\r" of each CRLF is in `[^\n]*`).
_FLAT_FIELDS = re.compile(r"(?:[!-9;-~]+:[^\n]*\n)*")


def header_fields(block: bytes) -> list[tuple[str, str]]:
    """`parse_header_block(block, None)`, faster on the blocks servers send.

    A block in UTF-8 (or ASCII) made only of such fields (the matches tile it, up to the final
    empty line) is decoded once and split by one regex; anything else goes to the shared
    parser, so the answer is the same either way. A block of unfolded fields alone, the usual
    answer, is split with str.split and str.partition instead: each line is then exactly one
    _FIELD match (its name up to the first ":", its value the rest), and the regex, which
    reads every character through a character class, cost three times as much.
    """
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return parse_header_block(block, None)
    # The final empty line, which no field contains (a value never holds CRLF CRLF).
    body = text[:-2] if text.endswith("\r\n\r\n") or text == "\r\n" else text
    if not body:
        return []
    # Every line ends in CRLF, no CR or LF stands alone, and each line is a field's name and
    # its unfolded value: the split below is then the regex's tiling.
    if (
        body.endswith("\r\n")
        and body.count("\r") == body.count("\n") == body.count("\r\n")
        and _FLAT_FIELDS.fullmatch(body)
    ):
        flat = []
        for line in body[:-2].split("\r\n"):
            name, _, value = line.partition(":")
            flat.append((name, value.strip()))
        return flat
    fields = []
    covered = 0
    for name, value in _FIELD.findall(text):
        covered += len(name) + len(value) + 3
        fields.append((name, (value.replace("\r\n", "") if "\r" in value else value).strip()))
    # The matches never overlap, so they tile the text exactly when their lengths add up to it,
    # less the final empty line (which no match can contain: a value never holds CRLF CRLF).
    rest = len(text) - covered
    if rest == 0 or (rest == 2 and (text == "\r\n" or text.endswith("\r\n\r\n"))):
        return fields
    return parse_header_block(block, None)  # a gap the regex skipped: not canonical


class Fetched(NamedTuple):
    """One message's answer to a header-field fetch (a tuple: 100k of them are built per sync).

    `internal_date` stays raw until a message's own Date is unusable (parse_internal_date).
    `draft`: the message carries the \\Draft flag (RFC 3501 2.3.2), as Gmail's drafts do in
    "All Mail" and as touchbase's own APPENDed drafts do.
    """

    uid: int
    internal_date: bytes | None
    header: bytes
    draft: bool = False
    too_large: int = 0  # the header literal's size when it was dropped unread (Drained)


class Drained(bytes):
    """Stands for a header literal too large to keep, read off the wire and dropped."""

    size = 0


def _drain(read: Any, size: int) -> Drained:
    left = size
    while left:
        piece = read(min(left, 1 << 20))
        if not piece:
            raise TransientError("the IMAP server closed the connection mid-literal")
        left -= len(piece)
    dropped = Drained()
    dropped.size = size
    return dropped


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


def parse_internal_date(raw: bytes | None) -> datetime | None:
    """An RFC 3501 INTERNALDATE as aware UTC, or None."""
    match = _DATE_TIME.match(raw) if raw else None
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

    def send(self, command: bytes) -> bytes:
        """Send a tagged command; return its tag for `collect`. Commands may be pipelined
        (RFC 3501 5.5): UID FETCHes of disjoint UIDs answer in order, each to its own tag."""
        tag = b"TB%d" % next(_tags)
        self._imap.send(tag + b" " + command + b"\r\n")
        return tag

    def run(self, command: bytes) -> list[tuple[bytes, list[bytes]]]:
        return self.collect(self.send(command))

    def collect(self, tag: bytes, *, drain: bool = False) -> list[tuple[bytes, list[bytes]]]:
        """Each untagged response up to `tag`'s completion as (text without literals, literals).

        Bounded as connectors/imap/limits.py says: a literal's size is checked before it is
        read, a line is read up to the ceiling and no further, and the answer as a whole is
        counted; crossing a ceiling raises ResponseTooLarge. With `drain`, a literal up to
        MAX_DRAINED is read in pieces and dropped instead (a `Drained` in its place).
        """
        responses: list[tuple[bytes, list[bytes]]] = []
        reading = _Reading(self._imap.file, drain)
        next_line, plain, rest, literal = reading.line, reading.plain, reading.rest, _LITERAL.search
        prefix = tag + b" "
        count = 0
        while True:
            line = next_line()
            if line.startswith(prefix) or not line.startswith(b"* "):
                _complete(line, tag, prefix)
                return responses
            # The count is handed to the answer every thousand responses (this loop runs once
            # per message of a sync), the bytes whenever they pass MAX_LITERAL (`_Reading`).
            count += 1
            if count == 1000:
                reading.answer.add_many(count, reading.size)
                count = reading.size = 0
            match = literal(line, len(line) - 16) if line.endswith(b"}\r\n") else None
            if match is None:
                plain(line)
                responses.append((line, []))
            else:
                responses.append(rest(line, match, [], []))

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

    def start_fetch(self, uids: Sequence[int], fields: Iterable[str]) -> bytes:
        """Send the header-field fetch of `uids` (ascending, at most MAX_PAGE); BODY.PEEK keeps
        \\Seen as it is. Returns the tag to `finish_fetch`."""
        names = " ".join(f.upper() for f in fields).encode("ascii")
        return self.send(
            b"UID FETCH %s (UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (%s)])"
            % (uid_set(uids).encode("ascii"), names)
        )

    def finish_fetch(self, tag: bytes, uids: Sequence[int]) -> list[Fetched]:
        """The answers to `start_fetch`, by ascending UID, one per message that still exists.

        Read here rather than through `collect` (with the same ceilings, `_Reading`), so that
        the usual response, one header literal and then ")", is taken as it is read: one pass
        over a page, not a list of (text, literals) read again. Any other response is read on
        as `collect` reads it and taken by `_take`, which is what the usual one amounts to.
        100,000 recorded Dovecot answers: 0.42 -> 0.33 s CPU.
        """
        wanted = set(uids)
        out: list[Fetched] = []
        reading = _Reading(self._imap.file, True)
        readline, plain, rest, read = reading.readline, reading.plain, reading.rest, reading.read
        literal, usual, new = _LITERAL.search, _USUAL_ANSWER.match, tuple.__new__
        prefix = tag + b" "
        # `reading.line` and `reading.size` inlined as locals: this loop runs once per message
        # of a sync. The size is handed to `reading` around each call that counts on it.
        count = size = 0
        while True:
            line = readline(_READ)
            if len(line) > MAX_LINE:
                checked_line(line)
            if not line:
                raise TransientError("the IMAP server closed the connection mid-response")
            if line.startswith(prefix) or not line.startswith(b"* "):
                _complete(line, tag, prefix)
                break
            count += 1
            if count == 1000:
                reading.answer.add_many(count, size)
                count = size = 0
            match = literal(line, len(line) - 16) if line.endswith(b"}\r\n") else None
            if match is None:
                reading.size = size
                plain(line)
                size = reading.size
                _take(line, [], wanted, out)
                continue
            announced = int(match.group(1))
            if announced > MAX_LITERAL:  # to be drained, or refused
                reading.size = size
                text, literals = rest(line, match, [], [])
                size = reading.size
                _take(text, literals, wanted, out)
                continue
            # rest()'s first turn, for a literal it keeps
            size += announced + len(line)
            if size > MAX_LITERAL:
                reading.answer.add_many(0, size)
                size = 0
            data: bytes = read(announced)
            if len(data) != announced:
                raise TransientError("the IMAP server closed the connection mid-literal")
            end = readline(_READ)
            if end != b")\r\n":  # more follows the literal, or the line is cut short
                if len(end) > MAX_LINE:
                    checked_line(end)
                if not end:
                    raise TransientError("the IMAP server closed the connection mid-response")
                more = literal(end, len(end) - 16) if end.endswith(b"}\r\n") else None
                reading.size = size
                text, literals = rest(end, more, [line[: match.start()]], [data])
                size = reading.size
                _take(text, literals, wanted, out)
                continue
            size += 3
            # The usual answer: its text is `line` less the literal's announcement, plus ")",
            # neither of which holds anything _USUAL_ANSWER or _DRAFT_FLAG reads.
            common = usual(line)
            if common is None:
                _take(line[: match.start()] + end, [data], wanted, out)
                continue
            uid = int(common.group(1))
            if uid not in wanted:
                continue  # an unsolicited FETCH, or a second answer for one UID
            # The text holds no header (that is the literal): "raft" is rare outside FLAGS.
            draft = b"raft" in line and _DRAFT_FLAG.search(line) is not None
            out.append(new(Fetched, (uid, common.group(2), data, draft, 0)))
            wanted.discard(uid)
        out.sort()
        return out

    def fetch_headers(self, uids: Sequence[int], fields: Iterable[str]) -> list[Fetched]:
        if not uids:
            return []
        return self.finish_fetch(self.start_fetch(uids, fields), uids)


class _Reading:
    """One command's answer as it is read: its lines and literals under the ceilings, and what
    they have counted so far (`size`: bytes not yet handed to `answer`)."""

    __slots__ = ("answer", "drain", "drained", "read", "readline", "size")

    def __init__(self, stream: Any, drain: bool) -> None:
        self.answer = Answer()
        self.size = self.drained = 0
        self.drain = drain
        self.readline, self.read = stream.readline, stream.read

    def line(self) -> bytes:
        """The next line, refused when it hit the ceiling."""
        line: bytes = self.readline(_READ)
        if len(line) > MAX_LINE:
            checked_line(line)
        if not line:
            raise TransientError("the IMAP server closed the connection mid-response")
        return line

    def plain(self, line: bytes) -> None:
        """Count a response without a literal."""
        if line.startswith(b"* BYE"):
            raise TransientError(f"the IMAP server said goodbye: {line[:80]!r}")
        self.size += len(line)
        if self.size > MAX_LITERAL:
            self.answer.add_many(0, self.size)
            self.size = 0

    def rest(
        self, line: bytes, match: re.Match[bytes] | None, text: list[bytes], literals: list[bytes]
    ) -> tuple[bytes, list[bytes]]:
        """A response read on from `line` (whose literal `match` found) to its last line: (its
        text without literals, its literals), after the `text` and `literals` read before.

        The bytes are handed to the answer whenever they pass MAX_LITERAL, so at most about
        two literals' worth is held beyond the ceiling before it is refused; a response
        chaining literals counts as it grows."""
        while match is not None:
            announced = int(match.group(1))
            text.append(line[: match.start()])
            if announced > MAX_LITERAL:
                self.drained += announced
                if not self.drain or announced > MAX_DRAINED:
                    literal_size(announced)
                if self.drained > 4 * MAX_DRAINED:
                    raise ResponseTooLarge(
                        f"more than {4 * MAX_DRAINED:,} bytes of oversized literals"
                    )
                literals.append(_drain(self.read, announced))
            else:
                self.size += announced + len(line)
                if self.size > MAX_LITERAL:
                    self.answer.add_many(0, self.size)
                    self.size = 0
                data: bytes = self.read(announced)
                if len(data) != announced:
                    raise TransientError("the IMAP server closed the connection mid-literal")
                literals.append(data)
            line = self.line()
            match = _LITERAL.search(line, len(line) - 16) if line.endswith(b"}\r\n") else None
        text.append(line)
        self.size += len(line)
        return b"".join(text), literals


def _complete(line: bytes, tag: bytes, prefix: bytes) -> None:
    """A line that is no untagged response: `tag`'s completion, which must be OK."""
    if not line.startswith(prefix):
        raise TransientError(f"unexpected IMAP line {line[:60]!r}")
    status = line[len(prefix) :].split(None, 1)[0].upper() if line.strip() != tag else b""
    if status != b"OK":
        detail = line.decode("latin-1").strip()
        raise ConnectorError(f"IMAP server refused {tag.decode()}: {detail}")


def _take(text: bytes, literals: list[bytes], wanted: set[int], out: list[Fetched]) -> None:
    """Add the message a response to a header fetch carries to `out`, if it is one asked for
    (its UID in `wanted`, taken off it: a second answer for one UID is not a second message)."""
    common = _USUAL_ANSWER.match(text)
    if common is not None:
        uid = int(common.group(1))
    else:
        if b" FETCH (" not in text[:40]:
            return  # EXISTS, EXPUNGE, RECENT: mailbox news, not our answer
        uid_match = _UID.search(text)
        if uid_match is None:
            return
        uid = int(uid_match.group(1))
    if uid not in wanted:
        return  # an unsolicited FETCH (a flag change by another client)
    if literals:
        header = literals[-1]
    elif _EMPTY_BODY.search(text):
        header = b""
    else:
        return  # a flags-only FETCH for a UID we asked about; its answer follows
    if common is not None:
        internal = common.group(2)
    else:
        date_match = _INTERNALDATE.search(text)
        internal = date_match.group(1) if date_match else None
    if isinstance(header, Drained):
        out.append(Fetched(uid, internal, b"", False, header.size))
        wanted.discard(uid)
        return
    # The text holds no header (that is the literal): "raft" is rare outside FLAGS.
    draft = b"raft" in text and _DRAFT_FLAG.search(text) is not None
    out.append(tuple.__new__(Fetched, (uid, internal, header, draft, 0)))
    wanted.discard(uid)


# -- delivery failures (issue 18) ------------------------------------------------------------

# A header block that may be a bounce: from a mail system, or with a failure notice's subject.
# Only these few messages are asked anything more.
_BOUNCE_CANDIDATE = re.compile(
    rb"^(from:[^\r\n]*(mailer-daemon|postmaster|microsoftexchange[0-9a-f]{32})|subject:[ \t]*"
    rb"(undeliver|returned mail|delivery status notification|mail delivery failed|"
    rb"failure notice|undelivered mail|delivery failure|non-?deliverable))",
    re.IGNORECASE | re.MULTILINE,
)
# Words one of which every candidate holds, lower-cased (IGNORECASE on bytes folds ASCII only,
# as bytes.lower does; "deliver" stands for all the failure subjects but two). The regex tries
# its alternatives at every byte of every block: 0.19-0.23 s CPU per 100,000 messages. A page's
# blocks joined and searched for these words with bytes.find (memchr speed) leave it only the
# few blocks that hold one.
_BOUNCE_WORDS = (b"deliver", b"daemon", b"postmaster", b"microsoftexchange", b"returned mail",
                 b"failure notice")  # fmt: skip


def bounce_candidates(fetched: Sequence[Fetched]) -> list[int]:
    """The UIDs of `fetched` whose header block _BOUNCE_CANDIDATE finds, in order."""
    headers = [f.header for f in fetched]
    # Blocks joined by "\n", which no word holds: a word found lies inside one block.
    lowered = b"\n".join(headers).lower()
    ends: list[int] = []  # where each block ends, worked out at the first word found (rare)
    hits: set[int] = set()
    for word in _BOUNCE_WORDS:
        at = lowered.find(word)
        while at >= 0:
            if not ends:
                ends = list(itertools.accumulate(len(h) + 1 for h in headers))
            index = bisect.bisect_right(ends, at)
            hits.add(index)
            at = lowered.find(word, ends[index])
    return [fetched[i].uid for i in sorted(hits) if _BOUNCE_CANDIDATE.search(fetched[i].header)]


def _fetch_one(reader: RawReader, uids: Sequence[int], item: bytes) -> dict[int, bytes]:
    """uid -> the one literal each message answers to `UID FETCH uids (item)` (b"" for NIL)."""
    found: dict[int, bytes] = {}
    wanted = set(uids)
    for text, literals in reader.run(
        b"UID FETCH %s (%s)" % (uid_set(sorted(wanted)).encode("ascii"), item)
    ):
        match = _UID.search(text) if b" FETCH (" in text[:40] else None
        if match is not None and int(match.group(1)) in wanted:
            found.setdefault(int(match.group(1)), literals[-1] if literals else b"")
    return found


def fetch_failures(reader: RawReader, fetched: Sequence[Fetched]) -> dict[int, tuple[str, ...]]:
    """uid -> the recipients each bounce among `fetched` says failed (connectors/bounces.py).

    Never a body: a message that looks like a bounce by its From or Subject is asked for its
    Content-Type and X-Failed-Recipients fields; a multipart/report among them for its second
    part's MIME header (`BODY.PEEK[2.MIME]`, RFC 3501 6.4.5); and only where that says
    message/delivery-status, for that part's fields (`BODY.PEEK[2]`, at most REPORT_LIMIT
    bytes: RFC 6522 puts the machine-readable report second). Call it with no other command
    in flight: it waits for each answer.
    """
    candidates = bounce_candidates(fetched)
    if not candidates:
        return {}
    names = " ".join(f.upper() for f in BOUNCE_FIELDS).encode("ascii")
    blocks = _fetch_one(reader, candidates, b"BODY.PEEK[HEADER.FIELDS (%s)]" % names)
    fields = {uid: parse_header_block(block, None) for uid, block in blocks.items()}
    reports = [uid for uid, found in fields.items() if needs_report(found)]
    parts: dict[int, bytes] = {}
    if reports:
        mime = _fetch_one(reader, reports, b"BODY.PEEK[2.MIME]")
        status = [uid for uid, head in mime.items() if is_status_part(head)]
        if status:
            parts = _fetch_one(reader, status, b"BODY.PEEK[2]<0.%d>" % REPORT_LIMIT)
    failed = {uid: failed_recipients(found, parts.get(uid)) for uid, found in fields.items()}
    return {uid: addresses for uid, addresses in failed.items() if addresses}
