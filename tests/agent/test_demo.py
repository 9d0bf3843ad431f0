"""`touchbase demo` works with no account and no configuration, and surfaces the sample's cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from touchbase.agent.cli.main import main


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


def test_demo_ends_serving_the_review_page_with_its_drafts(tmp_path: Path) -> None:
    import os
    import re
    import signal
    import subprocess
    import sys
    import urllib.request

    from tests.conftest import REPO

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "touchbase.agent",
            "demo",
            "--folder",
            str(tmp_path / "demo"),
            "--port",
            "0",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            found = re.search(r"review page: (http://127\.0\.0\.1:\d+/)", line)
            if found:
                url = found.group(1)
                break
        assert url, "the demo did not print the review page's address"
        # Piped, the demo prints the address alone; the page opens with the install's token.
        from touchbase.agent.pipeline.config import Config
        from touchbase.agent.service import Service
        from touchbase.agent.web.security import access_token

        db = f"sqlite:///{tmp_path / 'demo' / 'demo.db'}"
        token = access_token(Service(Config(), db))
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        browser.open(f"{url}?token={token}", timeout=10).close()
        with browser.open(url, timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200 and "draft" in page.lower()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_the_demo_owes_warm_ties_and_moves_not_transactional_ones(tmp_path: Path) -> None:
    """Issue 11: in the sample, the quiet friend (a lunch) gets a check-in naming it, and the
    invoice tie and the colleague whose new address only a third party's mail shows are only
    tracked."""
    from datetime import UTC, datetime

    from touchbase.agent.demo.mailbox import write_sample
    from touchbase.agent.pipeline.config import Config, Me
    from touchbase.agent.service import Service

    now = datetime.now(UTC)
    info = write_sample(tmp_path / "sample", now=now)
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    unpaced = {"max_drafts_per_run": 1000, "max_drafts_per_day": 1000}
    config = Config(me=Me(addresses=(info.owner,)), policy=unpaced, database_url=db)
    assert main(["--db", db, "import", str(info.maildir), "--me", info.owner]) == 0
    evaluation = Service(config, db).people(now)
    decided = {d.address: d for d in evaluation.plan.decisions}
    friend = decided[info.quiet]
    assert friend.kind == "check-in" and friend.register == "warm"
    assert friend.topic is not None
    assert (friend.topic.kind, friend.topic.text) == ("social", "Lunch on Thursday")
    # The colleague's new address is only on a third party's mail (they never wrote from it,
    # the owner never wrote to it): not theirs for sure, so no draft goes there (QA, task H7).
    assert info.moved_to not in decided
    assert info.moved not in decided and info.transactional not in decided
    held = {evaluation.contacts[h.person].address: h for h in evaluation.plan.held}
    assert held[info.transactional].rule == "work-tie"
    assert held[info.moved].rule == "work-tie"
