"""`touchbase demo` works with no account and no configuration, and surfaces the sample's cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli import main


def test_demo_imports_the_sample_and_plans_drafts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert main(["demo", "--folder", str(folder), "--no-serve", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["synced"]["demo-mail"] > 1000 and out["synced"]["demo-calendar"] > 30
    plan = out["plan"]
    assert plan, "the demo proposed nothing"
    assert {d["kind"] for d in plan} <= {"thank-you", "follow-up", "congratulate", "check-in"}
    assert all(d["reasons"] and d["due"] for d in plan)
    assert "thank-you" in {d["kind"] for d in plan}
    assert (folder / "demo.db").exists() and (folder / "sample" / "calendar.ics").exists()
    # Running it again starts afresh rather than piling up.
    assert main(["demo", "--folder", str(folder), "--no-serve", "--json"]) == 0
