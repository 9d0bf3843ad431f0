"""Hostile calendars through the real `touchbase import` under 1 GiB and 60 s (issue 13)."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.conftest import RunImport

PLAIN = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
    "BEGIN:VEVENT\r\nUID:plain@t\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20261120T100000Z\r\nDTEND:20261120T110000Z\r\nSUMMARY:Plain\r\n"
    "ORGANIZER:mailto:ann@example.com\r\nATTENDEE:mailto:bob@example.com\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_the_harness_imports_a_plain_calendar(tmp_path: Path, run_import: RunImport) -> None:
    path = tmp_path / "plain.ics"
    path.write_text(PLAIN)
    outcome = run_import(path)
    assert outcome.returncode == 0
    assert outcome.source_ids == {"plain@t"}
    assert outcome.stored == 1 and outcome.quarantined == {}
