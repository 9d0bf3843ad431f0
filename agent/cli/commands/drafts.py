"""`touchbase drafts`: list, show, edit, approve, reject, snooze and create drafts."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from rich.table import Table

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, print_json
from touchbase.agent.cli.present import draft_json
from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.drafts.lifecycle import OPEN, addresses, ids, reasons
from touchbase.agent.pipeline.models import Draft


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("drafts", help="review the drafts touchbase proposed")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.add_argument("--all", action="store_true", help="include sent, rejected and expired")
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="one draft in full")
    show.add_argument("id")
    show.add_argument("--json", action="store_true", help="print as JSON")
    show.set_defaults(func=run_show)
    edit = actions.add_parser("edit", help="edit a draft's subject and body in $EDITOR")
    edit.add_argument("id")
    edit.set_defaults(func=run_edit)
    approve = actions.add_parser("approve", help="approve and put into your Drafts folder")
    approve.add_argument("ids", nargs="+", metavar="ID")
    approve.add_argument(
        "--no-push", action="store_true", help="approve only; the daemon pushes later"
    )
    approve.set_defaults(func=run_approve)
    reject = actions.add_parser("reject", help="reject drafts")
    reject.add_argument("ids", nargs="+", metavar="ID")
    reject.add_argument("--reason", metavar="TEXT", help="why (kept with the draft)")
    reject.set_defaults(func=run_reject)
    snooze = actions.add_parser("snooze", help="hide a draft for some days")
    snooze.add_argument("id")
    snooze.add_argument("--days", type=float, required=True, metavar="N")
    snooze.set_defaults(func=run_snooze)
    create = actions.add_parser("create", help="turn the current decisions into pending drafts")
    create.add_argument("--at", metavar="ISO-8601", help="evaluate at this time instead of now")
    create.add_argument("--json", action="store_true", help="print the new drafts as JSON")
    create.set_defaults(func=run_create)


def _one(app: App, raw: str) -> Draft:
    (draft_id,) = ids([raw])
    return app.service.review.get(draft_id)


def run_list(app: App) -> int:
    drafts = app.service.review.drafts(None if app.args.all else OPEN)
    if app.args.json:
        print_json([draft_json(d) for d in drafts])
        return 0
    if not drafts:
        console.print("no drafts waiting; `touchbase drafts create` proposes some")
        return 0
    table = Table("id", "status", "kind", "to", "subject", "why")
    for draft in drafts:
        table.add_row(
            str(draft.id),
            draft.status,
            draft.kind,
            ", ".join(addresses(draft)),
            draft.subject,
            "; ".join(reasons(draft)),
        )
    console.print(table)
    return 0


def run_show(app: App) -> int:
    draft = _one(app, app.args.id)
    data = draft_json(draft)
    if app.args.json:
        print_json(data)
        return 0
    for key in ("id", "status", "kind", "recipients", "subject", "reasons", "due", "edited"):
        value = data[key]
        console.print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    console.print()
    console.print(draft.body, markup=False, highlight=False)
    return 0


def run_edit(app: App) -> int:
    draft = _one(app, app.args.id)
    if draft.status not in ("pending", "snoozed"):
        raise UserError(f"draft {draft.id} is {draft.status}; only pending drafts can be edited")
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="touchbase-") as folder:
        path = Path(folder) / f"draft-{draft.id}.txt"
        path.write_text(f"Subject: {draft.subject}\n\n{draft.body}", encoding="utf-8")
        try:
            finished = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as exc:
            raise UserError(f"cannot run the editor {editor!r}: {exc.strerror}") from exc
        if finished.returncode != 0:
            raise UserError(f"the editor exited with {finished.returncode}; nothing changed")
        text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n")
    if not head.lower().startswith("subject:"):
        raise UserError("keep the first line as 'Subject: ...'; nothing changed")
    changed = app.service.review.edit(
        draft.id, subject=head.split(":", 1)[1], body=body.lstrip("\n")
    )
    console.print(f"draft {draft.id} {'saved' if changed else 'unchanged'}")
    return 0


def run_approve(app: App) -> int:
    chosen = ids(app.args.ids)
    results = app.service.review.approve(chosen, push=not app.args.no_push)
    failed = [r for r in results if not r.ok]
    for result in results:
        if result.ok:
            where = result.provider_id
            console.print(f"draft {result.draft_id} is in your Drafts folder ({where})")
        else:
            console.print(
                f"draft {result.draft_id} is approved but not pushed yet: {result.error}"
                + (f" ({result.advice})" if result.advice else "")
                + "; the daemon tries again",
                soft_wrap=True,
            )
    if app.args.no_push:
        console.print(f"approved {len(chosen)} draft(s); the daemon pushes them")
    return 1 if failed else 0


def run_reject(app: App) -> int:
    chosen = ids(app.args.ids)
    app.service.review.reject(chosen, app.args.reason)
    console.print(f"rejected {len(chosen)} draft(s)")
    return 0


def run_snooze(app: App) -> int:
    (draft_id,) = ids([app.args.id])
    app.service.review.snooze(draft_id, app.args.days)
    console.print(f"draft {draft_id} snoozed for {app.args.days:g} day(s)")
    return 0


def run_create(app: App) -> int:
    now = app.at()
    plan = app.service.plan(now)
    result = app.service.apply(plan, now)
    created = [draft_json(app.service.review.get(i)) for i in result.created]
    if app.args.json:
        print_json(created)
        return 0
    console.print(f"{len(created)} new draft(s); `touchbase drafts` lists them")
    for key, why in result.skipped:
        console.print(f"  skipped {key}: {why}", soft_wrap=True)
    if plan.held:
        console.print(f"{len(plan.held)} more held back (pacing, open drafts, snoozes, rejections)")
    return 0
