"""Drafts and people as a person at the keyboard meets them (issue 17 items 3-5, issue 13.8).

Approving on a files-only setup names the .eml's path; To: never repeats an address as a name;
`person` takes a name; `drafts edit` picks an editor the Debian way, says which, and fails
cleanly (no terminal, non-UTF-8 bytes); a snooze is at least a day.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import platformdirs
import pytest

from tests.agent.draftfixtures import ME, NOW, history, make_drafts, request, store_interactions
from tests.agent.test_cli_conventions import TOUCHBASE, env_for
from touchbase.agent.cli.main import EXIT_USER_ERROR, main
from touchbase.agent.pipeline.db import open_database
from touchbase.connectors.base import InteractionRecord, Participant


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path / 't.db'}"
    sessions = open_database(url)
    ids = make_drafts(
        sessions,
        [request(), request(address="keith.holst@enron.com", name="keith.holst@enron.com")],
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[me]\nname = "Olivia"\naddresses = ["{ME.addresses[0]}"]\n')
    return ["--config", str(config), "--db", url, *map(str, ids)]


def test_approve_on_files_only_names_the_file_and_how_to_open_it(
    db: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    base, (jane, keith) = db[:4], db[4:]
    assert main([*base, "drafts", "approve", jane, keith]) == 0
    out = capsys.readouterr().out
    outbox = Path(platformdirs.user_data_dir("touchbase")) / "outbox"
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    for path in files:
        assert f"is saved as {path}" in out
        assert f"xdg-open {path}" in out
    assert "Drafts folder (" not in out
    to_lines = [
        line for path in files for line in path.read_bytes().splitlines() if line.startswith(b"To:")
    ]
    assert b"To: keith.holst@enron.com" in to_lines  # not "keith.holst@enron.com" <keith...>
    assert b'To: "Dr. Jane Q. Smith" <jane@example.com>' in to_lines


def test_a_snooze_is_at_least_a_day(db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    base, jane = db[:4], db[4]
    assert main([*base, "drafts", "snooze", jane, "--days", "0.0000001"]) == EXIT_USER_ERROR
    assert "between 1 and 3650" in capsys.readouterr().err
    assert main([*base, "drafts", "snooze", jane, "--days", "1"]) == 0


# --- editors ---------------------------------------------------------------------------------


def fake_editor(folder: Path, name: str, text: bytes) -> Path:
    """An editor program called `name` that replaces the file with `text`, noting its name."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"open(sys.argv[-1], 'wb').write({text!r})\n"
        f"open({str(folder / 'ran')!r}, 'a').write({name!r} + '\\n')\n"
    )
    path.chmod(0o755)
    return path


def test_visual_wins_over_editor_and_is_named(
    db: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bin_ = tmp_path / "bin"
    visual = fake_editor(bin_, "visual-ed", b"Subject: From visual\n\nHi Jane")
    plain = fake_editor(bin_, "plain-ed", b"Subject: From editor\n\nHi Jane")
    monkeypatch.setenv("VISUAL", str(visual))
    monkeypatch.setenv("EDITOR", str(plain))
    assert main([*db[:4], "drafts", "edit", db[4]]) == 0
    assert f"with `{visual}` (from $VISUAL)" in capsys.readouterr().err
    assert (bin_ / "ran").read_text() == "visual-ed\n"


def test_an_editor_writing_latin1_bytes_is_a_clear_error(
    db: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    editor = fake_editor(tmp_path / "bin", "ed85", b"Subject: Caf\x85\n\nHi")
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    assert main([*db[:4], "drafts", "edit", db[4]]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "not UTF-8 text (byte 0x85 at offset 12); nothing changed" in err


def test_without_visual_or_editor_and_no_terminal_nothing_is_started(
    db: list[str], tmp_path: Path
) -> None:
    fake_editor(tmp_path / "bin", "nano", b"Subject: x\n\ny")
    env = env_for(tmp_path, PATH=f"{tmp_path / 'bin'}:/usr/bin:/bin")
    env.pop("VISUAL", None)
    env.pop("EDITOR", None)
    done = subprocess.run(
        [TOUCHBASE, *db[:4], "drafts", "edit", db[4]],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == EXIT_USER_ERROR
    assert "needs a terminal, or an editor named in VISUAL or EDITOR" in done.stderr
    assert not (tmp_path / "bin" / "ran").exists()


@pytest.mark.parametrize(
    ("installed", "chosen"),
    [(("nano", "vi"), "nano"), (("editor", "nano", "vi"), "editor"), (("vi",), "vi"), ((), None)],
)
def test_on_a_terminal_the_debian_order_is_followed(
    db: list[str], tmp_path: Path, installed: tuple[str, ...], chosen: str | None
) -> None:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for name in installed:
        fake_editor(bin_, name, b"Subject: Edited\n\nHi")
    env = env_for(tmp_path, PATH=str(bin_))
    env.pop("VISUAL", None)
    env.pop("EDITOR", None)
    primary, secondary = pty.openpty()
    try:
        done = subprocess.run(
            [TOUCHBASE, *db[:4], "drafts", "edit", db[4]],
            stdin=secondary,
            stdout=secondary,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
        )
    finally:
        os.close(secondary)
        os.close(primary)
    err = done.stderr.decode()
    if chosen is None:
        assert done.returncode == EXIT_USER_ERROR
        assert "no editor found" in err and "EDITOR=nano" in err
        return
    assert done.returncode == 0, err
    assert f"with `{chosen}` (VISUAL and EDITOR are not set)" in err
    assert (bin_ / "ran").read_text() == f"{chosen}\n"


# --- people by name ----------------------------------------------------------------------------


def named(records: list[InteractionRecord], address: str, name: str) -> list[InteractionRecord]:
    return [
        InteractionRecord(
            source_id=f"{address}:{r.source_id}",
            kind=r.kind,
            occurred_at=r.occurred_at,
            ended_at=r.ended_at,
            participants=tuple(
                Participant(p.address, p.role, name if p.address == address else "")
                for p in r.participants
            ),
            subject=r.subject,
            message_id=f"<{address}.{r.source_id}@test.example>",
        )
        for r in records
    ]


@pytest.fixture
def people(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    records = [
        *named(history("mike.grigsby@enron.com"), "mike.grigsby@enron.com", "Mike Grigsby"),
        *named(history("mike.maggi@enron.com"), "mike.maggi@enron.com", "Mike Maggi"),
        *named(history("ina@enron.com"), "ina@enron.com", "Ina Rangel"),
    ]
    store_interactions(open_database(url), records)
    config = tmp_path / "config.toml"
    config.write_text(f'[me]\nname = "Olivia"\naddresses = ["{ME.addresses[0]}"]\n')
    return ["--config", str(config), "--db", url]


@pytest.mark.parametrize(
    ("wanted", "address"),
    [
        ("Mike Grigsby", "mike.grigsby@enron.com"),
        ("mike grigsby", "mike.grigsby@enron.com"),
        ("Grigsby", "mike.grigsby@enron.com"),
        ("rangel", "ina@enron.com"),
        ("MIKE.GRIGSBY@enron.com", "mike.grigsby@enron.com"),
    ],
)
def test_person_by_name_or_part_of_one(
    people: list[str], capsys: pytest.CaptureFixture[str], wanted: str, address: str
) -> None:
    at = (NOW + timedelta(days=1)).isoformat()
    assert main([*people, "person", wanted, "--json", "--at", at]) == 0
    assert json.loads(capsys.readouterr().out)["address"] == address


def test_several_matches_are_listed_and_none_is_said(
    people: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*people, "person", "Mike"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "2 people match 'Mike'" in err
    assert "Mike Grigsby <mike.grigsby@enron.com>" in err
    assert "Mike Maggi <mike.maggi@enron.com>" in err
    assert main([*people, "person", "Nobody Here"]) == EXIT_USER_ERROR
    assert "nobody called 'Nobody Here'" in capsys.readouterr().err


def test_people_limit_keeps_the_most_recent(
    people: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    at = (NOW + timedelta(days=1)).isoformat()
    assert main([*people, "people", "--json", "--at", at]) == 0
    everyone = json.loads(capsys.readouterr().out)
    assert main([*people, "people", "--json", "--limit", "2", "--at", at]) == 0
    assert json.loads(capsys.readouterr().out) == everyone[:2]
    assert main([*people, "people", "--at", at]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + len(everyone)  # piped: the header and one line a person, no footer
