"""`touchbase status`: accounts (configured apart from one-off imports), what each holds, the last
sync of each, quarantined records, and files whose permissions were tightened on this start."""

from __future__ import annotations

import argparse
from typing import Any

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, errors, print_json, table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status",
        help="accounts, what each holds, last sync, quarantine",
        description="Configured accounts and one-off imports, with how much each holds, the last "
        "sync and quarantined records. The raw cursors are in --json only.",
    )
    parser.add_argument("--json", action="store_true", help="print as JSON (with raw cursors)")
    parser.add_argument(
        "--quarantine", action="store_true", help="list every quarantined record with its reason"
    )
    parser.set_defaults(func=run)


def run(app: App) -> int:
    rows = app.service.accounts.status()
    if app.args.json:
        print_json({"database": _safe_url(app.db_url), "accounts": rows})
        return 0
    console.print(f"database: {_safe_url(app.db_url)}")
    for path in app.service.accounts.tightened():
        errors.print(f"made private (only you may read it now): {path}")
    if not rows:
        console.print("no accounts yet: `touchbase import PATH` or `touchbase sync`")
        return 0
    configured = [r for r in rows if r["configured"]]
    imported = [r for r in rows if not r["configured"]]
    if configured:
        console.print("configured accounts:")
        _accounts(configured)
    if imported:
        console.print(
            "imports (one-off; `touchbase accounts forget NAME` removes one, a [[account]] of "
            "type files keeps a path synced):"
        )
        _accounts(imported)
    if app.args.quarantine:
        for name, source_id, reason in app.service.accounts.quarantined():
            console.print(f"{name}: {source_id}: {reason}")
    return 0


def _accounts(rows: list[dict[str, Any]]) -> None:
    table(
        ("account", "type", "holds", "last sync", "result", "quarantined"),
        [
            (
                row["account"],
                row["type"],
                holds(row),
                (row["last_sync"] or {}).get("finished_at") or "-",
                _result(row),
                str(row["quarantined"]),
            )
            for row in rows
        ],
    )


def holds(row: dict[str, Any]) -> str:
    """What the account has brought in, for people (the raw cursor is for --json):
    `12,345 interactions, up to 2024-05-03`, then the connector's own reading, if any."""
    count = row.get("interactions") or 0
    words = f"{count:,} interaction{'s' if count != 1 else ''}"
    if row.get("latest"):
        words += f", up to {row['latest'][:10]}"
    return "; ".join([words, *row["cursor_summary"]])


def _result(row: dict[str, Any]) -> str:
    last = row["last_sync"] or {}
    result = str(last.get("status", "never"))
    if last.get("error"):
        # "interrupted — rerun `touchbase import PATH` to finish": its process is gone
        result += f" — {last['error']}" if result == "interrupted" else f": {last['error']}"
    if row["failing_since"]:
        result += f" (failing since {row['failing_since']})"
    return result


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
