"""Hostile vCard files through the real `touchbase contacts import` under 1 GiB and 60 s (issue 13).

Every card is imported or reported with where and why; one broken card costs only itself.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.hostile import GIB
from touchbase.agent.pipeline.contacts_file import read_contacts

LIMIT_SECONDS = 60.0


def card(n: int, *extra: str, end: bool = True) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:Person {n}", f"EMAIL:p{n}@example.com", *extra]
    return "\r\n".join([*lines, *(["END:VCARD"] if end else [])]) + "\r\n"


def many_cards(path: Path, scale: int = 1) -> None:
    """100,000 (x scale) plain cards, each with a name, an address and a birthday."""
    with path.open("w") as f:
        for n in range(100_000 * scale):
            f.write(card(n, f"BDAY:1980-01-{n % 28 + 1:02d}"))


def unterminated_cards(path: Path, scale: int = 1) -> None:
    """Valid cards around two without END:VCARD: one followed by the next card, one cut off
    at the end of the file."""
    path.write_text(
        card(1) + card(2, end=False) + card(3) + "stray text\r\n" + card(4) + card(5, end=False)
    )


def import_contacts(path: Path, tmp_path: Path) -> tuple[dict[str, Any], sqlite3.Connection]:
    """`touchbase contacts import PATH --json` in a child under RLIMIT_AS 1 GiB and 60 s."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOUCHBASE_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_STATE_HOME=str(home / "state"))
    db = tmp_path / "touchbase.db"
    command = [sys.executable, "-m", "touchbase.agent", "--db", f"sqlite:///{db}"]

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))

    done = subprocess.run(
        [*command, "contacts", "import", str(path), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=LIMIT_SECONDS,
        preexec_fn=limit,  # setrlimit only: safe between fork and exec
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout), sqlite3.connect(db)


def test_a_hundred_thousand_vcards_import_within_a_minute_and_a_gigabyte(tmp_path: Path) -> None:
    path = tmp_path / "book.vcf"
    many_cards(path)
    result, db = import_contacts(path, tmp_path)
    assert result["imported"] == 100_000 and result["problems"] == []
    assert db.execute("SELECT count(*) FROM person_addresses").fetchone() == (100_000,)
    assert db.execute(
        "SELECT name, birthday FROM people JOIN person_addresses ON person_id = people.id "
        "WHERE address = 'p99999@example.com'"
    ).fetchone() == ("Person 99999", "1980-01-12")


def test_cards_without_end_are_reported_and_the_rest_imported(tmp_path: Path) -> None:
    path = tmp_path / "book.vcf"
    unterminated_cards(path)
    result, db = import_contacts(path, tmp_path)
    assert result["imported"] == 3
    names = {row[0] for row in db.execute("SELECT name FROM people")}
    assert names == {"Person 1", "Person 3", "Person 4"}
    problems = {(p["where"], p["reason"]) for p in result["problems"]}
    assert problems == {
        ("book.vcf card 2 (line 6)", "no END:VCARD before the next card; skipped"),
        ("book.vcf line 15", "text outside any card; skipped"),
        ("book.vcf card 5 (line 21)", "no END:VCARD before the end of the file; skipped"),
    }


def test_vcard_21_quoted_printable_folded_lines_groups_and_escapes(tmp_path: Path) -> None:
    path = tmp_path / "old.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BC=\r\nller\r\n"
        b'EMAIL;INTERNET;PREF:J@Example.COM\r\nitem1.EMAIL;TYPE="x:y":other@\r\n example.com\r\n'
        b"X-ANNIVERSARY:2015-06-01\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Doe\\, Jane\r\nEMAIL:jane@example.com\r\n"
        b"BDAY:--0412\r\nEND:VCARD\r\n"
    )
    book = read_contacts(path)
    assert book.problems == []
    first, second = book.entries
    assert first.name == "Jürgen Müller"
    assert first.addresses == ["j@example.com", "other@example.com"]
    assert str(first.work_anniversary) == "2015-06-01"
    assert second.name == "Doe, Jane" and second.birthday is not None
    assert (second.birthday.month, second.birthday.day) == (4, 12)


def test_cards_sharing_an_address_are_one_person_and_a_second_import_adds_nobody(
    tmp_path: Path,
) -> None:
    path = tmp_path / "book.vcf"
    path.write_text(
        card(1)
        + card(2, "EMAIL:p1@example.com")  # also p1's: the same person as card 1
        + card(3, "EMAIL:p4@example.com")
        + card(4)  # p4 again, named Person 4 now
    )
    for _ in range(2):
        result, db = import_contacts(path, tmp_path)
        assert result["imported"] == 4 and result["problems"] == []
        people: dict[int, set[str]] = {}
        for person, address in db.execute("SELECT person_id, address FROM person_addresses"):
            people.setdefault(person, set()).add(address)
        assert sorted(map(sorted, people.values())) == [
            ["p1@example.com", "p2@example.com"],
            ["p3@example.com", "p4@example.com"],
        ]
