"""Syncing a list of accounts for the CLI: progress on a terminal, a summary (or JSON) after.

`touchbase import`, `touchbase sync` and the demo end here; each account goes through
`Service.sync`, the same path the daemon takes.
"""

from __future__ import annotations

from dataclasses import asdict

from rich.markup import escape

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, errors, print_json, progress
from touchbase.agent.pipeline.config import AccountConfig
from touchbase.agent.service import SyncResult


def pull_accounts(
    app: App, accounts: list[AccountConfig], *, quiet: bool = False
) -> list[SyncResult]:
    """Sync each account in turn; a broken one is reported and the others go on (contract 3)."""
    results: list[SyncResult] = []
    for account in accounts:
        with progress(f"reading {account.name}") as bar:

            def on_page(partial: SyncResult) -> None:
                if bar is not None:
                    bar.update(
                        bar.task_ids[0],
                        detail=f"{partial.stored} new, {partial.duplicates} known, "
                        f"{partial.quarantined} quarantined",
                    )

            results.append(app.service.sync(account, on_page=on_page))
    if not quiet:
        report(app, results)
    return results


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
