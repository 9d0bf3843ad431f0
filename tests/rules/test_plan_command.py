"""`touchbase plan`: the rules wired to the store, as a dry run with stable JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from touchbase.agent.cli.main import EXIT_USER_ERROR, main
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import Draft
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import Flag, InteractionRecord, Kind, Page, Participant, Role

ME = "me@example.com"
T0 = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)


def message(n: int, when: datetime, sender: str, to: str, **kw: object) -> InteractionRecord:
    return InteractionRecord(
        source_id=str(n),
        kind=Kind.MAIL,
        occurred_at=when,
        participants=(
            Participant(sender, Role.FROM),
            Participant(to, Role.TO, name="Bob B" if to == "bob@example.com" else ""),
        ),
        message_id=f"<{n}@x>",
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 't.db'}"
    store = Store(open_database(url))
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    page = Page(
        [
            message(1, T0, ME, "bob@example.com", subject="proposal"),
            # Ann is a relationship: two exchanges each way, long ago, and a warm one (a lunch she
            # answered: the shipped policy owes check-ins to warm ties, issue 11).
            message(2, T0 - timedelta(days=300), ME, "ann@example.com", subject="Lunch Friday"),
            message(5, T0 - timedelta(days=299), "ann@example.com", ME, subject="Re: Lunch Friday"),
            message(6, T0 - timedelta(days=200), ME, "ann@example.com"),
            message(7, T0 - timedelta(days=199), "ann@example.com", ME),
            message(3, T0, "noreply@shop.example", ME, flags=frozenset({Flag.AUTOMATED})),
            message(4, T0 - timedelta(days=1), ME, "noreply@shop.example"),
        ],
        cursor="1",
    )
    store.save_page(account, run, page, T0)
    return url


def plan(db: str, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    config = Path(db.removeprefix("sqlite:///")).with_name("config.toml")
    config.write_text(f'[me]\naddresses = ["{ME}"]\n')
    assert main(["--config", str(config), "--db", db, "plan", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_plan_json_lists_decisions_with_reasons_and_due(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = plan(db, capsys, "--at", "2024-01-16T12:00:00+00:00")
    by_person = {row["person"]: row for row in rows}
    assert set(by_person) == {"bob@example.com", "ann@example.com"}  # never the machine
    bob = by_person["bob@example.com"]
    assert bob["kind"] == "follow-up" and bob["address"] == "bob@example.com"
    assert bob["due"] == "2024-01-15T09:00:00+00:00"
    assert any("2024-01-08" in reason for reason in bob["reasons"])  # type: ignore[attr-defined]
    assert by_person["ann@example.com"]["kind"] == "check-in"


def test_plan_is_a_dry_run_at_any_moment(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = plan(db, capsys, "--at", "2024-01-16T12:00:00+00:00")
    assert plan(db, capsys, "--at", "2024-01-16T12:00:00+00:00") == first  # nothing written
    earlier = plan(db, capsys, "--at", "2024-01-08T10:00:00+00:00")  # before bob is due
    assert [(r["person"], r["kind"]) for r in earlier] == [("ann@example.com", "check-in")]
    sessions = open_database(db)
    with sessions() as session:
        assert session.query(Draft).count() == 0


def test_plan_rejects_a_bad_time_with_advice(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", db, "plan", "--at", "next tuesday"]) == EXIT_USER_ERROR
    assert "ISO 8601" in capsys.readouterr().err
