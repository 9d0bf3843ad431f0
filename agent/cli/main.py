"""The `touchbase` command line: parsing, and turning every failure into advice, not a traceback.

Commands live in agent/cli/commands/, one module each, with `register(subparsers)`. The CLI is a
stable contract that other tools script against: JSON output (`--json`) keeps its keys, and the
exit codes keep their meaning (README, "Exit codes"): 0 done, 1 done but something failed (an
account, a push), 2 a usage or configuration problem the person can fix, 130 interrupted, and 70
an unexpected error (a bug in touchbase).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

from touchbase.agent.app import App
from touchbase.agent.cli import startup
from touchbase.agent.cli.examples import add_examples
from touchbase.agent.cli.output import clean, errors, escape
from touchbase.agent.errors import UserError
from touchbase.connectors.errors import ConnectorError

COMMANDS = (
    "touchbase.agent.cli.commands.init",
    "touchbase.agent.cli.commands.importing",
    "touchbase.agent.cli.commands.sync",
    "touchbase.agent.cli.commands.status",
    "touchbase.agent.cli.commands.people",
    "touchbase.agent.cli.commands.me",
    "touchbase.agent.cli.commands.demo",
    "touchbase.agent.cli.commands.auth",
    "touchbase.agent.cli.commands.contacts",
    "touchbase.agent.cli.commands.drafts",
    "touchbase.agent.cli.commands.serve",
    "touchbase.agent.cli.commands.plan",
    "touchbase.agent.cli.commands.introduce",
    "touchbase.agent.cli.commands.daemon",
    "touchbase.agent.cli.commands.service",
    "touchbase.agent.cli.commands.accounts",
    "touchbase.agent.cli.commands.completion",
)

# The module that registers each command word. Running a command needs its own parser only:
# building all of them (17 modules, some 300 arguments, every help text through gettext) is
# ~0.03 s of each start (issue 16). tests/agent/test_cli_startup.py keeps this equal to what
# the modules register.
COMMAND_MODULES = {
    "init": "init",
    "import": "importing",
    "sync": "sync",
    "status": "status",
    "people": "people",
    "person": "people",
    "me": "me",
    "demo": "demo",
    "auth": "auth",
    "contacts": "contacts",
    "drafts": "drafts",
    "serve": "serve",
    "plan": "plan",
    "introduce": "introduce",
    "introductions": "introduce",
    "daemon": "daemon",
    "run": "daemon",
    "service": "service",
    "accounts": "accounts",
    "completion": "completion",
}
_PACKAGE = "touchbase.agent.cli.commands."
# The global options before a command word: those that take a value, and flags.
_VALUED = ("--config", "--db")
_FLAGS = ("--verbose", "--debug")

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran, but part of it failed (an account, a push)
EXIT_USER_ERROR = 2  # usage or configuration: argparse's own code for bad arguments
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_BUG = 70  # EX_SOFTWARE from sysexits.h


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("touchbase")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class VersionAction(argparse._VersionAction):
    """argparse's --version, with the installed version read only when asked for: reading the
    package metadata costs about 25 ms that every other command (and --help) would pay."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        self.version = f"touchbase {version()}"
        super().__call__(parser, *args, **kwargs)


def command_word(argv: Sequence[str]) -> str | None:
    """The command `argv` runs, when plain to see: the first word after the global options
    (--config PATH, --db URL, -v, --debug). None for anything else (--help, --version, an
    abbreviated or unknown option, no command, an unknown one): then every command's parser
    is built, so that help, errors and their suggestions list them all."""
    words = iter(argv)
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif word.startswith(tuple(f"{option}=" for option in _VALUED)) or word in _FLAGS:
            continue
        elif len(word) > 1 and word.startswith("-") and set(word[1:]) == {"v"}:
            continue  # -v, -vv
        elif word.startswith("-"):
            return None
        else:
            return word if word in COMMAND_MODULES else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command` alone (a word of COMMAND_MODULES)."""
    parser = argparse.ArgumentParser(
        prog="touchbase",
        description="Keeps professional relationships warm. Reads mail and meeting metadata, "
        "drafts the messages you mean to write, never sends anything.",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="configuration file (default: the user config folder's touchbase/config.toml)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy database URL (default: "
        "TOUCHBASE_DB, the config's [database] url, or SQLite in the data folder)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    parser.add_argument("--version", action=VersionAction)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command is None:
        for name in COMMANDS:
            importlib.import_module(name).register(commands)
    else:  # with its module's other word, if any (people registers person too)
        importlib.import_module(_PACKAGE + COMMAND_MODULES[command]).register(commands)
    add_examples(parser)
    return parser


class CleanFormatter(logging.Formatter):
    """Log lines on the terminal with control characters made visible (output.clean): a
    warning may quote a file name or an error that quotes mail."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return clean(self.inner.format(record))


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions (touchbase completion)
        import argcomplete

        parser = build_parser()
        argcomplete.autocomplete(parser)
    else:
        parser = build_parser(command_word(argv))
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        CleanFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    )
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), handlers=[handler])
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return int(args.func(App(args)) or 0)
    except (UserError, ConnectorError) as exc:
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
        if exc.advice:
            errors.print(f"[bold]what to do:[/] {escape(exc.advice)}", markup=True, soft_wrap=True)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        errors.print("interrupted; everything stored so far is kept, run the command again")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `touchbase people | head`: the reader has what it wanted. Point stdout at /dev/null so
        # that the interpreter's final flush does not raise again on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if args.debug:
            raise
        # Printed without markup: the message may quote data (`Eve [/bold]`).
        errors.print(
            f"touchbase hit an unexpected error ({type(exc).__name__}: {exc}). This is a bug; "
            "run again with --debug to see where, and report it.",
            soft_wrap=True,
        )
        return EXIT_BUG


def run() -> None:
    # Whatever umask touchbase is started with (022 on most desktops), what it writes (the
    # database, logs, the outbox, token caches) is for its owner only, as the systemd units'
    # UMask=0077 already ensures; agent/pipeline/db.py also tightens an existing install.
    os.umask(0o077)
    startup.pause()  # App.service turns the collector on again (agent/cli/startup.py)
    startup.defer()  # importlib.metadata runs when read (--version), not for SQLAlchemy
    leave(main())


def leave(code: int) -> NoReturn:
    """Exit with `code` without tearing the interpreter down. Freeing every object one by one
    at exit (SQLAlchemy's and the rules' modules, their caches) is work nobody waits for: 0.13
    to 0.16 s CPU after `plan --json` on the 1M bench (issue 16). What an exit must still do is
    done first: the exit handlers (logging's flush among them) and the standard streams'
    flush; everything written to the database was committed by then (SQLite keeps it in its
    file or WAL, which the next connection reads). A non-daemon thread still running, or a
    stream that cannot be flushed (a closed pipe), gets Python's own exit, as before."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: exit as Python reports it
        sys.exit(code)
    os._exit(code)
