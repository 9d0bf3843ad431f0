"""`touchbase people` and `touchbase person ADDRESS`: who you know, and one person's timeline."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import Any

from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from touchbase.agent.app import App
from touchbase.agent.cli.output import console, iso, print_json
from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.evaluation import cadence_days, contacts_at, evaluate, person_key
from touchbase.agent.pipeline.identity import decline, ensure_person, merge, suggestions
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.agent.pipeline.models import Person, PersonAddress
from touchbase.rules.addresses import normalise
from touchbase.rules.contacts import COUNTED, Contact
from touchbase.rules.decide import is_due
from touchbase.rules.standing import Standing, assess


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


def known_people(session: Any) -> dict[str, tuple[str, list[str]]]:
    """Person key -> (the owner's name for them, every address they own), from the database."""
    known: dict[str, tuple[str, list[str]]] = {}
    for address, pid, name in session.execute(
        select(PersonAddress.address, PersonAddress.person_id, Person.name).join(Person)
    ):
        entry = known.setdefault(person_key(pid), (name or "", []))
        entry[1].append(address)
    return known


def person_row(
    contact: Contact,
    standing: Standing | None,
    now: datetime,
    known: dict[str, tuple[str, list[str]]] | None = None,
) -> dict[str, Any]:
    name, addresses = (known or {}).get(contact.person, ("", []))
    return {
        "person": contact.person,
        "name": name or contact.name,
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
    }


def run_people(app: App) -> int:
    if app.args.action in ("merge", "keep-apart"):
        return change_identity(app)
    now = app.at()
    with app.sessions() as session:
        result = evaluate(session, app.config, app.me(), now)
        offered = suggestions(session, result.contacts.values())
        known = known_people(session)
    if app.args.action == "suggestions":
        if app.args.json:
            print_json(offered)
        for item in [] if app.args.json else offered:
            console.print(
                f"{escape(item['address'])} and {escape(item['other'])}: "
                f"{escape(item['reason'])}; to merge: {escape(item['command'])}",
                soft_wrap=True,
            )
        return 0
    rows = [
        person_row(contact, result.standings.get(key), now, known)
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
            r["tier"] or "-",
            ("now" if r["is_due"] else _day(r["due"])),
        )
    console.print(table)
    console.print(f"{len(rows)} people")
    if offered:
        console.print(f"{len(offered)} possible duplicates: `touchbase people suggestions`")
    return 0


def change_identity(app: App) -> int:
    if len(app.args.addresses) != 2:
        raise UserError(f"touchbase people {app.args.action} takes two addresses")
    first, second = (normalise(a) for a in app.args.addresses)
    if first == second:
        raise UserError("those are the same address")
    with app.sessions.begin() as session:
        if app.args.action == "merge":
            person = merge(session, first, second, app.now())
            addresses = sorted(a.address for a in person.addresses)
            console.print(f"one person now: {escape(', '.join(addresses))}")
        else:
            decline(session, first, second, app.now())
            console.print(f"{escape(first)} and {escape(second)} stay apart")
    return 0


def _day(value: str | None) -> str:
    return value[:10] if value else "-"


def find_contact(contacts: dict[str, Contact], address: str) -> Contact | None:
    wanted = normalise(address)
    for contact in contacts.values():
        if wanted in contact.addresses or contact.address == wanted:
            return contact
    return None


def run_person(app: App) -> int:
    address = normalise(app.args.address)
    if app.args.set:
        apply_settings(app, address, app.args.set)
    now = app.at()
    with app.sessions() as session:
        addresses = _addresses_of(session, address)
        policy, contacts = contacts_at(
            session, app.config, app.me(), now, touching=addresses, trace=True
        )
        pid = session.scalar(
            select(PersonAddress.person_id).where(PersonAddress.address == address)
        )
        contact = contacts.get(person_key(pid)) if pid else find_contact(contacts, address)
        if contact is None:
            raise UserError(
                f"no interactions with {address} are stored",
                advice="check the address, or import / sync the mail that has it",
            )
        known = known_people(session)
        ids = [t.interaction_id for t in contact.trace]
        details = (
            {r.id: r for r in session.scalars(select(Row).where(Row.id.in_(ids)))} if ids else {}
        )
    standing = assess(contact, policy, now) if contact.excluded is None else None
    timeline: list[dict[str, Any]] = [
        {
            "at": iso(t.occurred_at),
            "kind": t.kind,
            "counted": t.rule == COUNTED,
            "rule": t.rule,
            "subject": details[t.interaction_id].subject if t.interaction_id in details else None,
        }
        for t in contact.trace
    ]
    row = person_row(contact, standing, now, known)
    row["excluded"] = contact.excluded
    if app.args.json:
        print_json({**row, "timeline": timeline})
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


def _addresses_of(session: Any, address: str) -> list[str]:
    pid = session.scalar(select(PersonAddress.person_id).where(PersonAddress.address == address))
    if pid is None:
        return [address]
    return list(
        session.scalars(select(PersonAddress.address).where(PersonAddress.person_id == pid))
    )


def _parse_day(key: str, value: str) -> date:
    try:
        if len(value) == 5:  # MM-DD: a yearly date with no known year
            return date(1, int(value[:2]), int(value[3:]))
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--set {key}={value!r}: expected YYYY-MM-DD or MM-DD") from None


def apply_settings(app: App, address: str, settings: list[str]) -> None:
    with app.sessions.begin() as session:
        person = ensure_person(session, address, app.now())
        for item in settings:
            key, sep, value = item.partition("=")
            key, value = key.strip().replace("-", "_"), value.strip()
            if not sep:
                raise UserError(f"--set {item!r}: expected KEY=VALUE")
            if key in ("birthday", "work_anniversary"):
                setattr(person, key, _parse_day(key, value) if value else None)
            elif key == "cadence":
                if value and (not value.isdigit() or int(value) < 1):
                    raise UserError(f"--set cadence={value!r}: expected a number of days")
                person.cadence_days = int(value) if value else None
            elif key == "never_draft":
                if value.lower() not in ("true", "false", "yes", "no", "1", "0", ""):
                    raise UserError(f"--set never_draft={value!r}: expected true or false")
                person.never_draft = value.lower() in ("true", "yes", "1")
            elif key == "name":
                person.name = value
            elif key == "snooze_until":
                person.snoozed_until = (
                    datetime.combine(
                        _parse_day(key, value), datetime.min.time(), tzinfo=app.now().tzinfo
                    )
                    if value
                    else None
                )
            else:
                raise UserError(
                    f"--set {key}: unknown setting",
                    advice="one of birthday, work_anniversary, cadence, never_draft, name, "
                    "snooze_until",
                )
    console.print(f"saved for {address} ({person_key(person.id)})")
