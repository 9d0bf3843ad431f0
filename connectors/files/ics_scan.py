"""Splitting an .ics file into its top-level components without parsing them (RFC 5545 3.4, 3.6).

A file may hold several VCALENDARs one after another (concatenated exports), components after
an END:VCALENDAR, or a VEVENT outside any VCALENDAR; each is found here with the line it starts
on. Only BEGIN/END lines are matched (one regular expression over the bytes: 50 MB in well under
a second), and a few properties are read off each component's own lines (not its VALARMs') so
that events can be grouped by UID and versions compared before any of them is parsed. Parsing
is icalendar's job, one component at a time (ics.py), so one broken component costs only itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# A BEGIN or END at the start of a line; folded continuation lines start with a space or a tab,
# so they never match (RFC 5545 3.1).
_EDGE = re.compile(rb"^(BEGIN|END):([A-Za-z0-9-]*)[ \t]*\r?$", re.MULTILINE | re.IGNORECASE)
# One unfolded line of a component: its name, then its parameters and value.
_LINE = re.compile(rb"^([A-Za-z0-9-]+)([;:][^\r\n]*)", re.MULTILINE)
# A line break followed by a space or tab is a fold (RFC 5545 3.1); KOrganizer folds right after
# a property's name, so lines are unfolded before they are read.
FOLD = re.compile(rb"\r?\n[ \t]")
# Components that may sit inside another (RFC 5545 VALARM, STANDARD/DAYLIGHT; RFC 7953, 9073).
_NESTED = {b"VALARM", b"STANDARD", b"DAYLIGHT", b"AVAILABLE", b"VLOCATION", b"VRESOURCE"}
_NESTED |= {b"PARTICIPANT"}
_META = {b"UID", b"RECURRENCE-ID", b"SEQUENCE", b"LAST-MODIFIED", b"DTSTAMP", b"DTSTART"}
_META |= {b"RRULE", b"RDATE", b"EXRULE", b"TZID"}
# Only those lines: most of an event's lines are never looked at here (measured: half the
# scan's time on a 50 MB file went to lines it then passed over).
_META_LINE = re.compile(
    rb"^(" + b"|".join(sorted(_META)) + rb")([;:][^\r\n]*)", re.MULTILINE | re.IGNORECASE
)


@dataclass(slots=True)
class Block:
    """One top-level component: where it is in the file and what its own lines say.

    `props` holds the unfolded values of the properties in _META (name -> list of raw
    "params:value" texts); `nested` the byte spans of sub-components (VALARM, STANDARD...);
    `closed` is False when the file ended, or another top-level component began, before its END.
    """

    name: str
    start: int
    end: int
    line: int
    calendar: int  # which VCALENDAR of the file (0, 1, ...), -1 for one outside any
    closed: bool = True
    nested: list[tuple[int, int]] = field(default_factory=list)
    props: dict[bytes, list[bytes]] = field(default_factory=dict)

    def prop(self, name: bytes) -> bytes | None:
        values = self.props.get(name)
        return values[0] if values else None

    def value(self, name: bytes) -> str | None:
        """A property's value without its parameters, as text (None when absent)."""
        raw = self.prop(name)
        return None if raw is None else split_value(raw)[1].decode("utf-8", "replace").strip()


@dataclass(slots=True)
class CalendarHead:
    """A VCALENDAR's own METHOD (RFC 5546: CANCEL marks every event in it cancelled)."""

    index: int
    line: int
    start: int
    method: str = ""


def split_value(raw: bytes) -> tuple[bytes, bytes]:
    """A content line's ";params:value" or ":value" part as (params, value).

    The value starts after the first ':' outside quoted parameter values (RFC 5545 3.2).
    """
    if raw[:1] == b":":
        return b"", raw[1:]
    quoted = False
    for i, byte in enumerate(raw):
        if byte == 0x22:  # "
            quoted = not quoted
        elif byte == 0x3A and not quoted:  # :
            return raw[:i], raw[i + 1 :]
    return raw, b""


def own_lines(raw: bytes, block: Block) -> bytes:
    """The block's lines, unfolded, without its sub-components (the event, not its alarms)."""
    if not block.nested:
        return FOLD.sub(b"", raw[block.start : block.end])
    parts, at = [], block.start
    for start, end in block.nested:
        parts.append(raw[at:start])
        at = end
    parts.append(raw[at : block.end])
    return FOLD.sub(b"", b"".join(parts))


def _read_props(raw: bytes, block: Block) -> None:
    for match in _META_LINE.finditer(own_lines(raw, block)):
        block.props.setdefault(match.group(1).upper(), []).append(match.group(2))


def scan(raw: bytes) -> Iterator[Block | CalendarHead]:
    """Every top-level component of `raw` in file order, and each VCALENDAR's head as it begins.

    Garbage between components, stray END lines and unknown lines are passed over; a component
    left open is yielded with `closed=False` (ics.py quarantines it with its line). A head's
    METHOD is filled in before the first component of its calendar is yielded.
    """
    head: CalendarHead | None = None  # the open VCALENDAR, if any
    head_read = True
    count = 0
    current: Block | None = None
    depth: list[bytes] = []  # names open inside `current`
    line_of = _LineCounter(raw)
    for match in _EDGE.finditer(raw):
        kind, name = match.group(1).upper(), match.group(2).upper()
        if kind == b"BEGIN":
            if current is not None and (name in _NESTED or depth):
                if not depth:
                    current.nested.append((match.start(), -1))
                depth.append(name)
                continue
            if current is not None:  # a new top-level component before this one's END
                yield _finish(raw, current, match.start(), closed=False)
                current, depth = None, []
            if head is not None and not head_read:
                _read_method(raw, head, match.start())
                head_read = True
            if name == b"VCALENDAR":
                head, head_read = CalendarHead(count, line_of(match.start()), match.start()), False
                count += 1
                yield head
                continue
            index = head.index if head is not None else -1
            current = Block(name.decode("ascii"), match.start(), -1, line_of(match.start()), index)
            continue
        # END
        if current is None:
            if name == b"VCALENDAR":
                head = None
            continue  # a stray END (or the calendar's own): nothing to close
        if depth:
            if name in depth:
                while depth and depth.pop() != name:
                    pass
                if not depth:
                    start, _ = current.nested[-1]
                    current.nested[-1] = (start, _line_end(raw, match.end()))
            continue
        if name.decode("ascii") == current.name:
            yield _finish(raw, current, _line_end(raw, match.end()), closed=True)
            current = None
        elif name == b"VCALENDAR":  # the calendar closed around an unfinished component
            yield _finish(raw, current, match.start(), closed=False)
            current, head = None, None
    if current is not None:
        yield _finish(raw, current, len(raw), closed=False)


def _read_method(raw: bytes, head: CalendarHead, end: int) -> None:
    for match in _LINE.finditer(FOLD.sub(b"", raw[head.start : end])):
        if match.group(1).upper() == b"METHOD":
            value = split_value(match.group(2))[1]
            head.method = value.decode("utf-8", "replace").strip().upper()


def _finish(raw: bytes, block: Block, end: int, *, closed: bool) -> Block:
    block.end = end
    block.closed = closed
    block.nested = [(s, e if e >= 0 else end) for s, e in block.nested]
    _read_props(raw, block)
    return block


def _line_end(raw: bytes, at: int) -> int:
    if raw[at : at + 2] == b"\r\n":
        return at + 2
    if raw[at : at + 1] == b"\n":
        return at + 1
    return at


class _LineCounter:
    """Line numbers for increasing offsets, counting newlines only once over the file."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.at = 0
        self.line = 1

    def __call__(self, offset: int) -> int:
        self.line += self.raw.count(b"\n", self.at, offset)
        self.at = offset
        return self.line
