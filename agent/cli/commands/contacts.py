"""`touchbase contacts import FILE`: names, merged addresses and dates from an address book, or
names, companies, positions and job changes from LinkedIn's Connections.csv."""

from __future__ import annotations

import argparse
from pathlib import Path

from touchbase.agent.app import App
from touchbase.agent.cli.output import clean as escape  # markup is off: controls only
from touchbase.agent.cli.output import console, print_json
from touchbase.agent.errors import UserError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "contacts", help="import an address book (vCard or CSV) or LinkedIn's Connections.csv"
    )
    parser.add_argument("action", choices=("import",))
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(app: App) -> int:
    path = Path(app.args.file).expanduser()
    if not path.is_file():
        raise UserError(f"{app.args.file}: no such file")
    result = app.service.identity.import_contacts(path)
    if app.args.json:
        print_json(
            {
                "imported": result.imported,
                "problems": [{"where": w, "reason": r} for w, r in result.problems],
                "job_changes": list(result.changes),
            }
        )
        return 0
    console.print(f"imported {result.imported} contacts from {escape(str(path))}")
    for change in result.changes:
        console.print(f"  job change: {escape(change)}", soft_wrap=True)
    for where, why in result.problems:
        console.print(f"  skipped {escape(where)}: {escape(why)}", soft_wrap=True)
    return 0
