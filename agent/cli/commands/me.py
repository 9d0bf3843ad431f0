"""`touchbase me`: your own addresses, where each came from, and the ones that may be yours.

`touchbase me add ADDRESS...` says an address is yours (it is never a person again, and mail
from it counts as sent by you); `touchbase me remove ADDRESS...` says one is not (it is never
learned or offered again). Addresses in the configuration's `[me] addresses` are edited there.
"""

from __future__ import annotations

import argparse

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, print_json
from touchbase.agent.errors import UserError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "me",
        help="your own addresses, and the ones the mail suggests are yours",
        description="`touchbase me` lists your addresses (configured, given with import --me, "
        "learned from your Sent folders) and offers more; `touchbase me add ADDRESS` accepts "
        "one, `touchbase me remove ADDRESS` says an address is not yours.",
    )
    parser.add_argument("action", nargs="?", choices=("add", "remove"), help="what to do")
    parser.add_argument("addresses", nargs="*", metavar="ADDRESS")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(app: App) -> int:
    owner = app.service.owner
    if app.args.action:
        if not app.args.addresses:
            raise UserError(f"touchbase me {app.args.action} needs an address")
        change = owner.accept if app.args.action == "add" else owner.decline
        done = [change(a) for a in app.args.addresses]
        if app.args.json:
            print_json({"action": app.args.action, "addresses": done})
        else:
            verb = "yours" if app.args.action == "add" else "not yours"
            for address in done:
                console.print(f"{address}: {verb}; every count uses it from now on")
        return 0
    sources = owner.sources()
    offers = owner.offers()
    if app.args.json:
        print_json(
            {
                "addresses": list(app.service.me()),
                "configured": list(sources.configured),
                "remembered": list(sources.remembered),
                "learned": [dict(e) for e in sources.learned],
                "declined": list(sources.declined),
                "offered": [{"address": f.address, "why": f.why} for f in offers],
            }
        )
        return 0
    for address in sources.configured:
        console.print(f"{address}  (configured)")
    for address in sources.remembered:
        console.print(f"{address}  (import --me)")
    for entry in sources.learned:
        console.print(f"{entry['address']}  (learned: {entry.get('why', '')})")
    if not app.service.me():
        console.print("no address of yours is known yet: touchbase me add ADDRESS")
    for finding in offers:
        console.print(
            f"maybe yours: {finding.address} ({finding.why}); "
            f"if so: touchbase me add {finding.address}"
        )
    for address in sources.declined:
        console.print(f"not yours: {address}", style="dim")
    return 0
