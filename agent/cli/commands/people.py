"""`touchbase people` and `touchbase person ADDRESS`: who you know, and one person's timeline."""

from __future__ import annotations

import argparse
import heapq
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from touchbase.agent.app import App
from touchbase.agent.cli.output import (
    clean,
    console,
    errors,
    escape,
    iso,
    print_json,
    print_json_texts,
    table,
)
from touchbase.agent.cli.startup import kept
from touchbase.agent.errors import UserError

if TYPE_CHECKING:
    from touchbase.agent.service import Moment
    from touchbase.rules.contacts import Contact
    from touchbase.rules.decision import Held
    from touchbase.rules.standing import Standing


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    people = commands.add_parser(
        "people",
        help="everyone you are in touch with",
        description="`touchbase people` lists people; `touchbase people merge A B` makes two "
        "addresses one person; `touchbase people unmerge ADDRESS` splits an address back into "
        "a person of its own; `touchbase people keep-apart A B` declines a suggestion; "
        "`touchbase people suggestions` lists merge suggestions.",
    )
    people.add_argument(
        "action",
        nargs="?",
        choices=("merge", "unmerge", "keep-apart", "suggestions"),
        help="what to do instead of listing",
    )
    people.add_argument("addresses", nargs="*", metavar="ADDRESS")
    people.add_argument("--json", action="store_true", help="print a JSON array")
    people.add_argument("--due", action="store_true", help="only people a check-in is owed to")
    people.add_argument("--at", metavar="ISO-8601", help="evaluate at this moment, not now")
    people.add_argument(
        "--limit",
        type=_positive,
        metavar="N",
        help="only the N most recently in touch (default: everyone; on a terminal the first "
        f"{SCREENFUL:,} are drawn and the rest counted)",
    )
    people.set_defaults(func=run_people)

    person = commands.add_parser(
        "person",
        help="one person's timeline and what counted",
        description="One person, by an address or by a name (or part of one): several people "
        "matching a name are listed to choose from.",
    )
    person.add_argument("address", metavar="ADDRESS|NAME")
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


# Drawing a table on a terminal costs about a millisecond a row: past this many, the rest are
# counted, not drawn (piped and --json output is always whole unless --limit says otherwise).
SCREENFUL = 1_000
_NEVER = datetime.min.replace(tzinfo=UTC)


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


@cache
def _standing_words() -> tuple[Callable[[Standing], float], Callable[[Standing, datetime], bool]]:
    """cadence_days and is_due, imported on first use, not above, to keep `touchbase --help`
    light (issue 16), and once: an import statement per row cost about 1.2 microseconds even
    with the module loaded (timeit), 0.24 s at 200,000 people."""
    from touchbase.agent.service import cadence_days
    from touchbase.rules.standing import is_due

    return cadence_days, is_due


def person_row(
    contact: Contact,
    standing: Standing | None,
    now: datetime,
    name: str = "",
    addresses: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    cadence_days, is_due = _standing_words()
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
    if app.args.action in ("merge", "unmerge", "keep-apart"):
        return change_identity(app)
    now = app.at()
    with kept(app) as service:
        result = service.people(now, plan=False)
    known = service.identity.names()
    if app.args.action == "suggestions":
        offered = service.identity.suggestions(result.contacts.values())
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
                f"{item['address']} and {item['other']}: "
                f"{item['reason']}; to merge: {item['command']}",
                soft_wrap=True,
            )
        for item in mine:
            console.print(
                f"{item['address']} may be yours: {item['reason']}; if so: {item['command']}",
                soft_wrap=True,
            )
        return 0
    # Rows are made one at a time as they are written: at 200,000 people a list of every row
    # and one JSON string of them all held over a gigabyte (issue 13.7).
    keys = [
        key
        for key in result.contacts
        if not app.args.due or is_due_key(result.standings.get(key), now)
    ]
    order = _recent_first
    limit = app.args.limit
    if limit is not None:
        keys = heapq.nlargest(limit, keys, key=lambda k: order(result.contacts[k]))
    else:
        keys.sort(key=lambda k: order(result.contacts[k]), reverse=True)

    def rows(chosen: list[str]) -> Iterator[dict[str, Any]]:
        for key in chosen:
            yield person_row(
                result.contacts[key], result.standings.get(key), now, *known.get(key, ("", []))
            )

    if app.args.json:
        # Each row as JSON text straight away, not a dict to encode (issue 16): the same text.
        from touchbase.agent.cli.people_json import row

        print_json_texts(
            row(result.contacts[k], result.standings.get(k), now, *known.get(k, ("", [])))
            for k in keys
        )
        return 0
    shown = keys if not console.is_terminal else keys[:SCREENFUL]
    table(
        ("name", "address", "last contact", "last sent", "sent", "recv", "met", "tier", "due"),
        (
            (
                r["name"],
                r["address"],
                _day(r["last_contact"]),
                _day(r["last_sent"]),
                str(r["sent_count"]),
                str(r["received_count"]),
                str(r["meeting_count"]),
                (r["tier"] or "-") if r["relationship"] else "·",
                "reply owed" if r["reply_owed"] else ("now" if r["is_due"] else _day(r["due"])),
            )
            for r in rows(shown)
        ),
    )
    if not console.is_terminal:
        return 0  # the table is the whole output: a script counts its lines
    if len(shown) < len(keys):
        console.print(
            f"{len(keys) - len(shown):,} more not drawn: `touchbase people | less`, "
            "--limit N, or --json"
        )
    console.print(f"{len(keys):,} people")
    offered = service.identity.suggestions(result.contacts.values())
    if offered:
        console.print(f"{len(offered)} possible duplicates: `touchbase people suggestions`")
    return 0


def _recent_first(contact: Contact) -> tuple[datetime, datetime]:
    return (contact.last_contact or _NEVER, contact.last_sent or _NEVER)


def is_due_key(standing: Standing | None, now: datetime) -> bool:
    return bool(standing and _standing_words()[1](standing, now))


def change_identity(app: App) -> int:
    from touchbase.rules.addresses import normalise

    if app.args.action == "unmerge":
        if len(app.args.addresses) != 1:
            raise UserError(
                "touchbase people unmerge takes one address: the one to split back out",
                advice="e.g. touchbase people unmerge bob@new.example",
            )
        [address] = app.args.addresses
        others = app.service.identity.unmerge(address)
        console.print(
            f"{normalise(address)} is its own person again, apart from {', '.join(others)} "
            "(`touchbase people merge` joins them again)"
        )
        return 0
    if len(app.args.addresses) != 2:
        raise UserError(f"touchbase people {app.args.action} takes two addresses")
    first, second = app.args.addresses
    if app.args.action == "merge":
        addresses = app.service.identity.merge(first, second)
        console.print(f"one person now: {', '.join(addresses)}")
    else:
        app.service.identity.keep_apart(first, second)
        console.print(f"{normalise(first)} and {normalise(second)} stay apart")
    return 0


def _day(value: str | None) -> str:
    return value[:10] if value else "-"


def run_person(app: App) -> int:
    now = app.at()
    address = find_address(app, app.args.address, now)
    if app.args.set:
        key = app.service.identity.settle(address, app.args.set)
        console.print(f"saved for {address} ({key})")
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
    held = _held(app, contact, now) if row["is_due"] else None
    row["held"] = {"kind": held.kind, "rule": held.rule, "reason": held.reason} if held else None
    # Issue 20: introductions with them on either side, with their state and reasons.
    introductions = app.service.introductions.for_addresses(list(view.addresses))
    row["introductions"] = [i.as_json() for i in introductions]
    if app.args.json:
        print_json({**row, "timeline": timeline, "upcoming": upcoming})
        return 0
    text, markup = heading(contact.name or contact.address, ", ".join(contact.addresses))
    console.print(text, markup=markup)
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
            + (f", held back ({held.rule}): {held.reason}" if held else "")
        )
    for words in row["standing"]:
        console.print(words)
    for made in introductions:
        console.print(f"introduction {escape(made.a)} -> {escape(made.b)}: {made.state}")
        for reason in made.reasons:
            console.print(f"    {escape(reason)}")
    for entry in upcoming:
        when = entry["at"][:16].replace("T", " ")
        console.print(f"upcoming: {when} meeting {entry['subject'] or ''}")
    table(
        ("when", "what", "counted", "subject"),
        [
            (
                entry["at"][:16].replace("T", " "),
                entry["kind"],
                "yes" if entry["counted"] else f"no: {entry['rule']}",
                entry["subject"] or "",
            )
            for entry in timeline
        ],
    )
    return 0


def heading(who: str, addresses: str) -> tuple[str, bool]:
    """`touchbase person`'s first line, and whether it is markup: the name in bold on a
    terminal; piped, where nothing is bold, the same words as plain text, which the consoles
    write without loading rich (issue 16). Text with a backslash stays markup: rich reads
    `\\[` as `[` anywhere, and its escape ends text ending in one backslash with a second."""
    if console.is_terminal or "\\" in clean(who + addresses):
        return f"[bold]{escape(who)}[/] <{escape(addresses)}>", True
    return f"{who} <{addresses}>", False


def _held(app: App, contact: Contact, now: datetime) -> Held | None:
    """The plan's hold on them at `now`, as `plan --held` says it (QA, task H7): a due person
    may be held back (another address of theirs in touch, a reply owed, a work tie...). Holds
    weigh everyone (twins, pacing), so this is the whole evaluation, asked only of the due."""
    evaluation = app.service.people(now)
    mine = set(contact.addresses)
    for held in evaluation.plan.held:
        other = evaluation.contacts.get(held.person)
        if held.person == contact.person or (other is not None and mine & set(other.addresses)):
            return held
    return None


SHOWN_MATCHES = 20


def find_address(app: App, wanted: str, now: datetime) -> str:
    """An address as given, or the address of the one person whose name matches `wanted`
    (the whole name, else every word of it, ignoring case); several matches are listed."""
    from touchbase.rules.addresses import normalise

    if "@" in wanted:
        return normalise(wanted)
    words = wanted.casefold().split()
    if not words:
        raise UserError("give an address or a name", advice='e.g. touchbase person "Mike"')
    result = app.service.people(now, plan=False)
    known = app.service.identity.names()
    found: dict[str, str] = {}
    for key, contact in result.contacts.items():
        name = known.get(key, (contact.name, []))[0] or contact.name
        if name:
            found[contact.address] = name
    exact = [(n, a) for a, n in found.items() if n.casefold().split() == words]
    partial = [(n, a) for a, n in found.items() if all(w in n.casefold() for w in words)]
    matches = sorted(exact or partial)
    if len(matches) == 1:
        errors.print(f"{matches[0][0]} <{matches[0][1]}>")
        return matches[0][1]
    if not matches:
        raise UserError(
            f"nobody called {wanted!r} is stored",
            advice="`touchbase people` lists everyone; an address works too",
        )
    listed = "; ".join(f"{n} <{a}>" for n, a in matches[:SHOWN_MATCHES])
    more = f" and {len(matches) - SHOWN_MATCHES} more" if len(matches) > SHOWN_MATCHES else ""
    raise UserError(
        f"{len(matches)} people match {wanted!r}: {listed}{more}",
        advice="name one by address: touchbase person ADDRESS",
    )


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
