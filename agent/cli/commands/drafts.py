"""`touchbase drafts`: list, show, edit, approve, reject, snooze and create drafts."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from touchbase.agent.app import App
from touchbase.agent.cli.output import body, console, errors, print_json, table
from touchbase.agent.errors import UserError

if TYPE_CHECKING:
    from touchbase.agent.pipeline.models import Draft

# When neither $VISUAL nor $EDITOR is set: Debian's order (sensible-editor(1)), then the two
# editors nearly every system has.
FALLBACK_EDITORS = ("sensible-editor", "editor", "nano", "vi")


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
    edit = actions.add_parser(
        "edit",
        help="edit a draft's subject and body in your editor",
        description="Opens the draft in $VISUAL, else $EDITOR, else the first of "
        + ", ".join(FALLBACK_EDITORS)
        + " found on PATH. Keep the first line as 'Subject: ...'.",
    )
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
    snooze.add_argument(
        "--days", type=float, required=True, metavar="N", help="between 1 and 3650 days"
    )
    snooze.set_defaults(func=run_snooze)
    create = actions.add_parser("create", help="turn the current decisions into pending drafts")
    create.add_argument("--at", metavar="ISO-8601", help="evaluate at this time instead of now")
    create.add_argument("--json", action="store_true", help="print the new drafts as JSON")
    create.set_defaults(func=run_create)


def _one(app: App, raw: str) -> Draft:
    from touchbase.agent.pipeline.drafts.lifecycle import ids

    (draft_id,) = ids([raw])
    return app.service.review.get(draft_id)


def run_list(app: App) -> int:
    from touchbase.agent.cli.present import draft_json
    from touchbase.agent.pipeline.drafts.lifecycle import OPEN, addresses, reasons

    drafts = app.service.review.drafts(None if app.args.all else OPEN)
    if app.args.json:
        print_json([draft_json(d) for d in drafts])
        return 0
    if not drafts:
        console.print("no drafts waiting; `touchbase drafts create` proposes some")
        return 0
    table(
        ("id", "status", "kind", "to", "subject", "why"),
        [
            (
                str(draft.id),
                draft.status,
                draft.kind,
                ", ".join(addresses(draft)),
                draft.subject,
                "; ".join(reasons(draft)),
            )
            for draft in drafts
        ],
    )
    return 0


def run_show(app: App) -> int:
    from touchbase.agent.cli.present import draft_json

    draft = _one(app, app.args.id)
    data = draft_json(draft)
    if app.args.json:
        print_json(data)
        return 0
    for key in ("id", "status", "kind", "recipients", "subject", "reasons", "due", "edited"):
        value = data[key]
        console.print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    console.print()
    body(draft.body)
    return 0


def run_edit(app: App) -> int:
    draft = _one(app, app.args.id)
    if draft.status not in ("pending", "snoozed"):
        raise UserError(f"draft {draft.id} is {draft.status}; only pending drafts can be edited")
    command, which = choose_editor()
    errors.print(f"editing draft {draft.id} with {which}")
    with tempfile.TemporaryDirectory(prefix="touchbase-") as folder:
        path = Path(folder) / f"draft-{draft.id}.txt"
        path.write_text(f"Subject: {draft.subject}\n\n{draft.body}", encoding="utf-8")
        try:
            finished = subprocess.run([*command, str(path)], check=False)
        except OSError as exc:
            raise UserError(
                f"cannot run the editor {which}: {exc.strerror}",
                advice="set VISUAL or EDITOR to an editor that is installed, e.g. "
                "export EDITOR=nano",
            ) from None
        if finished.returncode != 0:
            raise UserError(
                f"the editor {which} exited with {finished.returncode}; nothing changed",
                advice="set VISUAL or EDITOR to the editor you want",
            )
        raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"the edited draft is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}); nothing changed",
            advice="save the file as UTF-8 in your editor and edit again",
        ) from None
    head, _, rest = text.partition("\n")
    if not head.lower().startswith("subject:"):
        raise UserError("keep the first line as 'Subject: ...'; nothing changed")
    changed = app.service.review.edit(
        draft.id, subject=head.split(":", 1)[1], body=rest.lstrip("\n")
    )
    console.print(f"draft {draft.id} {'saved' if changed else 'unchanged'}")
    return 0


def choose_editor() -> tuple[list[str], str]:
    """The editor's command line and how it was chosen, for the message that names it."""
    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return shlex.split(value), f"`{value}` (from ${variable})"
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # A terminal editor started without a terminal paints escape codes into the pipe and
        # exits with an error; refuse before starting one.
        raise UserError(
            "drafts edit needs a terminal, or an editor named in VISUAL or EDITOR",
            advice="run it in a terminal, or set e.g. EDITOR='code --wait'",
        )
    for name in FALLBACK_EDITORS:
        found = shutil.which(name)
        if found:
            return [found], f"`{name}` (VISUAL and EDITOR are not set)"
    raise UserError(
        "no editor found: VISUAL and EDITOR are not set and none of "
        + ", ".join(FALLBACK_EDITORS)
        + " is installed",
        advice="set one, e.g. export EDITOR=nano",
    )


def run_approve(app: App) -> int:
    from touchbase.agent.pipeline.drafts.lifecycle import ids

    chosen = ids(app.args.ids)
    results = app.service.review.approve(chosen, push=not app.args.no_push)
    failed = [r for r in results if not r.ok]
    for result in results:
        if result.ok:
            console.print(where_pushed(app, result.draft_id, result.provider_id or ""))
        else:
            console.print(
                f"draft {result.draft_id} is approved but not pushed yet: {result.error}"
                + (f" ({result.advice})" if result.advice else "")
                + "; the daemon tries again"
            )
    if app.args.no_push:
        console.print(f"approved {len(chosen)} draft(s); the daemon pushes them")
    return 1 if failed else 0


def where_pushed(app: App, draft_id: int, provider_id: str) -> str:
    """Where a pushed draft is, in words: a Drafts folder, or the full path of its .eml file
    in an outbox folder (accounts with no Drafts folder) and how to open it."""
    sink = app.service.sink_for(app.service.review.get(draft_id))
    folder = getattr(sink, "folder", None)  # an outbox folder of .eml files has one
    if isinstance(folder, Path):
        path = folder / provider_id
        return (
            f"draft {draft_id} is saved as {path} (your accounts have no Drafts folder to put "
            "it in); open it in your mail client (Thunderbird: File > Open > Saved Message, "
            f"then Edit as New) or with: xdg-open {shlex.quote(str(path))}"
        )
    return f"draft {draft_id} is in your Drafts folder ({provider_id})"


def run_reject(app: App) -> int:
    from touchbase.agent.pipeline.drafts.lifecycle import ids

    chosen = ids(app.args.ids)
    app.service.review.reject(chosen, app.args.reason)
    console.print(f"rejected {len(chosen)} draft(s)")
    return 0


def run_snooze(app: App) -> int:
    from touchbase.agent.pipeline.drafts.lifecycle import ids

    (draft_id,) = ids([app.args.id])
    app.service.review.snooze(draft_id, app.args.days)
    console.print(f"draft {draft_id} snoozed for {app.args.days:g} day(s)")
    return 0


def run_create(app: App) -> int:
    from touchbase.agent.cli.present import draft_json

    now = app.at()
    plan = app.service.plan(now)
    result = app.service.apply(plan, now)
    created = [draft_json(app.service.review.get(i)) for i in result.created]
    if app.args.json:
        print_json(created)
        return 0
    console.print(f"{len(created)} new draft(s); `touchbase drafts` lists them")
    for key, why in result.skipped:
        console.print(f"  skipped {key}: {why}")
    if plan.held:
        console.print(f"{len(plan.held)} more held back (pacing, open drafts, snoozes, rejections)")
    return 0
