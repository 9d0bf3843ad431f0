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
import io
import json
import os
import re
import subprocess
import sys
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
from touchbase.agent.cli.main import COMMAND_MODULES, build_parser, command_word
from touchbase.agent.cli.main import version as installed_version
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
    assert {"touchbase.agent.service", "sqlalchemy.orm"} <= set(heavy(modules))


def test_a_command_on_a_terminal_still_draws_with_rich(tmp_path: Path) -> None:
    """Piped, `status` prints its lines without rich (below); told it is on a terminal, rich
    draws them: the listings of modules can fail."""
    db = f"sqlite:///{tmp_path / 't.db'}"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", TOUCHBASE, "--db", db, "status"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80", "TTY_COMPATIBLE": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rich.console" in set(IMPORTED.findall(done.stderr))


def test_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    done = subprocess.run([TOUCHBASE, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout == f"touchbase {version('touchbase')}\n"


def test_help_is_fast() -> None:
    """Issue 16 asks for 0.25 s on its 2-core machine; the limit here is twice that, in CPU
    time (user + system) of the best of three runs: wall time on a machine shared by other
    test runs took 0.8-2 s and failed this for no fault of the CLI (it uses ~0.1 s of CPU)."""
    import resource

    for args in (["--help"], ["--version"]):
        best = float("inf")
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([TOUCHBASE, *args], capture_output=True, check=True, timeout=60)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            best = min(best, used)
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


# What `status`, `drafts` and `serve --url` must not load besides (issue 16, H10): the service
# facade imports evaluation, drafting, push, sync and the rules' plan only in the methods that use
# them (people, plan, person, apply, push_approved, sync, notice_sent), and the compose package
# makes its names on first use (listing drafts reads compose.message, not the renderer).
NOT_FOR_LISTINGS = (
    "touchbase.agent.pipeline.evaluation",
    "touchbase.agent.pipeline.compose.render",
    "touchbase.agent.pipeline.drafts.create",
    "touchbase.agent.pipeline.drafts.from_rules",
    "touchbase.agent.pipeline.drafts.push",
    "touchbase.agent.pipeline.drafts.review",
    "touchbase.agent.pipeline.drafts.sent",
    "touchbase.agent.pipeline.drafts.digest",
    "touchbase.agent.pipeline.drafts.sinks",
    "touchbase.agent.pipeline.sync",
    "touchbase.agent.service.views",
    "touchbase.rules.decide",
    # Forgetting an account refolds its people and signing in opens its connector: status does
    # neither (H5). Listing drafts cleans no text: the email package stays out.
    "touchbase.agent.pipeline.contact_state",
    "touchbase.rules.standing",
    "touchbase.connectors.base",
    "touchbase.agent.pipeline.compose.message",
    "email.policy",
    # No account is configured here: no connector's settings table is read (config.py).
    "touchbase.connectors.files.settings",
    "touchbase.connectors.google.settings",
    "touchbase.connectors.graph.settings",
    "touchbase.connectors.imap.settings",
    "touchbase.connectors.dav.settings",
)


@pytest.mark.parametrize("command", [["status"], ["drafts"], ["serve", "--url"]], ids=" ".join)
def test_listings_load_no_evaluation_drafting_push_or_sync(
    current_db: list[str], command: list[str]
) -> None:
    out, modules = loaded(*current_db, *command)
    assert out.strip() and "touchbase.agent.service" in modules
    assert within(modules, NOT_FOR_LISTINGS) == []


def test_people_still_loads_the_evaluation(current_db: list[str]) -> None:
    """The listing above can fail: a command that evaluates loads those modules, and names them."""
    out, modules = loaded(*current_db, "people", "--json")
    assert json.loads(out) and {
        "touchbase.agent.pipeline.evaluation",
        "touchbase.rules.standing",
    } <= set(within(modules, NOT_FOR_LISTINGS))


# What only a plan needs (issue 16, R2D): listing people evaluates with plan=False, so it loads
# no deciding rules, no owed-mail or sightings look-ups and not even the plan's types (~0.02 s
# of each start); is_due is read from rules/standing.py.
PLAN_ONLY = (
    "touchbase.rules.decide",
    "touchbase.rules.decision",
    "touchbase.rules.kinds",
    "touchbase.rules.replies",
    "touchbase.rules.workplace",
    "touchbase.agent.pipeline.drafts.owed",
    "touchbase.agent.pipeline.sightings",
)


@pytest.mark.parametrize("command", [["people", "--json"], ["people", "--due"]], ids=" ".join)
def test_people_listings_load_no_plan(current_db: list[str], command: list[str]) -> None:
    out, modules = loaded(*current_db, *command)
    assert out.strip() and "touchbase.agent.pipeline.evaluation" in modules
    assert within(modules, PLAN_ONLY) == []


def test_person_not_due_loads_no_plan(current_db: list[str]) -> None:
    """A person who is not due is shown with no plan (a due one asks the plan for its hold),
    and listing their introductions loads no drafting rules (rules.introductions no longer
    imports rules.kinds for two names it only re-exported)."""
    out, modules = loaded(*current_db, "person", "ann@work.example", "--json")
    assert json.loads(out)["is_due"] is False
    assert "touchbase.agent.service.introductions" in modules
    assert within(modules, PLAN_ONLY) == []


def test_plan_still_loads_what_only_a_plan_needs(current_db: list[str]) -> None:
    """The check above can fail: `plan` decides, and loads every one of them."""
    _out, modules = loaded(*current_db, "plan", "--json")
    assert set(within(modules, PLAN_ONLY)) >= set(PLAN_ONLY)


def test_the_services_result_types_are_still_importable_from_it() -> None:
    """The names the facade re-exports are made on first use, and are the modules' own."""
    import touchbase.agent.service as service
    from touchbase.agent.pipeline.drafts.create import CreateResult
    from touchbase.agent.pipeline.evaluation import Evaluation, cadence_days
    from touchbase.agent.service.views import Due, PersonView

    for name in service.__all__:
        assert getattr(service, name) is not None, name
    assert (service.CreateResult, service.Evaluation, service.cadence_days) == (
        CreateResult,
        Evaluation,
        cadence_days,
    )
    assert (service.Due, service.PersonView) == (Due, PersonView)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = service.no_such_name  # type: ignore[attr-defined]


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


# --- start-up work on everyday commands (issue 16, session 6) -----------------------------------


def test_the_models_load_no_postgresql_dialect() -> None:
    """A postgresql_where= on an Index makes SQLAlchemy import the PostgreSQL dialect and its
    drivers (asyncpg, pg8000, psycopg...) to check the keyword: ~0.08 s of every command on
    SQLite. A model added with one fails here by name."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, touchbase.agent.pipeline.models; "
            "print(sorted(m for m in sys.modules if m.startswith('sqlalchemy.dialects.')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(done.stdout.replace("'", '"'))
    assert "sqlalchemy.dialects.sqlite" in loaded  # the listing was read
    assert [m for m in loaded if m.startswith("sqlalchemy.dialects.postgresql")] == []


def test_postgresql_gets_the_partial_indexes_where_from_the_engine() -> None:
    """The WHERE the models name for SQLite only is PostgreSQL's too once a PostgreSQL engine is
    made (no server needed: the DDL is compiled, not run); the migrations create the same."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex

    from touchbase.agent.pipeline import db
    from touchbase.agent.pipeline.models import Base

    partial = [
        index
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if index.dialect_options["sqlite"]["where"] is not None
    ]
    assert {i.name for i in partial} >= {"ix_interactions_versioned", "ix_interactions_meeting_end"}
    engine = db.make_engine("postgresql+psycopg://nobody@localhost/none")
    for index in partial:
        on_sqlite = str(CreateIndex(index).compile(dialect=sqlite.dialect()))
        on_postgresql = str(CreateIndex(index).compile(dialect=engine.dialect))
        where = on_sqlite[on_sqlite.index(" WHERE ") :]
        assert " WHERE " in on_postgresql and on_postgresql.endswith(where), on_postgresql
    engine.dispose()


def test_command_modules_name_every_command_by_its_module() -> None:
    """main.COMMAND_MODULES (which module to import for a command word) is what the modules
    register, every word of every module."""
    import argparse

    from touchbase.agent.cli.main import _PACKAGE, COMMANDS

    registered: dict[str, str] = {}
    for name in COMMANDS:
        commands = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(name).register(commands)
        registered.update(dict.fromkeys(commands.choices, name.removeprefix(_PACKAGE)))
    assert registered == COMMAND_MODULES


def parse(parser: object, argv: list[str]) -> tuple[object, ...]:
    """What argparse makes of `argv`: the namespace, or the exit with what it printed."""
    import argparse
    import contextlib
    import io

    assert isinstance(parser, argparse.ArgumentParser)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return ("parsed", vars(parser.parse_args(argv)))
        except SystemExit as exc:
            return ("exit", exc.code, out.getvalue(), err.getvalue())


_PARSERS: dict[str | None, object] = {}


def parser_for(command: str | None) -> object:
    if command not in _PARSERS:
        _PARSERS[command] = build_parser(command)
    return _PARSERS[command]


WORDS = [
    "--config",
    "--config=c.toml",
    "--db",
    "--db=sqlite://",
    "--conf",
    "-v",
    "-vv",
    "--debug",
    "--verbose",
    "--version",
    "-h",
    "--help",
    "--json",
    "--at",
    "--due",
    "2002-01-15T15:00:00+00:00",
    "x.toml",
    "ann@x.example",
    "show",
    "1",
    "bogus",
    "--",
    *COMMAND_MODULES,
]


@given(st.lists(st.sampled_from(WORDS), max_size=6))
def test_a_command_parsed_with_its_own_parser_is_parsed_as_with_all(argv: list[str]) -> None:
    """main() builds the parser of the command word alone (command_word): for any arguments,
    argparse makes the same of them (namespace, or exit code with its help or error text) as
    with every command's parser."""
    command = command_word(argv)
    alone, every = parse(parser_for(command), argv), parse(parser_for(None), argv)
    assert alone == every


@pytest.mark.parametrize(
    "argv",
    [["status"], ["--db", "x", "people", "--json"], ["-vv", "--config=c", "plan"], ["person", "a"]],
)
def test_command_word_finds_the_command(argv: list[str]) -> None:
    assert command_word(argv) == next(
        w for w in argv if w in ("status", "people", "plan", "person")
    )


# A child that starts as the console script does (agent/cli/main.py run(): pause, then main)
# and reports the collector's state at the end.
GC_CHILD = """
import gc, json, sys
from touchbase.agent.cli import startup
from touchbase.agent.cli.main import main
startup.pause()
code = main(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("\\nGC " + json.dumps([gc.isenabled(), gc.get_freeze_count()]) + "\\n")
sys.exit(code)
"""


def collector_after(*args: str) -> tuple[bool, int]:
    done = subprocess.run(
        [sys.executable, "-c", GC_CHILD, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stderr.splitlines() if x.startswith("GC "))
    enabled, frozen = json.loads(line.removeprefix("GC "))
    return bool(enabled), int(frozen)


def test_the_collector_is_back_once_the_service_is_loaded(current_db: list[str]) -> None:
    """Start-up runs without the cyclic collector; once the service is imported, what exists is
    frozen and the collector is on again for the command's own work (a refold, a daemon)."""
    enabled, frozen = collector_after(*current_db, "people", "--json")
    assert enabled and frozen > 10_000
    # A command with no service (a completion script) is short, and ends with it off.
    assert collector_after("completion", "bash") == (False, 0)


def test_pause_leaves_a_collector_turned_off_by_the_caller_off() -> None:
    import gc

    from touchbase.agent.cli import startup

    was = gc.isenabled()
    try:
        gc.disable()
        startup.pause()
        startup.settle()
        assert not gc.isenabled() and gc.get_freeze_count() == 0
        gc.enable()
        startup.pause()
        assert not gc.isenabled()
        startup.settle()
        assert gc.isenabled()
        gc.unfreeze()
        startup.settle()  # a second settle does nothing
        assert gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        if was:
            gc.enable()
        else:
            gc.disable()


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


ENV_VALUES = st.sampled_from([None, "", "0", "1", "yes"])


@given(tty=st.booleans(), compatible=ENV_VALUES, force=ENV_VALUES, stderr=st.booleans())
def test_a_console_not_made_yet_says_what_rich_would(
    tty: bool, compatible: str | None, force: str | None, stderr: bool
) -> None:
    """output's consoles answer is_terminal (and file) before they are made, so that a piped
    command loads no rich: whatever the stream and the environment, the answer is a real
    SafeConsole's on the same stream."""
    stream, saved = _Stream(tty), (sys.stdout, sys.stderr, dict(os.environ))
    try:
        for name, value in (("TTY_COMPATIBLE", compatible), ("FORCE_COLOR", force)):
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
        sys.stdout = sys.stderr = stream
        lazy = output._Console(lambda: SafeConsole(stderr=stderr), stderr=stderr)
        assert lazy.file is stream
        answer = lazy.is_terminal
        assert answer == SafeConsole(stderr=stderr).is_terminal
        assert lazy.file is stream
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        os.environ.clear()
        os.environ.update(saved[2])


# Text that reaches rich's corner cases: markup brackets, backslashes, tabs (expanded by cell
# width), wide characters, trailing and non-breaking spaces, controls, lines.
ODD_TEXT = st.text(alphabet="ab Z[]/#@\\\t\n\u00a0\u4e16\x1b\u202e\u200d", max_size=60)
ANY_TEXT = st.one_of(ODD_TEXT, st.text(max_size=60))


@given(text=ANY_TEXT)
def test_escape_is_riches_own(text: str) -> None:
    """output escapes markup without loading rich, exactly as rich.markup.escape does."""
    from rich.markup import escape as rich_escape

    assert output._escape_markup(text) == rich_escape(text)


@given(
    text=ANY_TEXT,
    none=st.booleans(),
    width=st.integers(1, 120),
    soft_wrap=st.sampled_from([None, True]),
    stderr=st.booleans(),
)
def test_a_piped_line_is_written_as_rich_writes_it(
    text: str, none: bool, width: int, soft_wrap: bool | None, stderr: bool
) -> None:
    """A console not made yet writes a plain line itself when piped (issue 16, R2D): the same
    characters a SafeConsole of any width writes, and rich is asked only for a line that needs
    it (a tab, or trailing space that rich crops past its width)."""
    objects = () if none else (text,)
    options = {} if soft_wrap is None else {"soft_wrap": soft_wrap}
    made: list[SafeConsole] = []

    def make() -> SafeConsole:
        made.append(SafeConsole(highlight=False, markup=False, emoji=False, width=width))
        return made[-1]

    stream, saved = _Stream(False), (sys.stdout, sys.stderr, dict(os.environ))
    try:
        os.environ.pop("TTY_COMPATIBLE", None)
        os.environ.pop("FORCE_COLOR", None)
        sys.stdout = sys.stderr = stream
        SafeConsole(highlight=False, markup=False, emoji=False, width=width).print(
            *objects, **options
        )
        expected = stream.getvalue()
        stream.seek(0)
        stream.truncate()
        output._Console(make, stderr=stderr).print(*objects, **options)
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        os.environ.clear()
        os.environ.update(saved[2])
    assert stream.getvalue() == expected
    lines = output.clean(text if objects else "").split("\n")
    assert bool(made) == any("\t" in line or line[-1:].isspace() for line in lines)


@given(name=ANY_TEXT, addresses=ANY_TEXT, width=st.integers(1, 120))
def test_persons_heading_piped_reads_as_its_markup(name: str, addresses: str, width: int) -> None:
    """`touchbase person` piped prints its heading without markup (when it can): the words rich
    makes of the bold heading, whatever the name and addresses hold."""
    from touchbase.agent.cli.commands.people import heading

    marked, piped = io.StringIO(), io.StringIO()
    bold = f"[bold]{output.escape(name)}[/] <{output.escape(addresses)}>"
    SafeConsole(markup=False, emoji=False, file=marked, width=width).print(bold, markup=True)
    text, markup = heading(name, addresses)  # the test's stdout is no terminal
    SafeConsole(markup=False, emoji=False, file=piped, width=width).print(text, markup=markup)
    assert piped.getvalue() == marked.getvalue()
    assert markup == ("\\" in output.clean(name + addresses))


@pytest.mark.parametrize(
    "command",
    [
        ["people", "--json"],
        ["people", "--due"],
        ["plan", "--json"],
        ["serve", "--url"],
        ["person", "ann@work.example"],
        ["status"],
        ["drafts"],
    ],
    ids=" ".join,
)
def test_piped_listings_load_no_rich(current_db: list[str], command: list[str]) -> None:
    """JSON, a piped table (tab-separated lines), a link and plain lines (person, status: the
    consoles' print writes them as rich would) are written without rich."""
    out, modules = loaded(*current_db, *command)
    assert out.strip() and "sqlalchemy.orm" in modules
    assert within(modules, ("rich",)) == []


# --- model groups and deferred modules (issue 16, H5) ------------------------------------------

CONFIGURED_CHILD = """
import json, sys
import sqlalchemy.orm
from touchbase.agent.pipeline import models
from touchbase.agent.service import Service
from touchbase.agent.pipeline.config import Config
service = Service(Config(), sys.argv[1])
with service.sessions() as session:
    session.scalars(sqlalchemy.select(getattr(models, sys.argv[2]))).all()
classes = {m.class_.__name__: m.configured for r in models.REGISTRIES for m in r.mappers}
print(json.dumps(classes))
"""


@pytest.mark.parametrize("model", ["Draft", "AppState", "Account", "Person"])
def test_a_query_configures_its_models_group_only(tmp_path: Path, model: str) -> None:
    """The models are mapped in groups (models.REGISTRIES) so that a command's first query
    configures the classes it reads with, not the whole schema: the group of the class queried,
    and no class of another group."""
    from touchbase.agent.pipeline import models

    db = f"sqlite:///{tmp_path / 't.db'}"
    done = subprocess.run(
        [sys.executable, "-c", CONFIGURED_CHILD, db, model],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    configured = json.loads(done.stdout)
    group = next(
        r for r in models.REGISTRIES if getattr(models, model) in {m.class_ for m in r.mappers}
    )
    mine = {m.class_.__name__ for m in group.mappers}
    assert {name for name, done in configured.items() if done} == mine
    assert len(configured) == len(models.Base.metadata.tables)  # every class, in some group


def test_the_model_groups_cover_every_table_and_relationships_stay_within_one() -> None:
    import sqlalchemy.orm

    from touchbase.agent.pipeline import models

    sqlalchemy.orm.configure_mappers()
    mapped = [m for r in models.REGISTRIES for m in r.mappers]
    assert sorted(m.local_table.name for m in mapped) == sorted(models.Base.metadata.tables)
    assert all(m.local_table.metadata is models.Base.metadata for m in mapped)
    for mapper in mapped:
        for relationship in mapper.relationships:
            assert relationship.mapper.registry is mapper.registry, relationship


# The console script's run() in a child, which then says whether importlib.metadata ever ran.
RUN_CHILD = """
import sys
sys.argv = ["touchbase", *sys.argv[1:]]
from touchbase.agent.cli.main import run
import atexit
atexit.register(lambda: sys.stderr.write("\\nMETADATA " + " ".join(
    type(sys.modules[name]).__name__ for name in ("importlib.metadata", "asyncio")) + "\\n"))
run()
"""


def metadata_after(*args: str) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_CHILD, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stderr.splitlines() if x.startswith("METADATA "))
    return done.stdout, line.removeprefix("METADATA ")


def test_importlib_metadata_and_asyncio_run_only_when_read(current_db: list[str]) -> None:
    """SQLAlchemy imports importlib.metadata (with email and zipfile behind it) for plugin
    lookups a database URL of ours never makes, and asyncio for async engines: the console
    script defers both, and --version, which reads importlib.metadata, still gets the installed
    version."""
    out, kinds = metadata_after(*current_db, "people", "--json")
    assert json.loads(out) and kinds == "_Deferred _Deferred"
    out, kinds = metadata_after("--version")
    assert out.strip() == f"touchbase {installed_version()}" and kinds == "module _Deferred"


def test_a_deferred_module_is_the_module_once_read() -> None:
    """The stand-in runs the module in place on the first name read (its own `from . import`
    of submodules included), is then a plain module, and a module already imported is left."""
    code = """
import sys
from touchbase.agent.cli import startup
startup.defer(("os", "importlib.metadata", "no.such.module"))
assert type(sys.modules["os"]).__name__ == "module"  # imported before: left alone
stand_in = sys.modules["importlib.metadata"]
assert type(stand_in).__name__ == "_Deferred" and "no.such.module" not in sys.modules
import importlib.metadata
from importlib.metadata import PackageNotFoundError, version
assert importlib.metadata is stand_in and type(stand_in).__name__ == "module"
assert version("sqlalchemy") and issubclass(PackageNotFoundError, ModuleNotFoundError)
assert stand_in.entry_points(group="console_scripts", name="touchbase")
# asyncio: SQLAlchemy's import reads iscoroutine alone; a submodule imported first runs the
# package first, as Python does; the reference SQLAlchemy kept answers as asyncio's own.
startup.defer()
import sqlalchemy.orm
from sqlalchemy.util import concurrency
assert type(sys.modules["asyncio"]).__name__ == "_Deferred"
import asyncio.events
import asyncio
assert type(asyncio).__name__ == "module" and asyncio.iscoroutine is not startup._iscoroutine
async def one():
    return 1
made = one()
assert concurrency.iscoroutine(made) and not concurrency.iscoroutine(one)
assert asyncio.run(made) == 1
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_the_account_types_tables_are_the_connectors_own() -> None:
    """config.ACCOUNT_TYPES reads each table from its connector on look-up: the same tables, in
    the declared order, and an unknown type is not there."""
    from touchbase.agent.pipeline.config import ACCOUNT_TYPES
    from touchbase.connectors.dav import settings as dav
    from touchbase.connectors.files import settings as files
    from touchbase.connectors.google import settings as google
    from touchbase.connectors.graph import settings as graph
    from touchbase.connectors.imap import settings as imap

    assert dict(ACCOUNT_TYPES) == {
        "files": files.TABLE,
        "gmail": google.GMAIL,
        "gcal": google.GCAL,
        "imap": imap.TABLE,
        "outlook": graph.TABLE,
        "caldav": dav.CALDAV,
        "carddav": dav.CARDDAV,
    }
    assert list(ACCOUNT_TYPES) == ["files", "gmail", "gcal", "imap", "outlook", "caldav", "carddav"]
    assert ACCOUNT_TYPES.get("fax") is None and "fax" not in ACCOUNT_TYPES


def test_person_loads_no_drafting(current_db: list[str]) -> None:
    """`person` lists a person's introductions with no compose package: only writing an
    introduction's draft needs it (drafts/introductions.py, service/introductions.py)."""
    out, modules = loaded(*current_db, "person", "ann@work.example")
    assert "ann@work.example" in out and "touchbase.agent.service.introductions" in modules
    assert within(modules, ("touchbase.agent.pipeline.compose", "email.policy")) == []
