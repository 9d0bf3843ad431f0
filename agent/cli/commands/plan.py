"""`touchbase plan [--at ISO-8601] [--json]`: what the rules would draft at that moment, and why.

A dry run: it asks the service for the plan (the same evaluation as `people`, `person`, the
review page and drafting) and writes nothing; `drafts create --at` applies the same plan.
`--json` prints an array of objects with `person`, `address`, `name`, `kind`, `reasons`
(sentences citing dates), `due` (ISO 8601), `strength` and `reply_to` (the Message-ID a
follow-up answers). `--held` lists instead the people the plan holds back, each with the rule
that held it and a sentence why (`--json`: `person`, `address`, `name`, `kind`, `rule`,
`reason`, `due`): everyone due is one or the other, never silently dropped.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, errors, iso, print_json, table
from touchbase.agent.cli.startup import kept

if TYPE_CHECKING:
    from touchbase.rules.decide import Plan


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "plan", help="what would be drafted now, and why (a dry run: writes nothing)"
    )
    parser.add_argument("--at", metavar="ISO-8601", help="evaluate at this moment instead of now")
    parser.add_argument("--json", action="store_true", help="print as a JSON array")
    parser.add_argument(
        "--held", action="store_true", help="who the plan holds back, by which rule, and why"
    )
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


def held_rows(plan: Plan, names: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """The holds, with the person's address and name where the plan's contacts know them."""
    return [
        {
            "person": h.person,
            "address": names.get(h.person, (h.person, ""))[0],
            "name": names.get(h.person, ("", ""))[1],
            "kind": h.kind,
            "rule": h.rule,
            "reason": h.reason,
            "due": iso(h.due),
        }
        for h in plan.held
    ]


def run_held(app: App) -> int:
    now = app.at()
    with kept(app) as service:
        evaluation = service.people(now)
    plan = evaluation.plan
    if plan.stopped:
        errors.print(f"stopped: {plan.stopped}")
    names = {k: (c.address, c.name) for k, c in evaluation.contacts.items()}
    found = held_rows(plan, names)
    if app.args.json:
        print_json(found)
        return 1 if plan.stopped else 0
    if not found:
        console.print("nobody held back" + (f" at {iso(now)}" if app.args.at else " now"))
        return 1 if plan.stopped else 0
    table(
        ("who", "draft", "held by", "why"),
        [
            (
                f"{r['name']} <{r['address']}>" if r["name"] else r["address"],
                r["kind"],
                r["rule"],
                r["reason"],
            )
            for r in found
        ],
    )
    return 1 if plan.stopped else 0


def run(app: App) -> int:
    if app.args.held:
        return run_held(app)
    now = app.at()
    with kept(app) as service:
        plan = service.plan(now)
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
    if plan.held:
        # On a pipe the table stays the whole of stdout (scripts read it); the note goes to
        # stderr, so a held person is never invisible (QA: "due now" and nowhere in `plan`).
        note = f"{len(plan.held)} more held back, each with its reason: `touchbase plan --held`"
        (console if console.is_terminal else errors).print(note)
    return 1 if plan.stopped else 0
