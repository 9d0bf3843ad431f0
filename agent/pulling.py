"""Pulling a list of accounts for the CLI: progress on a terminal, a summary (or JSON) after.

`touchbase import` and `touchbase sync` both end here; the daemon calls agent.sync directly.
"""

from __future__ import annotations

from dataclasses import asdict

from rich.markup import escape

from agent.accounts import open_connector
from agent.app import App
from agent.config import AccountConfig
from agent.errors import UserError
from agent.output import console, errors, print_json, progress
from agent.sync import SyncResult, sync_account
from connectors.errors import ConnectorError


def pull_accounts(app: App, accounts: list[AccountConfig]) -> list[SyncResult]:
    results: list[SyncResult] = []
    me = app.me()
    for account in accounts:
        account_id = app.store.ensure_account(account.name, account.type, app.now())
        try:
            connector = open_connector(account, app.config, me)
        except (UserError, ConnectorError) as exc:
            # A broken account is reported and the others go on (DESIGN.md contract 3).
            result = SyncResult(
                account=account.name, status="failed", error=str(exc), advice=exc.advice
            )
            results.append(result)
            continue
        with progress(f"reading {account.name}") as bar:

            def on_page(partial: SyncResult) -> None:
                if bar is not None:
                    bar.update(
                        bar.task_ids[0],
                        detail=f"{partial.stored} new, {partial.duplicates} known, "
                        f"{partial.quarantined} quarantined",
                    )

            results.append(
                sync_account(
                    app.store, account_id, account.name, connector, clock=app.now, on_page=on_page
                )
            )
    report(app, results)
    return results


def report(app: App, results: list[SyncResult]) -> None:
    if getattr(app.args, "json", False):
        print_json([asdict(r) for r in results])
        return
    for r in results:
        line = (
            f"{r.account}: {r.stored} new interactions, {r.duplicates} already known, "
            f"{r.quarantined} quarantined"
        )
        if r.resyncs:
            line += f", {r.resyncs} full resync(s)"
        if r.status == "ok":
            console.print(line, soft_wrap=True)
            continue
        errors.print(
            f"[bold red]{escape(r.account)}: {r.status}:[/] {escape(r.error or '')}",
            markup=True,
            soft_wrap=True,
        )
        if r.advice:
            errors.print(f"[bold]what to do:[/] {escape(r.advice)}", markup=True, soft_wrap=True)
        if r.stored or r.quarantined:
            console.print(f"  (kept what was read before that: {line})", soft_wrap=True)
