"""Introductions end to end through the CLI on a generated mailbox (issue 20).

Import, `introduce A B`, A's answer arrives in a second import, and `drafts create` drafts the
introduction To both in the thread, once however often it runs; refusals with their reasons;
suggestions between two organisations and none where the two already shared a thread. On
SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.agent.intro_world import ANNA, BEN, CARL, DANA, EVE, ME, NOW, mailbox, message
from touchbase.agent.cli.main import EXIT_USER_ERROR, main

AT = NOW.isoformat()


@pytest.fixture
def base(tmp_path: Path, db_url: str) -> list[str]:
    config = tmp_path / "config.toml"
    config.write_text(f'[me]\nname = "Olivia Owner"\naddresses = ["{ME}"]\n', encoding="utf-8")
    args = ["--config", str(config), "--db", db_url]
    assert main([*args, "import", str(mailbox(tmp_path / "mail"))]) == 0
    return args


def drafts(base: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict]:
    capsys.readouterr()
    assert main([*base, "drafts", "--all", "--json"]) == 0
    return list(json.loads(capsys.readouterr().out))


def test_double_opt_in_the_second_draft_comes_once_after_the_answer(
    base: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = "Ben runs the same kind of pilot"
    assert main([*base, "introduce", ANNA, BEN, "--at", AT, "--note", note, "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["state"] == "asked" and made["a"] == ANNA and made["b"] == BEN
    (ask,) = drafts(base, capsys)
    assert ask["kind"] == "introduce-ask" and ask["to"] == [ANNA] and ask["status"] == "pending"
    body = ask["body"]
    assert body.startswith("Hi Anna,")
    assert "Ben Baker" in body and "Globex" in body and note in body
    assert "months" in body  # how long the owner has known Ben
    assert "Storage pilot sites" in body  # a topic of a recent thread with Ben, passing hygiene
    assert "Re:" not in ask["subject"] and ask["subject"]
    assert any("your note" in r for r in ask["reasons"])
    # The person's trace says so, with the reasons.
    assert main([*base, "person", ANNA, "--json"]) == 0
    (traced,) = json.loads(capsys.readouterr().out)["introductions"]
    assert traced["state"] == "asked" and traced["b"] == BEN
    assert any("Globex" in r for r in traced["reasons"])

    # Nothing answered yet: planning again makes no introduction.
    assert main([*base, "drafts", "create", "--at", AT]) == 0
    assert not [d for d in drafts(base, capsys) if d["kind"] == "introduce"]

    # Anna answers the ask (a message from her that is not an answer changes nothing).
    later = tmp_path / "later"
    message(
        later,
        "other.eml",
        ANNA,
        [ME],
        "Grid tariffs for the pilot",
        datetime(2024, 2, 2, 8, tzinfo=UTC),
        "<anna.other@acme.example>",
    )
    message(
        later,
        "yes.eml",
        ANNA,
        [ME],
        f"Re: {ask['subject']}",
        datetime(2024, 2, 2, 10, tzinfo=UTC),
        "<anna.yes@acme.example>",
        in_reply_to=ask["message_id"],
    )
    assert main([*base, "import", str(later)]) == 0
    for hour in (9, 10, 11):
        assert main([*base, "drafts", "create", "--at", f"2024-02-03T{hour:02}:00:00+00:00"]) == 0
    intro = [d for d in drafts(base, capsys) if d["kind"] == "introduce"]
    assert len(intro) == 1, intro
    (intro_draft,) = intro
    assert intro_draft["to"] == [ANNA, BEN]
    assert intro_draft["in_reply_to"] == "<anna.yes@acme.example>"
    assert intro_draft["subject"] == f"Re: {ask['subject']}"
    assert intro_draft["body"].startswith("Hi Anna, hi Ben,") or intro_draft["body"].startswith(
        "Hi Anna and Ben,"
    )
    assert intro_draft["status"] == "pending"  # waits for review: nothing is sent
    assert main([*base, "introduce", ANNA, BEN]) == EXIT_USER_ERROR
    assert "already made (accepted)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        (ME, BEN, "is your own address"),
        ("nobody@nowhere.example", BEN, "not an address touchbase knows"),
        (ANNA, EVE, "was never a relationship"),
        (ANNA, ANNA, "the same person"),
        ("not an address", BEN, "not an email address"),
    ],
)
def test_refused_with_a_reason(
    base: list[str], capsys: pytest.CaptureFixture[str], a: str, b: str, why: str
) -> None:
    capsys.readouterr()
    assert main([*base, "introduce", a, b, "--at", AT]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert why in err and "Traceback" not in err
    assert drafts(base, capsys) == []


def test_a_rejected_ask_is_declined_and_not_made_again(
    base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*base, "introduce", ANNA, BEN, "--at", AT]) == 0
    (ask,) = drafts(base, capsys)
    assert main([*base, "drafts", "reject", str(ask["id"])]) == 0
    assert main([*base, "drafts", "create", "--at", AT]) == 0
    capsys.readouterr()
    assert main([*base, "introduce", BEN, ANNA, "--at", AT]) == EXIT_USER_ERROR
    assert "was declined" in capsys.readouterr().err


def test_suggestions_between_organisations_paced_dismissed_and_accepted(
    base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main([*base, "introductions", "--at", AT, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    (first,) = found["suggestions"]  # one a week
    assert {first["a"], first["b"]} == {ANNA, BEN}
    assert any("different organisations" in r for r in first["reasons"])
    assert any('"pilot"' in r and '"storage"' in r for r in first["reasons"])
    pairs = [{w["a"], w["b"]} for w in found["waiting"]] + [{first["a"], first["b"]}]
    assert {ANNA, CARL} not in pairs  # they shared a thread (Anna on Cc)
    assert {ANNA, DANA} not in pairs  # one organisation
    assert not any(EVE in p for p in pairs)  # not a relationship
    assert "next is due" in found["pacing"]
    # A week later the next one comes; dismissing one remembers it.
    assert main([*base, "introductions", "dismiss", str(first["id"])]) == 0
    assert "not suggested again" in capsys.readouterr().out
    assert main([*base, "introductions", "--at", "2024-02-09T09:00:00+00:00", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [s for s in again["suggestions"] if {s["a"], s["b"]} == {ANNA, BEN}] == []
    (second,) = again["suggestions"]
    assert main([*base, "introductions", "accept", str(second["id"]), "--at", AT]) == 0
    (ask,) = drafts(base, capsys)
    assert ask["kind"] == "introduce-ask" and ask["to"] == [second["a"]]


def _bare_replies(folder: Path, *recipients: list[str]) -> Path:
    """Messages from the owner with the subject "Re:" and no In-Reply-To: replies to no thread
    touchbase can name (no thread key), one per list of recipients."""
    for n, to in enumerate(recipients):
        at = datetime(2024, 1, 20 + n, 9, 0, tzinfo=UTC)
        message(folder, f"bare-{n}.eml", ME, to, "Re:", at, f"<bare.{n}@owner.example>")
    return folder


def test_replies_to_no_known_thread_are_not_one_thread(
    base: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Anna on one, Ben on another: they were never on a thread together.
    assert main([*base, "import", str(_bare_replies(tmp_path / "more", [ANNA], [BEN]))]) == 0
    capsys.readouterr()
    assert main([*base, "introductions", "--at", AT, "--json"]) == 0
    (first,) = json.loads(capsys.readouterr().out)["suggestions"]
    assert {first["a"], first["b"]} == {ANNA, BEN}


def test_two_on_a_reply_to_no_known_thread_were_together(
    base: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*base, "import", str(_bare_replies(tmp_path / "more", [ANNA, BEN]))]) == 0
    capsys.readouterr()
    assert main([*base, "introductions", "--at", AT, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    pairs = [{s["a"], s["b"]} for s in found["suggestions"] + found["waiting"]]
    assert {ANNA, BEN} not in pairs
