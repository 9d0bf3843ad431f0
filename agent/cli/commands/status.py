"""`touchbase status`: accounts, their cursors, the last sync of each, quarantined records."""

from __future__ import annotations

import argparse
import json

from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("status", help="accounts, cursors, last sync, quarantine")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.add_argument(
        "--quarantine", action="store_true", help="list every quarantined record with its reason"
    )
    parser.set_defaults(func=run)


def run(app: App) -> int:
    rows = app.service.accounts.status()
    if app.args.json:
        print_json({"database": _safe_url(app.db_url), "accounts": rows})
        return 0
    console.print(f"database: {_safe_url(app.db_url)}", soft_wrap=True)
    if not rows:
        console.print("no accounts yet: `touchbase import PATH` or `touchbase sync`")
        return 0
    table = Table("account", "type", "last sync", "result", "quarantined", "cursor")
    for row in rows:
        last = row["last_sync"] or {}
        result = last.get("status", "never")
        if last.get("error"):
            result += f": {last['error']}"
        if row["failing_since"]:
            result += f" (failing since {row['failing_since']})"
        cursor = "\n".join(row["cursor_summary"]) or (
            json.dumps(row["cursor"]) if row["cursor"] is not None else "-"
        )
        table.add_row(
            row["account"],
            row["type"],
            last.get("finished_at") or "-",
            result,
            str(row["quarantined"]),
            cursor if len(cursor) < 80 else cursor[:77] + "...",
        )
    console.print(table)
    if app.args.quarantine:
        for name, source_id, reason in app.service.accounts.quarantined():
            console.print(escape(f"{name}: {source_id}: {reason}"), soft_wrap=True)
    return 0


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
