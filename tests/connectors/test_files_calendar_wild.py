"""Calendars as other programs write them (issue 14: 14.1-14.4), generated here, small.

Connector-level shapes go through FileSource; the same event in two files goes through the real
`touchbase import` into SQLite (tests/hostile.run_import), since "one meeting" is what the store
ends up holding, across pulls and after a restart.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contract import drain, interactions
from tests.hostile import run_import
from touchbase.agent.cli.main import main
from touchbase.connectors.base import InteractionRecord, Page, Quarantined
from touchbase.connectors.files import ics_records
from touchbase.connectors.files.ics_fast import read_plain
from touchbase.connectors.files.source import FileSource

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//wild//EN\r\n"
TAIL = "END:VCALENDAR\r\n"


def vevent(uid: str, start: str, *extra: str, summary: str = "Sync") -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTART:{start}", f"SUMMARY:{summary}", *extra]
    return "\r\n".join([*lines, "ATTENDEE:mailto:bob@example.com", "END:VEVENT"]) + "\r\n"


def pull(path: Path) -> tuple[list[InteractionRecord], list[Quarantined]]:
    pages: list[Page]
    pages, _ = drain(FileSource(path, now=NOW, horizon=timedelta(days=365)), None)
    return interactions(pages), [q for p in pages for q in p.quarantined]


# -- 14.1: every calendar object in a file --------------------------------------------------


def test_every_vcalendar_of_a_concatenated_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "joined.ics"
    first = HEAD + vevent("a@w", "20260510T100000Z") + TAIL
    second = HEAD + vevent("b@w", "20260511T100000Z") + TAIL
    path.write_text(first + second + HEAD + vevent("c@w", "20260512T100000Z") + TAIL)
    found, bad = pull(path)
    assert {i.source_id for i in found} == {"a@w", "b@w", "c@w"} and bad == []


def test_components_after_end_vcalendar_and_outside_any_are_read(tmp_path: Path) -> None:
    path = tmp_path / "stray.ics"
    path.write_text(
        vevent("before@w", "20260509T100000Z")  # before any VCALENDAR
        + HEAD
        + vevent("inside@w", "20260510T100000Z")
        + TAIL
        + vevent("after@w", "20260511T100000Z")  # after END:VCALENDAR
    )
    found, bad = pull(path)
    assert {i.source_id for i in found} == {"before@w", "inside@w", "after@w"} and bad == []


def test_an_unterminated_event_is_quarantined_with_its_line_and_the_rest_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cut.ics"
    broken = vevent("cut@w", "20260510T100000Z").replace("END:VEVENT\r\n", "")
    path.write_text(HEAD + broken + vevent("ok@w", "20260511T100000Z") + TAIL)
    found, bad = pull(path)
    assert [i.source_id for i in found] == ["ok@w"]
    assert [q.source_id for q in bad] == ["cut@w"]
    assert "cut.ics, line 4" in bad[0].reason and "no END:VEVENT" in bad[0].reason


def test_a_method_cancel_calendar_after_another_cancels_only_its_own_events(
    tmp_path: Path,
) -> None:
    path = tmp_path / "itip.ics"
    cancel = HEAD + "METHOD:CANCEL\r\n" + vevent("gone@w", "20260511T100000Z") + TAIL
    path.write_text(HEAD + vevent("kept@w", "20260510T100000Z") + TAIL + cancel)
    found, _ = pull(path)
    cancelled = {i.source_id: "cancelled" in {f.value for f in i.flags} for i in found}
    assert cancelled == {"kept@w": False, "gone@w": True}


def test_an_empty_or_todo_only_calendar_is_no_error_and_garbage_is_quarantined(
    tmp_path: Path,
) -> None:
    (tmp_path / "empty.ics").write_text(HEAD + TAIL)
    todo = "BEGIN:VTODO\r\nUID:t@w\r\nSUMMARY:Buy milk\r\nEND:VTODO\r\n"
    (tmp_path / "todo.ics").write_text(HEAD + todo + TAIL)
    assert pull(tmp_path / "empty.ics") == ([], [])
    assert pull(tmp_path / "todo.ics") == ([], [])
    (tmp_path / "junk.ics").write_bytes(b"\x00\x01 this is not iCalendar\n")
    found, bad = pull(tmp_path / "junk.ics")
    assert found == [] and len(bad) == 1 and "not a calendar" in bad[0].reason


# -- 14.2: RANGE=THISANDFUTURE ---------------------------------------------------------------


def test_this_and_future_keeps_one_id_per_occurrence_from_its_own_original_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "range.ics"
    series = vevent("s@w", "20260501T100000Z", "RRULE:FREQ=DAILY;COUNT=10", summary="Old")
    moved = vevent(
        "s@w",
        "20260505T120000Z",
        "RECURRENCE-ID;RANGE=THISANDFUTURE:20260505T100000Z",
        summary="Moved",
    )
    path.write_text(HEAD + series + moved + TAIL)
    found, bad = pull(path)
    assert bad == [] and len(found) == 10
    ids = [i.source_id for i in found]
    assert ids == [f"s@w/2026-05-{d:02d}T10:00:00+00:00" for d in range(1, 11)]
    later = [i for i in found if i.occurred_at >= datetime(2026, 5, 5, tzinfo=UTC)]
    assert {i.subject for i in later} == {"Moved"}
    assert all(i.occurred_at.hour == 12 for i in later)


# -- 14.3: one bad value, RSCALE ---------------------------------------------------------------


def test_one_bad_rdate_or_an_empty_exdate_drops_that_value_not_the_series(
    tmp_path: Path,
) -> None:
    path = tmp_path / "birthday.ics"
    birthday = vevent(
        "bday@w",
        "20200510",
        "RRULE:FREQ=YEARLY",
        "RDATE;VALUE=DATE:20250901,20131210Z",
        "EXDATE:",
        summary="Birthday",
    ).replace("DTSTART:20200510", "DTSTART;VALUE=DATE:20200510")
    path.write_text(HEAD + birthday + TAIL)
    found, bad = pull(path)
    assert [i.occurred_at.date().isoformat() for i in found] == ["2025-09-01", "2026-05-10"]
    reasons = sorted(q.reason for q in bad)
    assert len(reasons) == 2
    assert "EXDATE value ''" in reasons[0] and "RDATE value '20131210Z'" in reasons[1]
    assert all("the rest of the series is read" in r for r in reasons)


def test_rscale_gregorian_is_plain_and_other_scales_are_quarantined_naming_rfc_7529(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rscale.ics"
    gregorian = vevent("g@w", "20260101T090000Z", "RRULE:RSCALE=GREGORIAN;FREQ=MONTHLY")
    hebrew = vevent("h@w", "20260101T090000Z", "RRULE:RSCALE=HEBREW;FREQ=YEARLY")
    path.write_text(HEAD + gregorian + hebrew + TAIL)
    found, bad = pull(path)
    assert [i.occurred_at.month for i in found] == [1, 2, 3, 4, 5, 6]  # 14 days ahead
    assert {i.thread_id for i in found} == {"g@w"}
    assert [q.source_id for q in bad] == ["h@w"]
    assert "RFC 7529" in bad[0].reason and "RSCALE=HEBREW" in bad[0].reason


# -- 14.4: one event in two files -------------------------------------------------------------


def _copy(summary: str, *version: str, rid: str = "") -> str:
    start = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y%m%dT100000Z")
    extra = [*version, *([f"RECURRENCE-ID:{rid}"] if rid else [])]
    return HEAD + vevent("same@w", start, *extra, summary=summary) + TAIL


def _meetings(outcome_db: Path, folder: Path) -> dict[str, str | None]:
    outcome = run_import(folder, db=outcome_db)
    assert outcome.returncode == 0
    return {i.source_id: i.subject for i in outcome.interactions}


def test_the_newest_copy_stands_when_its_file_is_read_first(tmp_path: Path) -> None:
    folder = tmp_path / "cal"
    folder.mkdir()
    (folder / "1.ics").write_text(_copy("Edited", "SEQUENCE:2"))
    (folder / "2.ics").write_text(_copy("Original", "SEQUENCE:1"))
    assert _meetings(tmp_path / "t.db", folder) == {"same@w": "Edited"}


def test_an_older_copy_added_later_does_not_undo_the_newer_one_after_a_restart(
    tmp_path: Path,
) -> None:
    folder, db = tmp_path / "cal", tmp_path / "t.db"
    folder.mkdir()
    (folder / "b.ics").write_text(_copy("Edited", "SEQUENCE:3"))
    assert _meetings(db, folder) == {"same@w": "Edited"}
    (folder / "a.ics").write_text(_copy("Original", "SEQUENCE:1"))  # a new process, same db
    assert _meetings(db, folder) == {"same@w": "Edited"}
    (folder / "c.ics").write_text(_copy("Rescheduled", "SEQUENCE:4"))
    assert _meetings(db, folder) == {"same@w": "Rescheduled"}


def test_with_equal_sequence_the_later_last_modified_then_dtstamp_stands(tmp_path: Path) -> None:
    folder = tmp_path / "cal"
    folder.mkdir()
    (folder / "1.ics").write_text(_copy("Later", "LAST-MODIFIED:20260301T000000Z"))
    (folder / "2.ics").write_text(_copy("Earlier", "LAST-MODIFIED:20260201T000000Z"))
    (folder / "3.ics").write_text(_copy("Stamped", "DTSTAMP:20260101T000000Z"))
    assert _meetings(tmp_path / "t.db", folder) == {"same@w": "Later"}
    (folder / "4.ics").write_text(_copy("Restamped", "DTSTAMP:20260401T000000Z"))
    assert _meetings(tmp_path / "t.db", folder) == {"same@w": "Restamped"}


def _moved(days_ago: int, summary: str, version: str) -> str:
    start = datetime.now(UTC) - timedelta(days=days_ago)
    own = ("ORGANIZER:mailto:me@example.org", version)
    return HEAD + vevent("moved@w", start.strftime("%Y%m%dT100000Z"), *own, summary=summary) + TAIL


@pytest.mark.parametrize("newer_first", [True, False], ids=["newer-first", "older-first"])
@pytest.mark.parametrize(
    "versions",
    [
        ("SEQUENCE:2", "SEQUENCE:1"),
        ("LAST-MODIFIED:20260301T000000Z", "LAST-MODIFIED:20260201T000000Z"),
        ("DTSTAMP:20260401T000000Z", "DTSTAMP:20260101T000000Z"),
    ],
    ids=["sequence", "last-modified", "dtstamp"],
)
def test_one_event_imported_from_two_files_into_two_accounts_is_one_meeting(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    newer_first: bool,
    versions: tuple[str, str],
) -> None:
    """QA's case: `touchbase import seqB.ics`, then `import seqA.ics` (two accounts), one UID at
    two times. One meeting, at the newer version's time, in either order, and importing the
    older file again (unchanged, or touched) does not bring its copy back; forgetting the newer
    one's account does."""
    newer, older = tmp_path / "seqB.ics", tmp_path / "seqA.ics"
    newer.write_text(_moved(3, "Moved", versions[0]))
    older.write_text(_moved(8, "Original", versions[1]))
    db = tmp_path / "t.db"
    order = [newer, older] if newer_first else [older, newer]
    for path in [*order, older]:
        assert run_import(path, "--me", "me@example.org", db=db).returncode == 0
        older.write_text(older.read_text() + "\r\n")  # read again whole next time
    assert main(["--db", f"sqlite:///{db}", "people", "--json"]) == 0
    people = json.loads(capsys.readouterr().out)
    (bob,) = [p for p in people if "bob@example.com" in p["addresses"]]
    assert bob["meeting_count"] == 1
    moved = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    assert bob["last_met"].startswith(moved)
    # Forgetting the account of the newer copy lets the older one stand again: nothing lost.
    assert main(["--db", f"sqlite:///{db}", "accounts", "forget", f"import:{newer}", "--yes"]) == 0
    capsys.readouterr()
    assert main(["--db", f"sqlite:///{db}", "people", "--json"]) == 0
    (bob,) = [p for p in json.loads(capsys.readouterr().out) if "bob@example.com" in p["addresses"]]
    assert bob["meeting_count"] == 1
    assert bob["last_met"].startswith((datetime.now(UTC) - timedelta(days=8)).date().isoformat())


# -- the fast reading of plain events agrees with icalendar -----------------------------------

_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\n"), max_size=30
)
_WHEN = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1))


@st.composite
def _plain_events(draw: st.DrawFn) -> bytes:
    start = draw(_WHEN)
    form = draw(st.sampled_from(["utc", "floating", "date"]))
    if form == "date":
        when = f"DTSTART;VALUE=DATE:{start:%Y%m%d}"
    else:
        when = f"DTSTART:{start:%Y%m%dT%H%M%S}" + ("Z" if form == "utc" else "")
    lines = ["BEGIN:VEVENT", "UID:p@w", when]
    ending = draw(st.sampled_from(["none", "dtend", "duration"]))
    if ending == "dtend":
        end = start + timedelta(hours=1)
        if form == "date":
            lines.append(f"DTEND;VALUE=DATE:{end:%Y%m%d}")
        else:
            lines.append(f"DTEND:{end:%Y%m%dT%H%M%S}" + ("Z" if form == "utc" else ""))
    elif ending == "duration":
        lines.append(draw(st.sampled_from(["DURATION:PT45M", "DURATION:P1D", "DURATION:PT1H30M"])))
    summary = draw(_TEXT)
    escaped = summary.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    lines.append(f"SUMMARY:{draw(st.sampled_from([escaped, summary]))}")
    lines.append(draw(st.sampled_from(["STATUS:CONFIRMED", "STATUS:CANCELLED", ""])))
    for i in range(draw(st.integers(0, 3))):
        name = draw(_TEXT).replace('"', "")
        cn = draw(st.sampled_from([f'CN="{name}"', f"CN={name}", ""]))
        partstat = draw(st.sampled_from(["PARTSTAT=ACCEPTED", "PARTSTAT=declined", "ROLE=CHAIR"]))
        params = "".join(f";{p}" for p in (cn, partstat) if p and "=" in p)
        prop = draw(st.sampled_from(["ATTENDEE", "ORGANIZER" if i == 0 else "ATTENDEE"]))
        lines.append(f"{prop}{params}:mailto:p{i}@example.com")
    lines.append("END:VEVENT")
    return ("\r\n".join(line for line in lines if line) + "\r\n").encode()


@settings(max_examples=300, deadline=None)
@given(_plain_events())
def test_the_fast_reading_of_a_plain_event_agrees_with_icalendar(raw: bytes) -> None:
    plain = read_plain(raw)
    try:
        event = icalendar.Event.from_ical(raw)
        expected = ics_records.occurrence(event, "p@w", "p@w", False)
    except Exception:
        assert plain is None  # what icalendar refuses, the fast reading must not accept
        return
    if plain is None:
        return  # left to icalendar: always allowed
    assert ics_records.record(plain, "p@w", "p@w", False) == expected
