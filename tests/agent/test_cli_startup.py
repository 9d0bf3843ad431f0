"""A CLI that starts instantly (issue 16): `--help` and `--version` import no heavy library, and
everyday commands on a current database load nothing they do not use (no alembic, no templates,
no cloud or IMAP client, no web server).

Each --help test runs the real console script (`.venv/bin/touchbase`) under `python -X importtime`,
which lists on stderr every module the process imported, so a module that slips back into a
command's `register()` (or into `App`, or into output.py's consoles) fails here by name, whatever
the machine's speed. One generous wall-clock limit guards the figure the issue asks for.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchbase.agent.cli import output
from touchbase.agent.cli.examples import walk
from touchbase.agent.cli.main import build_parser
from touchbase.agent.cli.safe_console import SafeConsole

TOUCHBASE = str(Path(sys.executable).with_name("touchbase"))

# What the parser must not pay for: the database layer, the web app, the templates, the cloud
# clients, the mail and calendar parsers, rich (nothing of it is needed to print usage), and our
# own service, which imports most of the above.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "jinja2",
    "flask",
    "hypercorn",
    "werkzeug",
    "googleapiclient",
    "google.auth",
    "msal",
    "requests",
    "rich",
    "icalendar",
    "recurring_ical_events",
    "imapclient",
    "vobject",
    "keyring",
    "argcomplete",
    "touchbase.agent.service",
    "touchbase.agent.pipeline.db",
    "touchbase.agent.pipeline.models",
    "touchbase.rules.decide",
)
IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| *(\S+)$", re.MULTILINE)


def imported(*args: str) -> set[str]:
    """Every module the console script imports for `touchbase ARGS`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", TOUCHBASE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = set(IMPORTED.findall(done.stderr))
    assert "argparse" in found  # the listing was read: argparse is imported by every run
    return found


def heavy(modules: set[str]) -> list[str]:
    """The modules of HEAVY (or inside one of them) among `modules`."""
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY))


@pytest.mark.parametrize("args", [["--help"], ["--version"]], ids=["help", "version"])
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    modules = imported(*args)
    assert heavy(modules) == []


def test_every_commands_help_imports_nothing_heavy() -> None:
    """`touchbase drafts approve --help` builds the same parser: every command module's
    register() stays light, including ones added later (the list comes from the parser)."""
    every = [words for words, _parser in walk(build_parser()) if words]
    assert ("drafts", "approve") in every and ("people",) in every
    for words in every:
        modules = imported(*words, "--help")
        assert (words, heavy(modules)) == (words, [])


def test_a_command_still_imports_what_it_needs(tmp_path: Path) -> None:
    """The check above can fail: a command that runs loads the service and the database."""
    modules = imported("--db", f"sqlite:///{tmp_path / 't.db'}", "status")
    assert {"touchbase.agent.service", "sqlalchemy.orm", "rich.console"} <= set(heavy(modules))


def test_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    done = subprocess.run([TOUCHBASE, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout == f"touchbase {version('touchbase')}\n"


def test_help_is_fast() -> None:
    """Issue 16 asks for 0.25 s on its 2-core machine; the limit here is twice that, on the
    best of three runs, so that a loaded test machine does not fail it (it took 0.8-2 s)."""
    for args in (["--help"], ["--version"]):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([TOUCHBASE, *args], capture_output=True, check=True, timeout=60)
            best = min(best, time.perf_counter() - start)
        assert best <= 0.5, (args, best)


def test_a_console_is_made_on_first_use_and_writes_reach_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """output.console stands for a SafeConsole made when first used; a test's monkeypatch (as
    tests/agent/test_cli_hostile.py forces a terminal) must change the real console, and undo."""
    made: list[SafeConsole] = []

    def make() -> SafeConsole:
        made.append(SafeConsole(highlight=False, markup=False, emoji=False))
        return made[-1]

    deferred = cast(SafeConsole, output._OnFirstUse(make))
    assert made == []
    with monkeypatch.context() as patch:
        patch.setattr(deferred, "_force_terminal", True)
        assert len(made) == 1 and output.made(deferred) is made[0]
        assert made[0]._force_terminal is True and deferred.is_terminal
    assert made[0]._force_terminal is None and output.made(deferred) is made[0]


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True), st.integers() | st.text(), max_size=5
    )
)
def test_what_is_written_through_the_stand_in_is_read_back_from_either(
    values: dict[str, object],
) -> None:
    real = SimpleNamespace()
    deferred = output._OnFirstUse(lambda: real)
    for name, value in values.items():
        setattr(deferred, name, value)
    assert {n: getattr(deferred, n) for n in values} == values == vars(real)


# --- everyday commands on a current database (issue 16) -----------------------------------------

# What `people`, `plan`, `status`, `person`, `drafts` and `serve --url` on a current database must
# not pay for: migrations (alembic), drafting (Jinja, nameparser), the cloud and IMAP clients and
# the calendar parser (status read cursors through the connectors), the web app.
NOT_EVERYDAY = (
    "alembic",
    "jinja2",
    "nameparser",
    "googleapiclient",
    "google.auth",
    "msal",
    "imapclient",
    "icalendar",
    "hypercorn",
    "flask",
    "werkzeug",
    "touchbase.connectors.files.source",
    "touchbase.connectors.imap.account",
    "touchbase.agent.web.site",
)
# The console script's main() in a child, which then lists sys.modules on stderr.
CHILD = """
import json, sys
from touchbase.agent.cli.main import main
code = main(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("\\nLOADED " + json.dumps(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""
NOW = datetime.now(UTC).replace(microsecond=0)


def loaded(*args: str) -> tuple[str, set[str]]:
    """The output of `touchbase ARGS` and every module its process had loaded at the end."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED "))
    return done.stdout, set(json.loads(line.removeprefix("LOADED ")))


def within(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in names))


def write_mail(folder: Path, n: int, sender: str, to: str, days_ago: int) -> None:
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    when = format_datetime(NOW - timedelta(days=days_ago))
    (folder / "cur" / f"{n}.eml:2,S").write_text(
        f"From: {sender}\nTo: {to}\nSubject: budget {n}\nDate: {when}\n"
        f"Message-ID: <{n}@startup.test>\n\nbody\n"
    )


@pytest.fixture
def current_db(tmp_path: Path) -> list[str]:
    """A database at the current schema holding half a year of mail with two people: the global
    arguments that point at it."""
    mail = tmp_path / "Maildir"
    me, them = "Me <me@own.example>", ("Ann Lee <ann@work.example>", "Bob <bob@x.example>")
    for n in range(12):
        write_mail(mail, 2 * n, me, them[n % 2], 250 - 15 * n)
        write_mail(mail, 2 * n + 1, them[n % 2], me, 248 - 15 * n)
    args = ["--db", f"sqlite:///{tmp_path / 't.db'}"]
    done = subprocess.run(
        [TOUCHBASE, *args, "import", str(mail), "--me", "me@own.example"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return args


@pytest.mark.parametrize(
    "command",
    [
        ["people", "--json"],
        ["people", "--due"],
        ["plan", "--json"],
        ["status"],
        ["person", "ann@work.example"],
        ["drafts"],
        ["serve", "--url"],
    ],
    ids=" ".join,
)
def test_everyday_commands_load_nothing_they_do_not_use(
    current_db: list[str], command: list[str]
) -> None:
    out, modules = loaded(*current_db, *command)
    assert out.strip()  # the command did its work (the database was read)
    assert "touchbase.agent.service" in modules and "sqlalchemy.orm" in modules
    assert within(modules, NOT_EVERYDAY) == []


def test_a_database_behind_still_migrates_on_an_everyday_command(tmp_path: Path) -> None:
    """And the listing above can fail: here alembic is loaded, and named."""
    from alembic import command
    from sqlalchemy import text

    from touchbase.agent.pipeline import db

    older = f"sqlite:///{tmp_path / 'older.db'}"
    engine = db.make_engine(older)
    command.upgrade(db.alembic_config(engine), "0007")  # as an older touchbase left it
    out, modules = loaded("--db", older, "people", "--json")
    assert json.loads(out) == [] and "alembic" in modules
    with engine.connect() as connection:
        stored = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    engine.dispose()
    assert stored == db.head_revisions()


def test_status_reads_cursors_through_the_same_functions_as_the_connectors() -> None:
    """service.accounts.CURSOR_READERS names, per account type, a light module that reads its
    cursor for `status`: it must be the connector's own describe_cursor, for every type that
    has one, and no type may be missed."""
    from touchbase.agent.pipeline.accounts import FACTORIES
    from touchbase.agent.service.accounts import CURSOR_READERS, describe_cursor

    for type_, name in FACTORIES.items():
        own = getattr(importlib.import_module(name), "describe_cursor", None)
        assert (type_, own is not None) == (type_, type_ in CURSOR_READERS)
        if own is not None:
            for value in ("garbage", "{}", '{"INBOX": [1, 2, 3]}'):
                assert describe_cursor(type_, value) == list(own(value)), (type_, value)
