"""iCalendar (RFC 5545) files to meeting interactions: one per occurrence inside a time window.

The file is split into its top-level components first (ics_scan.py: every VCALENDAR of a
concatenated export, components after END:VCALENDAR or outside any), then each is parsed on its
own by icalendar, so one broken component (a VTIMEZONE with a garbage DTSTART, an unterminated
VEVENT) is quarantined with its line and reason while the rest of the calendar is read.
Recurrence (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides, RANGE=THISANDFUTURE) is expanded by
recurring-ical-events, series by series (ics_series.py), after ics_limits.py has judged from the
rule's text that the expansion is bounded; a series over the limits is quarantined instead.
Records are yielded one series at a time, so a 50 MB file of plain events streams.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

import icalendar

from touchbase.connectors.base import (
    InteractionRecord,
    Quarantined,
)
from touchbase.connectors.files.calendar_versions import (
    VersionBook,
    block_key,
    block_version,
    stamped,
)
from touchbase.connectors.files.ics_fast import read_plain
from touchbase.connectors.files.ics_limits import (
    MAX_ZONE_STEPS,
    parse_rule,
    rough_time,
    series_work,
)
from touchbase.connectors.files.ics_records import occurrence, record
from touchbase.connectors.files.ics_scan import (
    FOLD,
    Block,
    CalendarHead,
    own_lines,
    scan,
)
from touchbase.connectors.files.ics_series import DROP, CalendarFile, Window, at, expand

log = logging.getLogger(__name__)
Record = InteractionRecord | Quarantined
_SLACK = timedelta(days=2)  # a DTSTART's digits read without its zone are off by hours at most


def _uid(raw: bytes, block: Block) -> str:
    uid = block.value(b"UID")
    if uid:
        return uid
    # No UID (RFC 5545 requires one, exports sometimes lack it): a digest of the event as
    # icalendar writes it back, as touchbase always named such events, is stable across
    # re-imports of the same file.
    event = icalendar.Event.from_ical(raw[block.start : block.end])
    return "sha1:" + hashlib.sha1(event.to_ical()).hexdigest()


def _zone_problem(raw: bytes, block: Block, window: Window) -> str | None:
    """Why a VTIMEZONE must not be parsed: a rule that would make every time in it hang."""
    for start, end in block.nested:
        lines = FOLD.sub(b"", raw[start:end])
        rules = re.findall(rb"^RRULE:([^\r\n]*)", lines, re.MULTILINE | re.IGNORECASE)
        dtstart = re.search(rb"^DTSTART[^:\r\n]*:([^\r\n]*)", lines, re.MULTILINE | re.IGNORECASE)
        first = rough_time(dtstart.group(1).decode("ascii", "replace") if dtstart else None)
        for rule in rules:
            text = rule.decode("ascii", "replace")
            frequency = parse_rule(text).get("FREQ", "")
            if frequency not in ("YEARLY", "MONTHLY"):
                return (
                    f"its rule repeats FREQ={frequency or '?'}; a time zone's offsets change at "
                    "most a few times a year"
                )
            if first is not None:
                work = series_work(text, first, window.policy_start, window.end)
                if work.steps > MAX_ZONE_STEPS:
                    return f"its rule makes about {work.steps:,} changes of offset up to now"
    return None


def _timezones(raw: bytes, blocks: Iterable[Block], where: str, window: Window) -> Iterator[Record]:
    """Parse each usable VTIMEZONE (icalendar keeps it for the events that name its TZID)."""
    for block in blocks:
        tzid = block.value(b"TZID") or "?"
        problem = _zone_problem(raw, block, window)
        if problem is None:
            try:
                icalendar.Timezone.from_ical(raw[block.start : block.end])
                continue
            except Exception as error:  # untrusted input: icalendar raises many kinds
                problem = f"does not parse: {type(error).__name__}: {error}"
        yield Quarantined(
            f"{where}:VTIMEZONE:{tzid}",
            f"{at(where, block)}: time zone {tzid!r}: {problem}; events that name it are read "
            "in the IANA zone of that name if there is one, else as UTC",
        )


# -- events --------------------------------------------------------------------------------


def _single(file: CalendarFile, uid: str, block: Block) -> Iterator[Record]:
    window = file.window
    rough = rough_time(block.value(b"DTSTART"))
    if rough is not None and not window.start - _SLACK <= rough < window.end + _SLACK:
        return  # far outside the window: not parsed at all (most of a large file's events)
    lines = DROP.sub(b"", own_lines(file.raw, block))
    plain = read_plain(lines)  # most events of a large file; None: icalendar reads it
    if plain is not None:
        item = record(plain, uid, uid, file.cancelled(block))
    else:
        event = icalendar.Event.from_ical(lines)
        if event.get("DTSTART") is None:
            yield Quarantined(uid, f"{at(file.where, block)}: event {uid} has no DTSTART")
            return
        item = occurrence(event, uid, uid, file.cancelled(block))
    if window.start <= item.occurred_at < window.end:
        yield item


def _events(file: CalendarFile, uid: str, blocks: list[Block]) -> Iterator[Record]:
    """One UID's components to records: the newest version of each, single or series."""
    alone = len(blocks) == 1 and file.versions is None  # nothing to choose between
    chosen = blocks if alone else _newest(file, uid, blocks)
    if not chosen:
        return
    if len(chosen) == 1 and not any(
        chosen[0].prop(name) is not None for name in (b"RRULE", b"RDATE", b"RECURRENCE-ID")
    ):
        yield from stamped(_single(file, uid, chosen[0]), chosen)
    else:
        yield from stamped(expand(file, uid, chosen), chosen)


def _newest(file: CalendarFile, uid: str, blocks: list[Block]) -> list[Block]:
    """The newest copy of each event (series or override) this file holds and no file beats."""
    newest: dict[tuple[str, str], tuple[tuple[int, str], Block]] = {}
    for block in blocks:
        key, version = block_key(uid, block), block_version(block)
        if file.versions is not None and file.versions.newer_elsewhere(file.where, key, version):
            continue  # a newer copy of this event stands in another file of the account
        if key not in newest or version > newest[key][0]:
            newest[key] = (version, block)
    return [block for _, block in newest.values()]


def _split(raw: bytes, where: str) -> tuple[dict[int, CalendarHead], list[Block], list[Record]]:
    heads: dict[int, CalendarHead] = {}
    blocks: list[Block] = []
    bad: list[Record] = []
    other = False  # a VTODO, VJOURNAL...: a calendar with nothing for us, not garbage
    for item in scan(raw):
        if isinstance(item, CalendarHead):
            heads[item.index] = item
        elif not item.closed:
            uid = item.value(b"UID") or f"{where}:line {item.line}"
            bad.append(
                Quarantined(
                    uid,
                    f"{at(where, item)}: BEGIN:{item.name} has no END:{item.name} (the file "
                    f"ends, or another component begins, first); this {item.name} is not read",
                )
            )
        elif item.name in ("VEVENT", "VTIMEZONE"):
            blocks.append(item)
        else:
            other = True
    if not heads and not blocks and not bad and not other:
        bad.append(Quarantined(where, f"{where}: no calendar component in it; not a calendar"))
    return heads, blocks, bad


def calendar_records(
    raw: bytes,
    *,
    window: Window,
    where: str,
    versions: VersionBook | None = None,
) -> Iterator[Record]:
    """The occurrences starting in the window and the parts that could not be used, streamed.

    Records come one event (UID) at a time in the order the file first names each UID, with a
    series' occurrences sorted by time; the order is the same for the same file and window, so
    a reader may resume by counting. `where` (the file's path) prefixes reasons.
    `versions` (calendar_versions.py) leaves out events a newer copy of stands in another file.
    """
    heads, blocks, bad = _split(raw, where)
    yield from bad
    yield from _timezones(raw, (b for b in blocks if b.name == "VTIMEZONE"), where, window)
    file = CalendarFile(raw, where, window, heads, versions)
    by_uid: dict[str, list[Block]] = {}
    for block in blocks:
        if block.name != "VEVENT":
            continue
        try:
            uid = _uid(raw, block)
        except Exception as error:  # untrusted input: icalendar raises many kinds
            yield Quarantined(
                f"{where}:line {block.line}",
                f"{at(where, block)}: event without UID does not parse: {error}",
            )
            continue
        by_uid.setdefault(uid, []).append(block)
    for uid, group in by_uid.items():
        try:
            yield from _events(file, uid, group)
        except Exception as error:  # one broken event must not stop the calendar
            log.debug("quarantined event in %s: %s", where, error)
            yield Quarantined(
                uid,
                f"{at(where, group[0])}: event {uid}: {type(error).__name__}: {error}",
            )


def note_versions(book: VersionBook, raw: bytes, where: str) -> None:
    """Put every event of one file (as it is now) into an account's VersionBook."""
    book.forget(where)
    for item in scan(raw):
        if isinstance(item, Block) and item.closed and item.name == "VEVENT":
            uid = item.value(b"UID")
            if uid:
                book.add(where, block_key(uid, item), block_version(item))


def read_calendar(
    raw: bytes, *, start: datetime, end: datetime, where: str
) -> tuple[list[InteractionRecord], list[Quarantined]]:
    """The occurrences starting in [start, end), sorted, and the parts that could not be used.

    The whole file at once, for callers that hold one small calendar (a CalDAV resource);
    files use calendar_records, which streams.
    """
    found: list[InteractionRecord] = []
    bad: list[Quarantined] = []
    for item in calendar_records(raw, window=Window(start, end, start), where=where):
        if isinstance(item, InteractionRecord):
            found.append(item)
        else:
            bad.append(item)
    found.sort(key=lambda i: (i.occurred_at, i.source_id))
    unique = {i.source_id: i for i in reversed(found)}  # the earliest of a repeated id wins
    return sorted(unique.values(), key=lambda i: (i.occurred_at, i.source_id)), bad
