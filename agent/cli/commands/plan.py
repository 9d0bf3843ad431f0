"""`touchbase plan [--at ISO-8601] [--json]`: what the rules would draft at that moment, and why.

A dry run: it asks the service for the plan (the same evaluation as `people`, `person`, the
review page and drafting) and writes nothing; `drafts create --at` applies the same plan.
`--json` prints an array of objects with `person`, `address`, `name`, `kind`, `reasons`
(sentences citing dates), `due` (ISO 8601), `strength` and `reply_to` (the Message-ID a
follow-up answers).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, errors, iso, print_json, table

if TYPE_CHECKING:
    from touchbase.rules.decide import Plan


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "plan", help="what would be drafted now, and why (a dry run: writes nothing)"
    )
    parser.add_argument("--at", metavar="ISO-8601", help="evaluate at this moment instead of now")
    parser.add_argument("--json", action="store_true", help="print as a JSON array")
    parser.set_defaults(func=run)


def rows(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "person": d.person,
            "address": d.address,
            "name": d.name,
            "kind": d.kind,
            "reasons": list(d.reasons),
            "due": iso(d.due),
            "strength": d.strength,
            "reply_to": d.reply_to.message_id if d.reply_to else None,
        }
        for d in plan.decisions
    ]


def run(app: App) -> int:
    now = app.at()
    plan = app.service.plan(now)
    if plan.stopped:
        errors.print(f"stopped: {plan.stopped}")
    if app.args.json:
        print_json(rows(plan))
        return 1 if plan.stopped else 0
    if not plan.decisions:
        console.print("nothing to draft" + (f" at {iso(now)}" if app.args.at else " now"))
    else:
        table(
            ("who", "draft", "due", "why"),
            [
                (
                    f"{d.name} <{d.address}>" if d.name else d.address,
                    d.kind,
                    d.due.astimezone(app.service.zone).date().isoformat(),
                    "; ".join(d.reasons),
                )
                for d in plan.decisions
            ],
        )
    if plan.held and console.is_terminal:
        console.print(f"{len(plan.held)} more held back (pacing, snoozes, open drafts)")
    return 1 if plan.stopped else 0
