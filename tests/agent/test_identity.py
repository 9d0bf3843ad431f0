"""Merges, merge suggestions and address books: one person, however many addresses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from touchbase.agent.cli.main import EXIT_USER_ERROR, main

NOW = datetime.now(UTC).replace(microsecond=0)


def write_mail(folder: Path, n: int, sender: str, to: str, days_ago: int) -> None:
    (folder / "cur").mkdir(parents=True, exist_ok=True)
    (folder / "new").mkdir(exist_ok=True)
    (folder / "tmp").mkdir(exist_ok=True)
    when = format_datetime(NOW - timedelta(days=days_ago))
    (folder / "cur" / f"{n}.eml:2,S").write_text(
        f"From: {sender}\nTo: {to}\nSubject: note {n}\nDate: {when}\n"
        f"Message-ID: <{n}@identity.test>\n\nbody\n"
    )


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    mail = tmp_path / "Maildir"
    write_mail(mail, 1, "Me <me@own.example>", "Jane Q. Smith <jane@work.example>", 40)
    write_mail(mail, 2, "Me <me@own.example>", "Jane Q. Smith <jane@home.example>", 10)
    write_mail(mail, 3, "Me <me@own.example>", "Bob <bob@x.example>", 5)
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}"]
    assert main([*db, "import", str(mail), "--me", "me@own.example"]) == 0
    capsys.readouterr()

    def run(*args: str) -> tuple[int, str]:
        code = main([*db, *args])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def people(cli) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    code, out = cli("people", "--json")
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def test_same_name_is_suggested_never_merged_silently(cli) -> None:  # type: ignore[no-untyped-def]
    assert len(people(cli)) == 3
    code, out = cli("people", "suggestions", "--json")
    assert code == 0
    offered = json.loads(out)
    assert [(o["address"], o["other"]) for o in offered] == [
        ("jane@home.example", "jane@work.example")
    ]
    assert "touchbase people merge" in offered[0]["command"]


def test_merge_makes_one_person_with_both_histories(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("people", "merge", "jane@work.example", "jane@home.example")[0] == 0
    rows = people(cli)
    jane = next(r for r in rows if "jane@work.example" in r["addresses"])  # type: ignore[operator]
    assert sorted(jane["addresses"]) == ["jane@home.example", "jane@work.example"]  # type: ignore[arg-type]
    assert jane["sent_count"] == 2
    assert len(rows) == 2
    assert json.loads(cli("people", "suggestions", "--json")[1]) == []


def test_keep_apart_stops_the_suggestion(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("people", "keep-apart", "jane@work.example", "jane@home.example")[0] == 0
    assert json.loads(cli("people", "suggestions", "--json")[1]) == []
    assert len(people(cli)) == 3


def test_merge_needs_two_different_addresses(cli) -> None:  # type: ignore[no-untyped-def]
    code, out = cli("people", "merge", "jane@work.example")
    assert code == EXIT_USER_ERROR and "two addresses" in out


def test_vcard_merges_addresses_and_brings_a_birthday(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    soon = (NOW + timedelta(days=2)).date()
    card = tmp_path / "book.vcf"
    card.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jane Q. Smith\r\nEMAIL:jane@work.example\r\n"
        f"EMAIL:jane@home.example\r\nBDAY:--{soon:%m%d}\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nobody\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Broken\r\nEMAIL:bob@x.example\r\nBDAY:soon\r\n"
        "END:VCARD\r\n"
    )
    code, out = cli("contacts", "import", str(card), "--json")
    result = json.loads(out)
    assert code == 0 and result["imported"] == 2
    assert {p["reason"] for p in result["problems"]} == {
        "no e-mail address",
        "unreadable date 'soon'",
    }
    rows = people(cli)
    assert len(rows) == 2
    jane = next(r for r in rows if "jane@work.example" in r["addresses"])  # type: ignore[operator]
    assert jane["name"] == "Jane Q. Smith"
    code, out = cli("person", "jane@work.example", "--json")
    assert json.loads(out)["sent_count"] == 2


def test_csv_address_book(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    book = tmp_path / "contacts.csv"
    book.write_text(
        "First Name,Last Name,E-mail Address,E-mail 2 Address,Birthday\n"
        "Bob,Builder,bob@x.example,bob@home.example,4/1/1980\n"
        "No,Mail,,,\n"
    )
    code, out = cli("contacts", "import", str(book), "--json")
    assert code == 0 and json.loads(out)["imported"] == 1
    code, out = cli("person", "bob@home.example", "--json")  # no mail to it, but it is Bob
    row = json.loads(out)
    assert sorted(row["addresses"]) == ["bob@home.example", "bob@x.example"]
    assert row["name"] == "Bob Builder"
