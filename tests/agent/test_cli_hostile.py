"""Text from mail is data, never Rich markup or terminal control (issue 13, items 3 and 4).

A database full of hostile display names, subjects, draft reasons and quarantine reasons is
walked by every command that prints them, on a (forced) terminal and piped: nothing crashes, no
link or escape sequence of the data's reaches the output, and JSON keeps the exact values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.agent.draftfixtures import ME, NOW, history, mail, make_drafts, request
from touchbase.agent.cli import output
from touchbase.agent.cli.main import main
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Page, Participant, Quarantined

OSC_LINK = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"
HOSTILE_NAMES = (
    "Eve [/bold]",
    "[link=https://evil.example]Click here[/link]",
    f"Mallory {OSC_LINK}",
    "Trudy \x1b[2J\x1b]0;owned\x07",
    "Bidi \u202egnp.exe\u202c Ann",
    "Csi \x9b31m Carl",
)
HOSTILE_ADDRESSES = [f"h{i}@hostile.example" for i in range(len(HOSTILE_NAMES))]
# What must never reach a terminal: ESC other than Rich's own colour codes (SGR, `ESC[...m`),
# BEL, C1 controls, bidi overrides, and a hyperlink to the data's URL.
RICH_SGR = re.compile(r"\x1b\[[0-9;]*m")
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_records() -> list[InteractionRecord]:
    records: list[InteractionRecord] = []
    for n, (name, address) in enumerate(zip(HOSTILE_NAMES, HOSTILE_ADDRESSES, strict=True)):
        for i, record in enumerate(history(address, months=6)):
            records.append(
                InteractionRecord(
                    source_id=f"{address}-{i}",
                    kind=record.kind,
                    occurred_at=record.occurred_at,
                    ended_at=record.ended_at,
                    participants=tuple(
                        Participant(p.address, p.role, name if p.address == address else "")
                        for p in record.participants
                    ),
                    subject=f"{name} {record.subject}",
                    message_id=f"<h{n}.{i}@hostile.example>",
                )
            )
    records.append(
        mail(
            9999,
            NOW - timedelta(days=3),
            sender=HOSTILE_ADDRESSES[0],
            to=[ME.addresses[0]],
            subject=f"[link=https://evil.example]Click[/link] {OSC_LINK}",
        )
    )
    return records


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[list[str]]:
    url = f"sqlite:///{tmp_path / 't.db'}"
    sessions = open_database(url)
    store = Store(sessions)
    account = store.ensure_account("mail", "memory", NOW)
    run = store.start_run(account, NOW)
    page = Page(
        interactions=hostile_records(),
        cursor="c",
        quarantined=[
            Quarantined("bad\x1b[2J.eml", "undecodable \x9b2J bytes \x1b]0;owned\x07 here"),
            Quarantined("x.eml", "x.eml: binary file, not a message"),
        ],
    )
    store.save_page(account, run, page, NOW)
    ids = make_drafts(
        sessions,
        [
            request(
                address=address,
                name=name,
                subject=f"{name} plans",
                reasons=(f"last contact with {name}", "[bold]loud[/bold] \x1b[2J"),
            )
            for name, address in zip(HOSTILE_NAMES, HOSTILE_ADDRESSES, strict=True)
        ],
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[me]\nname = "Olivia"\naddresses = ["{ME.addresses[0]}"]\n')
    yield ["--config", str(config), "--db", url, *[str(i) for i in ids]]


def commands(base: list[str], ids: list[str]) -> list[list[str]]:
    at = ["--at", NOW.isoformat()]
    return [
        [*base, "people", *at],
        [*base, "people", "--due", *at],
        [*base, "people", "suggestions", *at],
        *[[*base, "person", address, *at] for address in HOSTILE_ADDRESSES],
        [*base, "person", "Eve", *at],
        [*base, "plan", *at],
        [*base, "drafts"],
        [*base, "drafts", "--all"],
        *[[*base, "drafts", "show", i] for i in ids],
        [*base, "status"],
        [*base, "status", "--quarantine"],
        [*base, "accounts"],
        [*base, "me"],
    ]


def assert_safe(text: str, where: list[str]) -> None:
    bare = RICH_SGR.sub("", text)
    assert not FORBIDDEN.search(bare), (where, FORBIDDEN.findall(bare), text[:2000])
    assert "evil.example" not in "".join(re.findall(r"\x1b]8;[^\x07\x1b]*", text))
    assert "Click here" not in bare or "[link=https://evil.example]Click here" in bare


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_every_command_prints_hostile_data_literally_and_without_controls(
    hostile: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    terminal: bool,
) -> None:
    if terminal:
        for console in (output.console, output.errors):
            monkeypatch.setattr(console, "_force_terminal", True)
            monkeypatch.setattr(console, "_width", 200)
    base, ids = hostile[:4], hostile[4:]
    for argv in commands(base, ids):
        assert main(argv) in (0, 1), argv
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err and "unexpected error" not in captured.err, argv
        assert_safe(captured.out + captured.err, argv)
    # The markup is shown as typed: a name is a name.
    assert main([*base, "people", "--at", NOW.isoformat()]) == 0
    shown = RICH_SGR.sub("", capsys.readouterr().out)
    assert "Eve [/bold]" in shown
    assert "[link=https://evil.example]Click here[/link]" in shown
    assert "\\x1b[2J" in shown  # visible, not obeyed


def test_json_keeps_the_exact_values(
    hostile: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    base = hostile[:4]
    assert main([*base, "people", "--json", "--at", NOW.isoformat()]) == 0
    names = {row["name"] for row in json.loads(capsys.readouterr().out)}
    assert set(HOSTILE_NAMES) <= names
    assert main([*base, "drafts", "--json"]) == 0
    reasons = [r for d in json.loads(capsys.readouterr().out) for r in d["reasons"]]
    assert "[bold]loud[/bold] \x1b[2J" in reasons


def test_init_prints_its_toml_table_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(tmp_path / "c.toml"), "init"]) == 0
    assert "add your addresses under [me] and an [[account]]" in capsys.readouterr().out


def test_the_fallback_error_console_prints_markup_as_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output.errors.print("touchbase hit an unexpected error (KeyError: 'Eve [/bold]')")
    assert "'Eve [/bold]'" in capsys.readouterr().err


@given(st.text())
def test_clean_leaves_no_control_or_format_character_but_tab_and_newline(text: str) -> None:
    import unicodedata

    cleaned = output.clean(text)
    for char in cleaned:
        assert char in "\t\n\u200c\u200d" or unicodedata.category(char) not in (
            "Cc",
            "Cf",
            "Cs",
            "Zl",
            "Zp",
        )
    if text.isprintable():
        assert cleaned == text


@given(st.text())
def test_a_tsv_cell_is_always_one_cell_on_one_line(text: str) -> None:
    cell = output.tsv_cell(text)
    assert "\t" not in cell and "\n" not in cell


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.lists(JSON_VALUES, max_size=5))
def test_a_streamed_json_array_reads_back_as_the_list(
    items: list[object],
) -> None:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        output.print_json_array(iter(items))
    assert json.loads(buffer.getvalue()) == items


def test_log_lines_show_control_characters_escaped(tmp_path: Path) -> None:
    """The CLI's warnings (stderr) and the daemon's key=value lines quote data too."""
    import logging
    import subprocess
    import sys

    from touchbase.agent.logs import KeyValueFormatter

    record = logging.LogRecord("t", logging.WARNING, "", 0, "x", None, None)
    record.fields = {"name": "Eve \x1b]0;owned\x07 \x9b2J \u202egnp"}
    line = KeyValueFormatter().format(record)
    assert not FORBIDDEN.search(line)
    assert "\\u001b]0;owned\\u0007 \\u009b2J \\u202egnp" in line
    program = (
        "import logging, sys\n"
        "from touchbase.agent.cli.main import main\n"
        "main(['--db', sys.argv[1], 'status'])\n"  # sets the CLI's logging up
        "logging.getLogger('touchbase.test').warning('file %s', 'bad\\x1b[2J\\x9b.eml')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, f"sqlite:///{tmp_path / 't.db'}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "file bad\\x1b[2J\\x9b.eml" in done.stderr, done.stderr
    assert not FORBIDDEN.search(done.stderr)
