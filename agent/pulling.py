"""Pulling a list of accounts for the CLI: progress on a terminal, a summary (or JSON) after.

`touchbase import` and `touchbase sync` both end here; the daemon calls agent.pipeline.sync
directly.
"""

from __future__ import annotations

from dataclasses import asdict

from rich.markup import escape

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, errors, print_json, progress
from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.accounts import open_connector
from touchbase.agent.pipeline.config import AccountConfig
from touchbase.agent.pipeline.sync import SyncResult, sync_account
from touchbase.connectors.errors import AuthError, ConnectorError


def pull_accounts(
    app: App, accounts: list[AccountConfig], *, quiet: bool = False
) -> list[SyncResult]:
    results: list[SyncResult] = []
    me = app.me()
    for account in accounts:
        account_id = app.store.ensure_account(account.name, account.type, app.now())
        try:
            connector = open_connector(account, app.config, me)
        except (UserError, ConnectorError) as exc:
            # A broken account is reported and the others go on (DESIGN.md contract 3).
            results.append(record_failure(app, account_id, account.name, exc))
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
    if not quiet:
        report(app, results)
    return results


def record_failure(
    app: App, account_id: int, name: str, exc: UserError | ConnectorError
) -> SyncResult:
    """An account that could not even be opened: a run is recorded, so `status` shows why."""
    status = "auth" if isinstance(exc, AuthError) else "failed"
    result = SyncResult(account=name, status=status, error=str(exc), advice=exc.advice)
    run_id = app.store.start_run(account_id, app.now())
    detail = f"{exc} (what to do: {exc.advice})" if exc.advice else str(exc)
    app.store.finish_run(run_id, status, app.now(), detail)
    return result


def report(app: App, results: list[SyncResult]) -> None:
    if getattr(app.args, "json", False):
        print_json([asdict(r) for r in results])
        return
    for r in results:
        line = (
            f"{r.account}: {r.stored} new interactions, {r.updated} updated, "
            f"{r.duplicates} unchanged, {r.quarantined} quarantined"
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
