"""`touchbase contacts import FILE`: names, merged addresses and dates from an address book."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, print_json
from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.contacts_file import read_contacts
from touchbase.agent.pipeline.identity import apply_contact


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("contacts", help="import an address book (vCard or CSV)")
    parser.add_argument("action", choices=("import",))
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(app: App) -> int:
    path = Path(app.args.file).expanduser()
    if not path.is_file():
        raise UserError(f"{app.args.file}: no such file")
    book = read_contacts(path)
    with app.sessions.begin() as session:
        for entry in book.entries:
            apply_contact(
                session,
                entry.addresses,
                {
                    "name": entry.name,
                    "birthday": entry.birthday,
                    "work_anniversary": entry.work_anniversary,
                },
                app.now(),
            )
    if app.args.json:
        print_json(
            {
                "imported": len(book.entries),
                "problems": [{"where": w, "reason": r} for w, r in book.problems],
            }
        )
        return 0
    console.print(f"imported {len(book.entries)} contacts from {escape(str(path))}")
    for where, why in book.problems:
        console.print(f"  skipped {escape(where)}: {escape(why)}", soft_wrap=True)
    return 0
