"""Issue 11 through the command line: `touchbase person` says how a tie reads and why no
check-in is owed, and `people --due` leaves out a work tie the plan holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.agent.test_life_events_bounces import _MONTHS, ME, _cli, _mail, _tree

DANA = "dana.whitfield@atlas.example"


def _invoices(root: Path) -> None:
    """Monthly invoices from Dana, each approved: many exchanges, nothing personal."""
    for m in range(1, 13):
        day = f"Mon, 2 {_MONTHS[m - 1]} 2023"
        (root / "inbox" / "cur" / f"{m:02}.in").write_bytes(
            _mail(f"{day} 09:00:00 +0000", DANA, ME, f"Invoice {4400 + m}", f"i{m}@x", "Dana W")
        )
        (root / "sent" / "cur" / f"{m:02}.out").write_bytes(
            _mail(f"{day} 11:00:00 +0000", ME, DANA, f"Re: Invoice {4400 + m}", f"o{m}@x")
        )


def test_person_says_a_work_tie_is_tracked_not_nagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "mail"
    _tree(root)
    _invoices(root)
    assert _cli(tmp_path, "import", str(root), "--me", ME) == 0
    capsys.readouterr()
    at = ("--at", "2024-06-01T12:00:00+00:00")
    assert _cli(tmp_path, "person", DANA, *at) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "a work tie: only working mail" in out
    assert "no check-in (work-tie)" in out and "checkin_ties" in out
    assert _cli(tmp_path, "people", "--due", "--json", *at) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert _cli(tmp_path, "drafts", "create", "--json", *at) == 0
    assert json.loads(capsys.readouterr().out) == []
