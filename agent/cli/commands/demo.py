"""`touchbase demo`: a realistic sample account, imported and evaluated, with no account needed.

It writes a year of mail (a real Maildir) and meetings (a real .ics) for a fictional owner into
the demo folder, imports them through the same file sources as `touchbase import`, and shows who
is due and what touchbase would draft. Each run starts afresh, relative to now.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import replace
from pathlib import Path

from touchbase.agent.app import App
from touchbase.agent.cli.commands.serve import DEFAULT_PORT, serve
from touchbase.agent.cli.output import console, escape, print_json, table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("demo", help="run touchbase on a realistic sample account")
    parser.add_argument(
        "--folder",
        metavar="PATH",
        help="where to write the sample (default: the data folder's demo/)",
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument(
        "--no-serve", action="store_true", help="do not start the review page at the end"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="the review page's port (default %(default)s)",
    )
    parser.set_defaults(func=run)


def prepare(app: App) -> Path:
    """Write the sample and point `app` at the demo database and configuration."""
    from touchbase.agent.demo.mailbox import write_sample
    from touchbase.agent.pipeline.config import AccountConfig, Config, Me, data_dir

    folder = Path(app.args.folder).expanduser() if app.args.folder else data_dir() / "demo"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    info = write_sample(folder / "sample", now=app.now())
    config = Config(
        me=Me(
            name=info.owner_name,
            addresses=(info.owner,),
            time_zone="UTC",
            signature=f"Best,\n{info.owner_name.split()[0]}",
        ),
        accounts=(
            AccountConfig("demo-mail", "files", {"path": str(info.maildir)}),
            AccountConfig("demo-calendar", "files", {"path": str(info.calendar)}),
        ),
    )
    if app.args.db is None:
        app.__dict__["db_url"] = f"sqlite:///{folder / 'demo.db'}"
    app.__dict__["config"] = replace(config, database_url=app.db_url)
    if not app.args.json:
        console.print(
            f"sample: {info.messages} messages and {info.events} calendar events for "
            f"{info.owner_name} <{info.owner}> in {folder}"
        )
    return folder


def run(app: App) -> int:
    from touchbase.agent.cli.present import draft_json
    from touchbase.agent.cli.syncing import pull_accounts

    prepare(app)
    synced = pull_accounts(app, list(app.config.accounts), quiet=app.args.json)
    now = app.now()
    result = app.service.people(now)
    made = app.service.apply(result.plan, now) if not result.plan.stopped else None
    drafts = [draft_json(app.service.review.get(i)) for i in (made.created if made else [])]
    if app.args.json:
        print_json(
            {
                "synced": {r.account: r.stored for r in synced},
                "people": len(result.contacts),
                "drafts": drafts,
                "plan": [
                    {
                        "person": d.name or d.address,
                        "address": d.address,
                        "kind": d.kind,
                        "reasons": list(d.reasons),
                        "due": d.due.isoformat(),
                    }
                    for d in result.plan.decisions
                ],
            }
        )
        return 0
    due = [(k, s) for k, s in result.standings.items() if s.due is not None and s.due <= now]
    console.print(f"\n{len(result.contacts)} people; {len(due)} due for a check-in")
    table(
        ("draft", "for", "why"),
        [
            (d.kind, f"{d.name} <{d.address}>" if d.name else d.address, "; ".join(d.reasons))
            for d in result.plan.decisions
        ],
        title="What touchbase would draft now",
    )
    if result.plan.stopped:
        console.print(f"[bold red]stopped:[/] {escape(result.plan.stopped)}", markup=True)
    if result.plan.held:
        console.print(
            f"{len(result.plan.held)} more kept back (pacing, snoozes, open drafts); "
            "`touchbase plan` shows them"
        )
    for draft in drafts:
        console.print(
            f"\n[bold]draft {draft['id']}[/] ({draft['kind']}) to "
            f"{escape(', '.join(draft['to']))}\n[bold]Subject:[/] {escape(draft['subject'])}"
            f"\n\n{escape(draft['body'])}",
            markup=True,
        )
    if app.args.no_serve:
        console.print(
            f"\n{len(drafts)} drafts wait for review: `touchbase --db {app.db_url} serve` "
            "opens the review page"
        )
        return 0
    return serve(app, app.args.port)
