"""`touchbase completion SHELL`: a completion script for bash, zsh or fish.

The script asks touchbase itself for the candidates (argcomplete), so subcommands, options and
account names always match the installed version and the configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from touchbase.agent.app import App

SHELLS = ("bash", "zsh", "fish")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh, fish)",
        description="Prints a completion script for SHELL on standard output; source it, or "
        "save it where your shell looks for completions.",
    )
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help=", ".join(SHELLS))
    parser.set_defaults(func=run)


def script(shell: str) -> str:
    import argcomplete

    return argcomplete.shellcode(["touchbase"], shell=shell)


def run(app: App) -> int:
    sys.stdout.write(script(app.args.shell))
    return 0


def account_names(prefix: str, parsed_args: argparse.Namespace, **_: object) -> list[str]:
    """Completer for an account name: the configured accounts and the imported paths.

    Runs inside the shell's completion request, so it must never print or raise."""
    from sqlalchemy.engine import make_url

    names: list[str] = []
    try:
        app = App(parsed_args)
        names += [a.name for a in app.config.accounts]
        url = make_url(app.db_url)
        missing = url.get_backend_name() == "sqlite" and not (
            url.database and Path(url.database).expanduser().exists()
        )
        if not missing:  # completing must never create a database
            names += [row["account"] for row in app.service.accounts.status()]
    except Exception:  # a broken config or database just means nothing more to offer
        pass
    return sorted({n for n in names if n.startswith(prefix)})
