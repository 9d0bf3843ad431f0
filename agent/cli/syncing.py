"""Syncing a list of accounts for the CLI: progress on a terminal, a summary (or JSON) after.

`touchbase import`, `touchbase sync` and the demo end here; each account goes through
`Service.sync`, the same path the daemon takes.
"""

from __future__ import annotations

from dataclasses import asdict

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, errors, escape, print_json, progress
from touchbase.agent.pipeline.config import AccountConfig
from touchbase.agent.service import OwnerReview, SyncResult


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
        if any(r.stored for r in results):
            report_owner(app, app.service.owner.review())
    return results


SHOWN_OFFERS = 5


def report_owner(app: App, found: OwnerReview) -> None:
    """What the mail says about the owner's own addresses: learned ones with their evidence,
    offers with the command that accepts each, and, loudly, mail none of which is the owner's
    (to stderr, so a script reading --json output is not disturbed)."""
    out = errors if getattr(app.args, "json", False) else console
    for finding in found.learned:
        out.print(
            f"learned: {finding.address} is yours ({finding.why}); "
            f"if not: touchbase me remove {finding.address}"
        )
    for finding in found.offered[:SHOWN_OFFERS]:
        out.print(
            f"maybe yours: {finding.address} ({finding.why}); "
            f"if so: touchbase me add {finding.address}"
        )
    if len(found.offered) > SHOWN_OFFERS:
        out.print(f"{len(found.offered) - SHOWN_OFFERS} more: touchbase me")
    if found.sent_by_owner == 0:
        mine = ", ".join(app.service.me()) or "none"
        errors.print(
            f"[bold red]none of the stored mail was sent by you[/] (your addresses: "
            f"{escape(mine)}), so nothing can be counted and nothing will be drafted",
            markup=True,
            soft_wrap=True,
        )
        errors.print(
            "[bold]what to do:[/] add your address with `touchbase me add ADDRESS` (or "
            "`\\[me] addresses` in the configuration, or `import --me ADDRESS`)",
            markup=True,
            soft_wrap=True,
        )


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
            console.print(line)
            continue
        errors.print(
            f"[bold red]{escape(r.account)}: {r.status}:[/] {escape(r.error or '')}",
            markup=True,
            soft_wrap=True,
        )
        if r.advice:
            errors.print(f"[bold]what to do:[/] {escape(r.advice)}", markup=True, soft_wrap=True)
        if r.stored or r.quarantined:
            console.print(f"  (kept what was read before that: {line})")
