"""`touchbase accounts`: configured accounts apart from one-off imports, and forgetting one.

`touchbase accounts forget NAME` removes a stored account with its interactions, cursor, sync
history and quarantined records, after a confirmation (or `--yes`): the way to drop an import
of the wrong path.
"""

from __future__ import annotations

import argparse
import sys

from touchbase.agent.app import App
from touchbase.agent.cli.commands.completion import account_names
from touchbase.agent.cli.output import console, print_json, table
from touchbase.agent.errors import UserError

IMPORT_PREFIX = "import:"  # agent/cli/commands/importing.py names each imported path so


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "accounts",
        help="configured accounts and one-off imports; forget one",
        description="Lists configured accounts apart from imported paths; `touchbase accounts "
        "forget NAME` removes one with its interactions.",
    )
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    forget = actions.add_parser(
        "forget",
        help="remove a stored account and its interactions",
        description="Removes the account NAME with its interactions, cursor, sync history and "
        "quarantined records. A configured account is read again at the next sync unless you "
        "also take it out of the configuration.",
    )
    name = forget.add_argument("name", metavar="NAME", help="as `touchbase status` shows it")
    name.completer = account_names  # type: ignore[attr-defined]
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget.add_argument("--json", action="store_true", help="print what was removed as JSON")
    forget.set_defaults(func=run_forget)


def split(app: App) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(configured, imported): stored accounts, each with where it comes from."""
    configured = {a.name: a for a in app.config.accounts}
    rows = app.service.accounts.status()
    mine = [
        {"account": name, "type": a.type, "stored": any(r["account"] == name for r in rows)}
        for name, a in configured.items()
    ]
    others = [
        {"account": r["account"], "type": r["type"], "configured": False}
        for r in rows
        if r["account"] not in configured
    ]
    return mine, others


def run_list(app: App) -> int:
    configured, imported = split(app)
    if app.args.json:
        print_json({"configured": configured, "imported": imported})
        return 0
    if configured:
        console.print("configured accounts (synced by `touchbase sync` and the daemon):")
        table(("account", "type"), [(str(a["account"]), str(a["type"])) for a in configured])
    else:
        console.print("no configured accounts: add an [[account]] to the configuration")
    if imported:
        console.print("imported, one-off (read again only by `touchbase import` of the same path):")
        table(("account", "type"), [(str(a["account"]), str(a["type"])) for a in imported])
    return 0


def run_forget(app: App) -> int:
    name = app.args.name
    counts = app.service.accounts.counts(name)
    if not app.args.yes:
        question = (
            f"forget {name} with its {counts['interactions']} interactions and "
            f"{counts['quarantined']} quarantined records? [y/N] "
        )
        if not sys.stdin.isatty():
            raise UserError(
                f"not forgetting {name} without a confirmation",
                advice="run it on a terminal to be asked, or add --yes",
            )
        console.print(question, end="")
        if input().strip().lower() not in ("y", "yes"):
            console.print("nothing removed")
            return 1
    removed = app.service.accounts.forget(name)
    if app.args.json:
        print_json({"account": name, **removed})
        return 0
    console.print(
        f"forgot {name}: {removed['interactions']} interactions, "
        f"{removed['quarantined']} quarantined records"
    )
    if any(a.name == name for a in app.config.accounts):
        console.print(
            f"{name} is still configured: the next sync reads it again; take it out of the "
            "configuration to stop that"
        )
    return 0
