"""`touchbase drafts`: JSON contract, approve into the outbox folder, reject, snooze, edit."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import platformdirs
import pytest

from tests.agent.draftfixtures import make_drafts, request
from touchbase.agent.cli.main import EXIT_USER_ERROR, main
from touchbase.agent.pipeline.db import open_database


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, dict[str, int]]:
    url = f"sqlite:///{tmp_path / 't.db'}"
    sessions = open_database(url)
    ids = make_drafts(sessions, [request(), request(address="bob@example.com", name="Bob")])
    config = tmp_path / "config.toml"
    config.write_text('[me]\nname = "Olivia"\naddresses = ["olivia@owner.example"]\n')
    return url, {"jane": ids[0], "bob": ids[1], "config": str(config)}  # type: ignore[dict-item]


def _run(db: tuple[str, dict], *args: str) -> int:
    return main(["--config", db[1]["config"], "--db", db[0], *args])


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_drafts_json_lists_the_open_drafts(db: tuple, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(db, "drafts", "--json") == 0
    drafts = _json(capsys)
    assert isinstance(drafts, list) and len(drafts) == 2
    for draft in drafts:
        assert {"id", "kind", "to", "subject", "body", "status", "reasons"} <= set(draft)
        assert draft["status"] == "pending" and draft["kind"] == "check-in"
        assert isinstance(draft["to"], list) and isinstance(draft["reasons"], list)
    assert sorted(d["to"][0] for d in drafts) == ["bob@example.com", "jane@example.com"]


def test_approve_writes_an_eml_into_the_outbox_folder_once(
    db: tuple, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    jane = db[1]["jane"]
    assert _run(db, "drafts", "approve", str(jane)) == 0
    capsys.readouterr()
    assert _run(db, "drafts", "show", str(jane), "--json") == 0
    shown = _json(capsys)
    assert isinstance(shown, dict) and shown["status"] == "pushed"
    files = list((Path(platformdirs.user_data_dir("touchbase")) / "outbox").glob("*.eml"))
    assert (
        len(files) == 1 and b'To: "Dr. Jane Q. Smith" <jane@example.com>' in files[0].read_bytes()
    )
    assert _run(db, "drafts", "approve", str(jane)) == EXIT_USER_ERROR  # already pushed
    assert len(list(files[0].parent.glob("*.eml"))) == 1


def test_reject_snooze_and_bad_ids(db: tuple, capsys: pytest.CaptureFixture[str]) -> None:
    bob, jane = db[1]["bob"], db[1]["jane"]
    assert _run(db, "drafts", "reject", str(bob), "--reason", "met yesterday") == 0
    assert _run(db, "drafts", "snooze", str(jane), "--days", "7") == 0
    capsys.readouterr()
    assert _run(db, "drafts", "--json", "--all") == 0
    by_id = {d["id"]: d for d in _json(capsys)}  # type: ignore[union-attr]
    assert by_id[bob]["status"] == "rejected" and by_id[bob]["status_reason"] == "met yesterday"
    assert by_id[jane]["status"] == "snoozed" and by_id[jane]["snoozed_until"]
    assert _run(db, "drafts", "approve", "nope") == EXIT_USER_ERROR
    assert _run(db, "drafts", "show", "999") == EXIT_USER_ERROR


def test_edit_in_the_editor_keeps_the_owners_words(
    db: tuple, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text('Subject: Lunch?\\n\\nHi Jane, lunch on Friday?\\n')\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    jane = db[1]["jane"]
    assert _run(db, "drafts", "edit", str(jane)) == 0
    capsys.readouterr()
    assert _run(db, "drafts", "show", str(jane), "--json") == 0
    shown = _json(capsys)
    assert isinstance(shown, dict)
    assert (shown["subject"], shown["body"], shown["edited"]) == (
        "Lunch?",
        "Hi Jane, lunch on Friday?\n",
        True,
    )


def test_create_turns_decisions_into_pending_drafts_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.agent.draftfixtures import NOW, history, store_interactions

    url = f"sqlite:///{tmp_path / 't.db'}"
    store_interactions(open_database(url), history("jane@example.com", months=12))
    config = tmp_path / "config.toml"
    config.write_text('[me]\nname = "Olivia"\naddresses = ["olivia@owner.example"]\n')
    at = (NOW + timedelta(days=200)).isoformat()
    args = ["--config", str(config), "--db", url, "drafts", "create", "--at", at, "--json"]
    assert main(args) == 0
    made = json.loads(capsys.readouterr().out)
    assert [(d["kind"], d["to"], d["status"]) for d in made] == [
        ("check-in", ["jane@example.com"], "pending")
    ]
    assert made[0]["reasons"] and made[0]["body"].startswith(("Hi", "Hello"))
    assert main(args) == 0  # one open draft per person: nothing new
    assert json.loads(capsys.readouterr().out) == []
