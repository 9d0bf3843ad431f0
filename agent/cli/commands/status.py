"""`touchbase status`: accounts, their cursors, the last sync of each, quarantined records."""

from __future__ import annotations

import argparse
import importlib
import json
from typing import Any

from rich.table import Table
from sqlalchemy import func, select

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, iso, print_json
from touchbase.agent.pipeline.accounts import FACTORIES
from touchbase.agent.pipeline.models import Account, Cursor, QuarantinedRecord, SyncRun


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("status", help="accounts, cursors, last sync, quarantine")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.add_argument(
        "--quarantine", action="store_true", help="list every quarantined record with its reason"
    )
    parser.set_defaults(func=run)


def collect(app: App) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with app.sessions() as session:
        quarantined = dict(
            session.execute(
                select(QuarantinedRecord.account_id, func.count()).group_by(
                    QuarantinedRecord.account_id
                )
            ).all()
        )
        for account in session.scalars(select(Account).order_by(Account.name)):
            cursor = session.get(Cursor, account.id)
            last = session.scalars(
                select(SyncRun)
                .where(SyncRun.account_id == account.id)
                .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
                .limit(1)
            ).first()
            rows.append(
                {
                    "account": account.name,
                    "type": account.type,
                    "cursor": _decode(cursor.value) if cursor else None,
                    "cursor_summary": describe_cursor(
                        account.type, cursor.value if cursor else None
                    ),
                    "cursor_updated_at": iso(cursor.updated_at) if cursor else None,
                    "last_sync": None
                    if last is None
                    else {
                        "started_at": iso(last.started_at),
                        "finished_at": iso(last.finished_at),
                        "status": last.status,
                        "stored": last.stored,
                        "duplicates": last.duplicates,
                        "quarantined": last.quarantined,
                        "resyncs": last.resyncs,
                        "error": last.error,
                    },
                    "failing_since": iso(account.failing_since),
                    "last_error": account.last_error,
                    "quarantined": quarantined.get(account.id, 0),
                }
            )
    return rows


def describe_cursor(type_: str, value: str | None) -> list[str]:
    """The connector's own reading of its cursor (IMAP: per folder), when it offers one."""
    name = FACTORIES.get(type_)
    if name is None or value is None:
        return []
    try:
        module = importlib.import_module(name)
    except ImportError:
        return []
    describe = getattr(module, "describe_cursor", None)
    return list(describe(value)) if callable(describe) else []


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def run(app: App) -> int:
    rows = collect(app)
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
        with app.sessions() as session:
            for record, name in session.execute(
                select(QuarantinedRecord, Account.name).join(Account).order_by(Account.name)
            ):
                console.print(f"{name}: {record.source_id}: {record.reason}", soft_wrap=True)
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
