"""Hostile calendars through the real `touchbase import` under 1 GiB and 60 s (issue 13).

Each file is generated here, small, with one ordinary event beside the hostile part: the
ordinary event must be stored, the hostile part quarantined with a reason, and nothing else
lost. `CALENDARS` (name -> writer) is shared with bench/hostile.py, which times the same files
at full size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.hostile.conftest import RunImport
from touchbase.connectors.files.ics_limits import MAX_FILE_OCCURRENCES

NOW = datetime.now(UTC)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%SZ")


def event(uid: str, start: datetime, *extra: str, summary: str = "Meeting") -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(start + timedelta(minutes=30))}",
        f"SUMMARY:{summary}",
        "ORGANIZER;CN=Ann:mailto:ann@example.com",
        "ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com",
        *extra,
        "END:VEVENT",
    ]
    return "\r\n".join(lines) + "\r\n"


def calendar(*parts: str) -> str:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//touchbase hostile//EN\r\n"
    return head + "".join(parts) + "END:VCALENDAR\r\n"


PLAIN_START = (NOW - timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
PLAIN = event("plain@t", PLAIN_START, summary="Plain")


def every_second(path: Path, scale: int = 1) -> None:
    """438 bytes that used to run for ever: a series that repeats every second, without end."""
    start = NOW - timedelta(days=30)
    path.write_text(calendar(PLAIN, event("secondly@t", start, "RRULE:FREQ=SECONDLY")))


def every_minute(path: Path, scale: int = 1) -> None:
    start = NOW - timedelta(days=300)
    path.write_text(calendar(PLAIN, event("minutely@t", start, "RRULE:FREQ=MINUTELY;INTERVAL=1")))


EVIL_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Evil Zone\r\n"
    "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nRRULE:FREQ=MINUTELY\r\n"
    "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:19700101T000030\r\nRRULE:FREQ=MINUTELY\r\n"
    "TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nEND:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\n"
)


def zone_every_minute(path: Path, scale: int = 1) -> None:
    """A VTIMEZONE whose own rule is MINUTELY: every time in that zone used to hang."""
    local = (NOW - timedelta(days=2)).strftime("%Y%m%dT150000")
    zoned = event("zoned@t", NOW).replace(
        f"DTSTART:{_stamp(NOW)}", f"DTSTART;TZID=Evil Zone:{local}"
    )
    zoned = zoned.replace(f"DTEND:{_stamp(NOW + timedelta(minutes=30))}\r\n", "")
    path.write_text(calendar(EVIL_ZONE, PLAIN, zoned))


def endless_daily(path: Path, scale: int = 1) -> None:
    """2,000 daily series without end, all started long before the horizon."""
    start = (NOW - timedelta(days=6 * 365)).replace(minute=0, second=0, microsecond=0)
    series = [event(f"daily{i}@t", start, "RRULE:FREQ=DAILY") for i in range(2000)]
    path.write_text(calendar(PLAIN, *series))


def _plain_start(i: int) -> datetime:
    # Every three hours back past the horizon; never within 90 minutes of its edge, so that the
    # seconds between this clock and the import's do not matter.
    return NOW - timedelta(hours=3 * i, minutes=90)


def plain_events(path: Path, scale: int = 1) -> None:
    """Many plain events (5 MB here; bench/hostile.py writes 50 MB with scale=10)."""
    with path.open("w") as f:
        f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//touchbase hostile//EN\r\n")
        f.write(PLAIN)
        for i in range(19_000 * scale):
            start = _plain_start(i)
            f.write(event(f"e{i}@t", start, summary=f"Meeting {i} about the plan"))
        f.write("END:VCALENDAR\r\n")


def recent_events(path: Path, scale: int = 1) -> None:
    """Plain events that all fall inside the window: every one is stored (50 MB with scale=10)."""
    with path.open("w") as f:
        f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//touchbase hostile//EN\r\n")
        for i in range(19_000 * scale):
            start = NOW - timedelta(minutes=9 * i + 30)  # 3.3 years back at scale 10
            f.write(event(f"r{i}@t", start, summary=f"Meeting {i} about the plan"))
        f.write("END:VCALENDAR\r\n")


GARBAGE_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Bad Zone\r\n"
    "BEGIN:STANDARD\r\nDTSTART:garbage\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)


def garbage_zone(path: Path, scale: int = 1) -> None:
    """A VTIMEZONE with a garbage DTSTART: the whole calendar used to be 'does not parse'."""
    path.write_text(calendar(GARBAGE_ZONE, PLAIN, event("second@t", NOW - timedelta(days=1))))


CALENDARS: dict[str, Callable[..., None]] = {
    "every_second.ics": every_second,
    "every_minute.ics": every_minute,
    "zone_every_minute.ics": zone_every_minute,
    "endless_daily.ics": endless_daily,
    "plain_events.ics": plain_events,
    "recent_events.ics": recent_events,
    "garbage_zone.ics": garbage_zone,
}


@pytest.mark.parametrize("name", ["every_second.ics", "every_minute.ics"])
def test_a_series_repeating_every_second_or_minute_is_quarantined_and_the_rest_read(
    tmp_path: Path, run_import: RunImport, name: str
) -> None:
    path = tmp_path / name
    CALENDARS[name](path)
    outcome = run_import(path)
    assert outcome.returncode == 0
    assert outcome.source_ids == {"plain@t"}
    (uid, reason), *others = outcome.quarantined.items()
    assert not others and uid in ("secondly@t", "minutely@t")
    assert "repeats too often" in reason and name in reason and "not expanded" in reason


def test_a_time_zone_whose_rule_repeats_every_minute_is_quarantined_not_expanded(
    tmp_path: Path, run_import: RunImport
) -> None:
    path = tmp_path / "zone_every_minute.ics"
    zone_every_minute(path)
    outcome = run_import(path)
    assert outcome.returncode == 0
    assert outcome.source_ids == {"plain@t", "zoned@t"}
    (key, reason), *others = outcome.quarantined.items()
    assert not others and "Evil Zone" in key
    assert "FREQ=MINUTELY" in reason and "line 4" in reason


def test_a_time_zone_with_a_garbage_dtstart_loses_only_itself(
    tmp_path: Path, run_import: RunImport
) -> None:
    path = tmp_path / "garbage_zone.ics"
    garbage_zone(path)
    outcome = run_import(path)
    assert outcome.returncode == 0
    assert outcome.source_ids == {"plain@t", "second@t"}
    (key, reason), *others = outcome.quarantined.items()
    assert not others and "Bad Zone" in key
    assert "garbage_zone.ics, line 4" in reason and "does not parse" in reason


def test_two_thousand_endless_daily_series_stop_at_the_file_cap_and_name_the_rest(
    tmp_path: Path, run_import: RunImport
) -> None:
    path = tmp_path / "endless_daily.ics"
    endless_daily(path)
    outcome = run_import(path)
    assert outcome.returncode == 0
    expanded = {i.source_id.split("/")[0] for i in outcome.interactions} - {"plain@t"}
    assert "plain@t" in outcome.source_ids
    assert 0 < len(outcome.interactions) <= MAX_FILE_OCCURRENCES + 1
    # Every series is either expanded or quarantined with the cap as its reason: none lost.
    assert expanded | set(outcome.quarantined) == {f"daily{i}@t" for i in range(2000)}
    assert not expanded & set(outcome.quarantined)
    assert all("one calendar file may hold" in r for r in outcome.quarantined.values())
    # Expansion is bounded by the window: nothing before the horizon or after the look-ahead.
    firsts = min(i.occurred_at for i in outcome.interactions)
    assert firsts >= (NOW - timedelta(days=5 * 365 + 1)).strftime("%Y-%m-%d")


def test_a_large_file_of_plain_events_streams_in_time_and_memory(
    tmp_path: Path, run_import: RunImport
) -> None:
    path = tmp_path / "plain_events.ics"
    plain_events(path)
    outcome = run_import(path)
    assert outcome.returncode == 0 and outcome.quarantined == {}
    # One every three hours back over five years (the horizon) and no further.
    horizon = NOW - timedelta(days=5 * 365)
    inside = {f"e{i}@t" for i in range(19_000) if _plain_start(i) >= horizon}
    assert outcome.source_ids == inside | {"plain@t"}
    assert outcome.peak_kib < 1 << 20
