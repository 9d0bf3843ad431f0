"""`touchbase import PATH...`: read exported mail and calendars (mbox, Maildir, .eml, .ics)."""

from __future__ import annotations

import argparse
from pathlib import Path

from touchbase.agent.app import App
from touchbase.agent.errors import UserError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "import", help="import exported mail and calendars (mbox, Maildir, .eml folders, .ics)"
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders; kind detected")
    parser.add_argument(
        "--me",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="an address of yours (beside the config's); repeat for several",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(app: App) -> int:
    from touchbase.agent.cli.syncing import pull_accounts
    from touchbase.agent.pipeline.config import AccountConfig

    for address in app.args.me:
        if "@" not in address:
            raise UserError(f"--me {address!r} is not an e-mail address")
    if app.args.me:
        app.service.remember_me(app.args.me)
    accounts = []
    for raw in app.args.paths:
        path = Path(raw).expanduser().resolve()
        if not path.exists():
            raise UserError(f"{raw}: no such file or folder")
        # One account per imported path: its cursor remembers what was read, so importing the
        # same path again reads only what was appended.
        accounts.append(
            AccountConfig(name=f"import:{path}", type="files", settings={"path": str(path)})
        )
    results = pull_accounts(app, accounts)
    return 0 if all(r.status == "ok" for r in results) else 1
