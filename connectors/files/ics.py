"""iCalendar (RFC 5545) files to meeting interactions: one per occurrence inside a time window.

The file is split into its top-level components first (ics_scan.py: every VCALENDAR of a
concatenated export, components after END:VCALENDAR or outside any), then each is parsed on its
own by icalendar, so one broken component (a VTIMEZONE with a garbage DTSTART, an unterminated
VEVENT) is quarantined with its line and reason while the rest of the calendar is read.
Recurrence (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides, RANGE=THISANDFUTURE) is expanded by
recurring-ical-events, series by series, after ics_limits.py has judged from the rule's text that
the expansion is bounded; a series over the limits is quarantined with the figure instead.
Records are yielded one series at a time, so a 50 MB file of plain events streams.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
import recurring_ical_events

from touchbase.connectors.base import (
    Flag,
    InteractionRecord,
    Kind,
    Participant,
    Quarantined,
    Response,
    Role,
)
from touchbase.connectors.files.calendar_versions import (
    VersionBook,
    block_key,
    block_version,
)
from touchbase.connectors.files.ics_fast import PlainEvent, read_plain
from touchbase.connectors.files.ics_limits import (
    MAX_FILE_OCCURRENCES,
    MAX_SERIES_OCCURRENCES,
    MAX_SERIES_STEPS,
    MAX_ZONE_STEPS,
    parse_rule,
    rough_time,
    series_work,
)
from touchbase.connectors.files.ics_scan import (
    FOLD,
    Block,
    CalendarHead,
    own_lines,
    scan,
    split_value,
)

log = logging.getLogger(__name__)
Record = InteractionRecord | Quarantined

_PARTSTAT = {
    "ACCEPTED": Response.ACCEPTED,
    "DECLINED": Response.DECLINED,
    "TENTATIVE": Response.TENTATIVE,
    "NEEDS-ACTION": Response.NEEDS_ACTION,
}
_RESOURCE_CUTYPES = {"ROOM", "RESOURCE"}  # RFC 5545 3.2.3: not people
_OPTIONAL_ROLES = {"OPT-PARTICIPANT", "NON-PARTICIPANT"}  # RFC 5545 3.2.16
# The properties a meeting is made of; the rest (DESCRIPTION, ATTACH, X-ALT-DESC...) is dropped
# before icalendar parses the event: bodies are never read, and parsing is most of the cost
# (about 30 us a line, measured on icalendar 7.3).
_KEEP = (
    "BEGIN|END|UID|DTSTART|DTEND|DURATION|RRULE|RDATE|EXDATE|EXRULE|RECURRENCE-ID|SUMMARY|"
    "ORGANIZER|ATTENDEE|STATUS|SEQUENCE|LAST-MODIFIED|DTSTAMP"
)
_DROP = re.compile(
    rb"^(?!(?:" + _KEEP.encode() + rb")[;:])[^\r\n]*(?:\r?\n|$)",  # on unfolded lines
    re.MULTILINE | re.IGNORECASE,
)
_SLACK = timedelta(days=2)  # a DTSTART's digits read without its zone are off by hours at most


@dataclass(frozen=True)
class Window:
    """Occurrences starting in [start, end) are read; `policy_start` (the horizon, at or before
    `start`) is where the caps are judged from, so that a series over a limit is refused the
    same way on the first read and on each later extension of the window."""

    start: datetime
    end: datetime
    policy_start: datetime


def to_utc(value: date | datetime) -> datetime:
    """A DATE or DATE-TIME as aware UTC. Floating times (no zone) are taken as UTC."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _address(value: Any) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _participants(
    organizer: tuple[str, Any] | None, attendees: Iterable[tuple[str, Any]]
) -> tuple[Participant, ...]:
    """ORGANIZER and ATTENDEEs as (value, parameters) pairs to participants."""
    people: list[Participant] = []
    seen: set[tuple[str, Role]] = set()
    if organizer is not None:
        address = _address(organizer[0])
        if address:
            seen.add((address, Role.ORGANIZER))
            name = str(organizer[1].get("CN", "")).strip().strip('"')
            people.append(Participant(address, Role.ORGANIZER, name))
    for value, params in attendees:
        address = _address(value)
        if not address or (address, Role.ATTENDEE) in seen:
            continue
        seen.add((address, Role.ATTENDEE))
        people.append(
            Participant(
                address,
                Role.ATTENDEE,
                str(params.get("CN", "")).strip().strip('"'),
                response=_PARTSTAT.get(str(params.get("PARTSTAT", "NEEDS-ACTION")).upper()),
                resource=str(params.get("CUTYPE", "")).upper() in _RESOURCE_CUTYPES,
                optional=str(params.get("ROLE", "")).upper() in _OPTIONAL_ROLES,
            )
        )
    return tuple(people)


def _record(
    plain: PlainEvent, source_id: str, uid: str, calendar_cancelled: bool
) -> InteractionRecord:
    start_value = plain.start
    start = to_utc(start_value)
    end = to_utc(plain.end) if plain.end is not None else None
    if end is None and plain.duration is not None:
        end = start + plain.duration
    if end is None:  # RFC 5545 3.6.1: an all-day event lasts the day, a timed one no time
        end = start if isinstance(start_value, datetime) else start + timedelta(days=1)
    flags: set[Flag] = set()
    if calendar_cancelled or plain.status.upper() == "CANCELLED":
        flags.add(Flag.CANCELLED)
    if not isinstance(start_value, datetime):
        flags.add(Flag.ALL_DAY)
    return InteractionRecord(
        source_id=source_id,
        kind=Kind.MEETING,
        occurred_at=start,
        ended_at=end,
        participants=_participants(plain.organizer, plain.attendees),
        subject=" ".join(plain.summary.split()) if plain.summary is not None else None,
        thread_id=uid,
        folder="calendar",
        flags=frozenset(flags),
    )


def _from_icalendar(event: Any) -> PlainEvent:
    """The same values from an icalendar Event (what ics_fast.read_plain reads by itself)."""
    organizer = event.get("ORGANIZER")
    if isinstance(organizer, list):
        organizer = organizer[0] if organizer else None
    end = event.get("DTEND")
    duration = event.get("DURATION")
    summary = event.get("SUMMARY")
    return PlainEvent(
        start=event["DTSTART"].dt,
        end=end.dt if end is not None else None,
        duration=duration.dt if duration is not None else None,
        summary=str(summary) if summary is not None else None,
        status=str(event.get("STATUS", "")),
        organizer=(str(organizer), getattr(organizer, "params", {}))
        if organizer is not None
        else None,
        attendees=tuple(
            (str(a), getattr(a, "params", {})) for a in _as_list(event.get("ATTENDEE"))
        ),
    )


def _occurrence(
    event: Any, source_id: str, uid: str, calendar_cancelled: bool
) -> InteractionRecord:
    return _record(_from_icalendar(event), source_id, uid, calendar_cancelled)


def _uid(raw: bytes, block: Block) -> str:
    uid = block.value(b"UID")
    if uid:
        return uid
    # No UID (RFC 5545 requires one, exports sometimes lack it): a digest of the event as
    # icalendar writes it back, as touchbase always named such events, is stable across
    # re-imports of the same file.
    event = icalendar.Event.from_ical(raw[block.start : block.end])
    return "sha1:" + hashlib.sha1(event.to_ical()).hexdigest()


def _at(where: str, block: Block) -> str:
    return f"{where}, line {block.line}"


# -- time zones ----------------------------------------------------------------------------


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
            f"{_at(where, block)}: time zone {tzid!r}: {problem}; events that name it are read "
            "in the IANA zone of that name if there is one, else as UTC",
        )


# -- events --------------------------------------------------------------------------------


def _parse_event(raw: bytes, block: Block) -> Any:
    return icalendar.Event.from_ical(_DROP.sub(b"", own_lines(raw, block)))


def _repair_dates(event: Any, uid: str, where: str) -> Iterator[Quarantined]:
    """Drop the RDATE/EXDATE values icalendar could not read, keep the rest and the series.

    A Google birthday export carries `RDATE:20131210Z`; empty `EXDATE:` lines occur too. One bad
    value is a warning (a Quarantined entry naming it), not a reason to lose the series.
    """
    broken = {name.upper() for name, _ in getattr(event, "errors", [])}
    for name in ("RDATE", "EXDATE"):
        if name not in broken or name not in event:
            continue
        values = _as_list(event.pop(name))
        kept: list[Any] = []
        for value in values:
            if not isinstance(value, icalendar.prop.vBroken):
                kept.append(value)
                continue
            params = getattr(value, "params", {})
            tzid = params.get("TZID")
            good = []
            for text in str(value).split(","):
                text = text.strip()
                try:
                    if str(params.get("VALUE", "")).upper() == "PERIOD":
                        good.append(icalendar.vPeriod.from_ical(text, timezone=tzid)[0])
                    else:
                        good.append(icalendar.vDDDTypes.from_ical(text, timezone=tzid))
                except Exception:  # a value icalendar cannot read: the one thing dropped
                    yield Quarantined(
                        f"{uid}#{name}:{text}",
                        f"{where}: event {uid}: {name} value {text!r} is not a date or time; "
                        "that value is left out, the rest of the series is read",
                    )
            if good:
                kept.append(icalendar.prop.vDDDLists(good))
        for value in kept:
            event.add(name, value)


def _rscale(event: Any, uid: str, where: str) -> str | None:
    """RFC 7529 RSCALE: GREGORIAN (with SKIP=OMIT, the RFC 5545 behaviour) is a plain rule."""
    for rule in _as_list(event.get("RRULE")):
        scale = [str(v).upper() for v in _as_list(rule.get("RSCALE"))]
        skip = [str(v).upper() for v in _as_list(rule.get("SKIP"))]
        if not scale:
            continue
        if scale != ["GREGORIAN"] or skip not in ([], ["OMIT"]):
            named = f"RSCALE={','.join(scale)}" + (f";SKIP={','.join(skip)}" if skip else "")
            return (
                f"{where}: event {uid}: its rule uses {named}, an RFC 7529 calendar scale other "
                "than the plain Gregorian one; not expanded"
            )
        rule.pop("RSCALE", None)
        rule.pop("SKIP", None)
    return None


def _rid_key(value: date | datetime) -> datetime:
    """A RECURRENCE-ID as recurring-ical-events names it in OccurrenceID: UTC without tzinfo."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0))
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _shift(event: Any) -> timedelta:
    """How far an override moves its occurrence(s) from where the rule put them.

    An occurrence's own original start is its time less this: for a plain override that is its
    RECURRENCE-ID; after a RANGE=THISANDFUTURE override (RFC 5545 3.8.4.4), whose RECURRENCE-ID
    recurring-ical-events gives to every later occurrence, each one's own rule time.
    """
    rid = event.get("RECURRENCE-ID")
    if rid is None:
        return timedelta(0)
    return to_utc(event["DTSTART"].dt) - to_utc(rid.dt)


@dataclass
class _File:
    """One read of one calendar file: where it is, its window, and what its series took."""

    raw: bytes
    where: str
    window: Window
    heads: dict[int, CalendarHead]
    versions: VersionBook | None
    taken: int = 0  # occurrences the file's series were allowed (upper bounds, ics_limits)

    def cancelled(self, block: Block) -> bool:
        head = self.heads.get(block.calendar)
        return head is not None and head.method == "CANCEL"


def _series_problem(file: _File, uid: str, master: Block) -> str | None:
    """Why a series is not expanded (ics_limits.py), or None; counts what it may take."""
    first = rough_time(master.value(b"DTSTART"))
    if first is None:
        return None  # no usable DTSTART: icalendar's error will say so
    dates = sum(len(split_value(v)[1].split(b",")) for v in master.props.get(b"RDATE", []))
    rules = [split_value(v)[1].decode("utf-8", "replace") for v in master.props.get(b"RRULE", [])]
    window, where = file.window, _at(file.where, master)
    steps = occurrences = dates
    frequency = ""
    for rule in rules or [""]:
        work = series_work(rule, first, window.policy_start, window.end, 0)
        steps, occurrences = steps + work.steps, occurrences + work.occurrences
        frequency = frequency or work.frequency
    how = f" (FREQ={frequency})" if frequency else ""
    if steps > MAX_SERIES_STEPS:
        return (
            f"{where}: series {uid} repeats too often{how}: about {steps:,} occurrences from its "
            f"start to {window.end:%Y-%m-%d}, more than the {MAX_SERIES_STEPS:,} a series may "
            "take; not expanded"
        )
    occurrences = min(occurrences, MAX_SERIES_OCCURRENCES)  # _series keeps no more
    if file.taken + occurrences > MAX_FILE_OCCURRENCES:
        return (
            f"{where}: series {uid}: the series before it in this file already take "
            f"{file.taken:,} occurrences and this one about {occurrences:,} more, over the "
            f"{MAX_FILE_OCCURRENCES:,} one calendar file may hold; not expanded"
        )
    file.taken += occurrences
    return None


def _single(file: _File, uid: str, block: Block) -> Iterator[Record]:
    window = file.window
    rough = rough_time(block.value(b"DTSTART"))
    if rough is not None and not window.start - _SLACK <= rough < window.end + _SLACK:
        return  # far outside the window: not parsed at all (most of a large file's events)
    lines = _DROP.sub(b"", own_lines(file.raw, block))
    plain = read_plain(lines)  # most events of a large file; None: icalendar reads it
    if plain is not None:
        item = _record(plain, uid, uid, file.cancelled(block))
    else:
        event = icalendar.Event.from_ical(lines)
        if event.get("DTSTART") is None:
            yield Quarantined(uid, f"{_at(file.where, block)}: event {uid} has no DTSTART")
            return
        item = _occurrence(event, uid, uid, file.cancelled(block))
    if window.start <= item.occurred_at < window.end:
        yield item


def _series(file: _File, uid: str, blocks: list[Block]) -> Iterator[Record]:
    master = next((b for b in blocks if b.prop(b"RECURRENCE-ID") is None), None)
    if master is not None:
        problem = _series_problem(file, uid, master)
        if problem is not None:
            yield Quarantined(uid, problem)
            return
    where = _at(file.where, blocks[0])
    events = [_parse_event(file.raw, block) for block in blocks]
    for event in events:
        yield from _repair_dates(event, uid, where)
        problem = _rscale(event, uid, where)
        if problem is not None:
            yield Quarantined(uid, problem)
            return
    if any(event.get("DTSTART") is None for event in events):
        yield Quarantined(uid, f"{where}: event {uid} has no DTSTART")
        return
    mini = icalendar.Calendar()
    master_event: Any = None
    overrides: dict[datetime, Any] = {}
    for event in events:
        mini.add_component(event)
        rid = event.get("RECURRENCE-ID")
        if rid is None:
            master_event = event
        else:
            overrides[_rid_key(rid.dt)] = event
    cancelled = any(file.cancelled(b) for b in blocks)
    # One record per source component, copied per occurrence: recurring-ical-events' own
    # per-occurrence component copies cost 0.12 ms each, the records as much again (measured:
    # 1,841 daily occurrences 0.5 s that way, 0.1 s this way).
    bases: dict[int, tuple[InteractionRecord, timedelta]] = {}
    found: dict[str, InteractionRecord] = {}
    window = file.window
    query = recurring_ical_events.of(mini)
    for series in query.series:
        for occurrence in series.between(window.start - timedelta(days=1), window.end):
            rid = occurrence.id.recurrence_id
            source = overrides.get(rid, master_event) if rid is not None else master_event
            if source is None:
                continue
            if id(source) not in bases:
                bases[id(source)] = (_occurrence(source, uid, uid, cancelled), _shift(source))
            base, shift = bases[id(source)]
            start = to_utc(occurrence.start)
            if not window.start <= start < window.end:
                continue
            ended = to_utc(occurrence.end) if occurrence.end is not None else base.ended_at
            item = replace(
                base,
                source_id=f"{uid}/{(start - shift).isoformat()}",
                occurred_at=start,
                ended_at=ended,
            )
            # The earliest of a repeated id wins (two overrides of one occurrence).
            known = found.get(item.source_id)
            if known is None or item.occurred_at < known.occurred_at:
                found[item.source_id] = item
    items = sorted(found.values(), key=lambda i: (i.occurred_at, i.source_id))
    if len(items) > MAX_SERIES_OCCURRENCES:
        # The most recent are the ones that say when people last met; the rest is named.
        cut = len(items) - MAX_SERIES_OCCURRENCES
        yield Quarantined(
            f"{uid}#before:{items[cut].occurred_at.isoformat()}",
            f"{where}: series {uid} has {len(items):,} occurrences in the window, more than the "
            f"{MAX_SERIES_OCCURRENCES:,} one series may keep; the {cut:,} before "
            f"{items[cut].occurred_at:%Y-%m-%d} are left out",
        )
        items = items[cut:]
    yield from items


def _events(file: _File, uid: str, blocks: list[Block]) -> Iterator[Record]:
    """One UID's components to records: the newest version of each, single or series."""
    alone = len(blocks) == 1 and file.versions is None  # nothing to choose between
    chosen = blocks if alone else _newest(file, uid, blocks)
    if not chosen:
        return
    if len(chosen) == 1 and not any(
        chosen[0].prop(name) is not None for name in (b"RRULE", b"RDATE", b"RECURRENCE-ID")
    ):
        yield from _single(file, uid, chosen[0])
    else:
        yield from _series(file, uid, chosen)


def _newest(file: _File, uid: str, blocks: list[Block]) -> list[Block]:
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
    for item in scan(raw):
        if isinstance(item, CalendarHead):
            heads[item.index] = item
        elif not item.closed:
            uid = item.value(b"UID") or f"{where}:line {item.line}"
            bad.append(
                Quarantined(
                    uid,
                    f"{_at(where, item)}: BEGIN:{item.name} has no END:{item.name} (the file "
                    f"ends, or another component begins, first); this {item.name} is not read",
                )
            )
        elif item.name in ("VEVENT", "VTIMEZONE"):
            blocks.append(item)
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
    if not blocks and not bad:
        yield Quarantined(where, f"{where}: no VEVENT or VTIMEZONE in it; not a calendar")
        return
    yield from bad
    yield from _timezones(raw, (b for b in blocks if b.name == "VTIMEZONE"), where, window)
    file = _File(raw, where, window, heads, versions)
    by_uid: dict[str, list[Block]] = {}
    for block in blocks:
        if block.name != "VEVENT":
            continue
        try:
            uid = _uid(raw, block)
        except Exception as error:  # untrusted input: icalendar raises many kinds
            yield Quarantined(
                f"{where}:line {block.line}",
                f"{_at(where, block)}: event without UID does not parse: {error}",
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
                f"{_at(where, group[0])}: event {uid}: {type(error).__name__}: {error}",
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
    for record in calendar_records(raw, window=Window(start, end, start), where=where):
        if isinstance(record, InteractionRecord):
            found.append(record)
        else:
            bad.append(record)
    found.sort(key=lambda i: (i.occurred_at, i.source_id))
    unique = {i.source_id: i for i in reversed(found)}  # the earliest of a repeated id wins
    return sorted(unique.values(), key=lambda i: (i.occurred_at, i.source_id)), bad
