"""`touchbase people` and `touchbase person ADDRESS`: who you know, and one person's timeline."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, iso, print_json
from touchbase.agent.errors import UserError
from touchbase.agent.service import Moment, cadence_days
from touchbase.rules.addresses import normalise
from touchbase.rules.contacts import Contact
from touchbase.rules.decide import is_due
from touchbase.rules.standing import Standing


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    people = commands.add_parser(
        "people",
        help="everyone you are in touch with",
        description="`touchbase people` lists people; `touchbase people merge A B` makes two "
        "addresses one person; `touchbase people keep-apart A B` declines a suggestion; "
        "`touchbase people suggestions` lists merge suggestions.",
    )
    people.add_argument(
        "action",
        nargs="?",
        choices=("merge", "keep-apart", "suggestions"),
        help="what to do instead of listing",
    )
    people.add_argument("addresses", nargs="*", metavar="ADDRESS")
    people.add_argument("--json", action="store_true", help="print a JSON array")
    people.add_argument("--due", action="store_true", help="only people a check-in is owed to")
    people.add_argument("--at", metavar="ISO-8601", help="evaluate at this moment, not now")
    people.set_defaults(func=run_people)

    person = commands.add_parser("person", help="one person's timeline and what counted")
    person.add_argument("address", metavar="ADDRESS")
    person.add_argument("--json", action="store_true", help="print as JSON")
    person.add_argument("--at", metavar="ISO-8601", help="evaluate at this moment, not now")
    person.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="birthday=YYYY-MM-DD or MM-DD, work_anniversary=YYYY-MM-DD, cadence=DAYS, "
        "never_draft=true|false, name=TEXT, snooze_until=YYYY-MM-DD (empty value clears)",
    )
    person.set_defaults(func=run_person)


def person_row(
    contact: Contact,
    standing: Standing | None,
    now: datetime,
    name: str = "",
    addresses: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    owed = standing.reply_owed if standing else None
    return {
        "person": contact.person,
        "name": name or contact.name,
        "name_guessed": contact.name_guessed and name in ("", contact.name),
        "address": contact.address,
        "addresses": sorted({*contact.addresses, *addresses}),
        "last_sent": iso(contact.last_sent),
        "last_received": iso(contact.last_received),
        "last_met": iso(contact.last_met),
        "last_contact": iso(contact.last_contact),
        "first_contact": iso(contact.first_contact),
        "sent_count": contact.sent_count,
        "received_count": contact.received_count,
        "meeting_count": contact.meeting_count,
        "cadence_days": cadence_days(standing) if standing else None,
        "tier": standing.tier if standing else None,
        "strength": standing.strength if standing else None,
        "due": iso(standing.due) if standing else None,
        "is_due": bool(standing and is_due(standing, now)),
        # Why check-ins are owed (pinned, exchanges, meetings), or None: tracked, never nagged.
        "relationship": standing.relationship if standing else None,
        "exchanges_out": contact.exchanges_out,
        "exchanges_in": contact.exchanges_in,
        "small_meetings": contact.small_meetings,
        "last_seen": iso(contact.last_seen),
        "delegate": contact.delegate,
        "reply_owed": iso(owed),
        # Life events (issue 18): moves to a new employer, dead addresses, new roles.
        "events": [
            {"kind": e.kind, "at": iso(e.at), "text": e.text, "evidence": list(e.evidence)}
            for e in contact.events
        ],
        "undeliverable": {address: iso(at) for address, at in contact.dead},
    }


def run_people(app: App) -> int:
    if app.args.action in ("merge", "keep-apart"):
        return change_identity(app)
    now = app.at()
    service = app.service
    result = service.people(now)
    offered = service.identity.suggestions(result.contacts.values())
    known = service.identity.names()
    if app.args.action == "suggestions":
        mine = [
            {
                "address": f.address,
                "reason": f.why,
                "command": f"touchbase me add {f.address}",
            }
            for f in service.owner.offers()
        ]
        if app.args.json:
            print_json(offered + mine)
            return 0
        for item in offered:
            console.print(
                f"{escape(item['address'])} and {escape(item['other'])}: "
                f"{escape(item['reason'])}; to merge: {escape(item['command'])}",
                soft_wrap=True,
            )
        for item in mine:
            console.print(
                f"{escape(item['address'])} may be yours: {escape(item['reason'])}; "
                f"if so: {escape(item['command'])}",
                soft_wrap=True,
            )
        return 0
    rows = [
        person_row(contact, result.standings.get(key), now, *known.get(key, ("", [])))
        for key, contact in result.contacts.items()
    ]
    if app.args.due:
        rows = [r for r in rows if r["is_due"]]
    rows.sort(key=lambda r: (r["last_contact"] or "", r["last_sent"] or ""), reverse=True)
    if app.args.json:
        print_json(rows)
        return 0
    table = Table(
        "name", "address", "last contact", "last sent", "sent", "recv", "met", "tier", "due"
    )
    for r in rows:
        table.add_row(
            escape(r["name"]),
            escape(r["address"]),
            _day(r["last_contact"]),
            _day(r["last_sent"]),
            str(r["sent_count"]),
            str(r["received_count"]),
            str(r["meeting_count"]),
            (r["tier"] or "-") if r["relationship"] else "·",
            "reply owed" if r["reply_owed"] else ("now" if r["is_due"] else _day(r["due"])),
        )
    console.print(table)
    console.print(f"{len(rows)} people")
    if offered:
        console.print(f"{len(offered)} possible duplicates: `touchbase people suggestions`")
    return 0


def change_identity(app: App) -> int:
    if len(app.args.addresses) != 2:
        raise UserError(f"touchbase people {app.args.action} takes two addresses")
    first, second = app.args.addresses
    if app.args.action == "merge":
        addresses = app.service.identity.merge(first, second)
        console.print(f"one person now: {escape(', '.join(addresses))}")
    else:
        app.service.identity.keep_apart(first, second)
        console.print(f"{escape(normalise(first))} and {escape(normalise(second))} stay apart")
    return 0


def _day(value: str | None) -> str:
    return value[:10] if value else "-"


def run_person(app: App) -> int:
    address = normalise(app.args.address)
    if app.args.set:
        key = app.service.identity.settle(address, app.args.set)
        console.print(f"saved for {address} ({key})")
    now = app.at()
    view = app.service.person(address, now)
    contact, standing = view.contact, view.standing
    if contact is None:
        raise UserError(
            f"no interactions with {address} are stored",
            advice="check the address, or import / sync the mail that has it",
        )
    timeline = timeline_rows(view.history[::-1])
    upcoming = timeline_rows(view.upcoming)
    row = person_row(contact, standing, now, view.name, view.addresses)
    row["excluded"] = contact.excluded
    row["standing"] = view.standing_words()
    if app.args.json:
        print_json({**row, "timeline": timeline, "upcoming": upcoming})
        return 0
    console.print(
        f"[bold]{escape(contact.name or contact.address)}[/] "
        f"<{escape(', '.join(contact.addresses))}>"
    )
    if contact.excluded:
        console.print(f"not a person: {contact.excluded}")
    console.print(
        f"last contact {_day(row['last_contact'])} · last sent {_day(row['last_sent'])} "
        f"({row['sent_count']}) · last received {_day(row['last_received'])} "
        f"({row['received_count']}) · last met {_day(row['last_met'])} ({row['meeting_count']})"
    )
    if standing:
        console.print(
            f"tier {standing.tier} (strength {standing.strength}) · cadence "
            f"{row['cadence_days']} days ({standing.cadence_source}) · due "
            f"{'now' if row['is_due'] else _day(row['due'])}"
        )
    for words in row["standing"]:
        console.print(escape(words), soft_wrap=True)
    for entry in upcoming:
        when = entry["at"][:16].replace("T", " ")
        console.print(f"upcoming: {when} meeting {escape(entry['subject'] or '')}")
    table = Table("when", "what", "counted", "subject")
    for entry in timeline:
        table.add_row(
            entry["at"][:16].replace("T", " "),
            entry["kind"],
            "yes" if entry["counted"] else f"no: {entry['rule']}",
            escape(entry["subject"] or ""),
        )
    console.print(table)
    return 0


def timeline_rows(moments: list[Moment]) -> list[dict[str, Any]]:
    return [
        {
            "at": iso(m.at),
            "kind": m.kind,
            "counted": m.counted,
            "rule": m.rule,
            "subject": m.subject,
        }
        for m in moments
    ]
