"""`touchbase introduce A B` and `touchbase introductions` (issue 20): be a connector.

`introduce A B [--note TEXT]` drafts a double opt-in introduction: first a draft to A asking
whether they would like to meet B; when A answers in that thread, `drafts create` (or the
daemon) drafts the introduction To A and B in the thread. Both wait for review; nothing is
sent. `introductions` lists suggestions of whom to introduce, with reasons; `introductions
accept ID` turns one into the ask, `introductions dismiss ID` remembers that you said no.
"""

from __future__ import annotations

import argparse

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, escape, print_json
from touchbase.agent.errors import UserError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    introduce = commands.add_parser(
        "introduce",
        help="draft a double opt-in introduction of B to A",
        description="Draft a message to A asking whether they would like to meet B (why: your "
        "note, B's organisation, how long you have known B, recent topics). When A answers, "
        "the introduction To both is drafted in that thread. Nothing is sent.",
    )
    introduce.add_argument("a", metavar="A", help="the address asked first")
    introduce.add_argument("b", metavar="B", help="the address introduced to A")
    introduce.add_argument("--note", default="", help="why you think they should meet")
    introduce.add_argument("--at", metavar="ISO-8601", help="draft as at this moment, not now")
    introduce.add_argument("--json", action="store_true", help="print as JSON")
    introduce.set_defaults(func=run_introduce)

    listing = commands.add_parser(
        "introductions",
        help="people you might introduce to each other, with reasons",
        description="Suggestions of two of your relationships at different organisations who "
        "have never been on a thread or in a meeting together and have something in common "
        "(at most one new suggestion per policy introduce_every). accept ID drafts the ask; "
        "dismiss ID remembers the pair.",
    )
    listing.add_argument("action", nargs="?", choices=("accept", "dismiss"), help="what to do")
    listing.add_argument("id", nargs="?", type=int, metavar="ID", help="a suggestion's id")
    listing.add_argument("--note", default="", help="accept: why they should meet")
    listing.add_argument("--at", metavar="ISO-8601", help="evaluate at this moment, not now")
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(func=run_introductions)


def run_introduce(app: App) -> int:
    made = app.service.introductions.introduce(app.args.a, app.args.b, app.at(), app.args.note)
    if app.args.json:
        print_json(made.as_json())
        return 0
    console.print(
        f"draft {made.ask_draft} asks {escape(made.a)} whether they would like to meet "
        f"{escape(made.b)}; when they answer, the introduction is drafted. "
        f"`touchbase drafts show {made.ask_draft}` shows it"
    )
    return 0


def run_introductions(app: App) -> int:
    service = app.service.introductions
    action, chosen = app.args.action, app.args.id
    if action is not None:
        if chosen is None:
            raise UserError(f"touchbase introductions {action} needs a suggestion's ID")
        if action == "accept":
            made = service.accept(chosen, app.at(), app.args.note)
            if app.args.json:
                print_json(made.as_json())
            else:
                console.print(
                    f"draft {made.ask_draft} asks {escape(made.a)} about {escape(made.b)}"
                )
        else:
            gone = service.dismiss(chosen, app.at())
            if app.args.json:
                print_json(gone.as_json())
            else:
                console.print(
                    f"dismissed: {escape(gone.a)} and {escape(gone.b)} are not suggested again"
                )
        return 0
    found = service.suggestions(app.at())
    if app.args.json:
        print_json(found.as_json())
        return 0
    if not found.open:
        console.print("no introductions to suggest")
    for item in found.open:
        console.print(f"{item.id}  {escape(item.a)}  ->  {escape(item.b)}")
        for reason in item.reasons:
            console.print(f"    {escape(reason)}")
    console.print(escape(found.pacing))
    if found.open:
        console.print("`touchbase introductions accept ID` drafts the ask; `dismiss ID` forgets it")
    return 0
