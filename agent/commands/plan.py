"""`touchbase plan [--at ISO-8601] [--json]`: what the rules would draft at that moment.

A dry run: it reads the store and writes nothing. The loading functions here (interactions as
the rules see them, identities, circumstances) are what `people` and `person` use too.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime, time
from typing import Any

from rich.table import Table
from sqlalchemy import Connection, String, func, select, type_coerce
from sqlalchemy.orm import Session

from agent.app import App
from agent.errors import UserError
from agent.models import Account, Draft, Interaction, Participant, Person, PersonAddress
from agent.output import console, errors, iso, print_json
from rules.contacts import Contact, fold
from rules.dates import KnownDate
from rules.decide import Circumstances, Plan, decide
from rules.people import Identities
from rules.policy import Policy, PolicyError, load_policy
from rules.types import Interaction as Item
from rules.types import Party

OPEN_DRAFTS = ("pending", "approved", "pushed")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "plan", help="what would be drafted now, and why (a dry run: writes nothing)"
    )
    parser.add_argument("--at", metavar="ISO-8601", help="evaluate at this moment instead of now")
    parser.add_argument("--json", action="store_true", help="print as a JSON array")
    parser.set_defaults(func=run)


def person_key(person_id: int) -> str:
    return f"person:{person_id}"


def parse_at(text: str | None, now: datetime) -> datetime:
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"--at {text!r} is not an ISO 8601 time",
            advice="write it like 2001-12-31T12:00:00+00:00 (a time without offset means UTC)",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def load_policy_for(app: App, people: Collection[Person] = ()) -> Policy:
    """The config's [policy] over the defaults, the owner's time zone, and per-person settings
    kept in the store (cadence_days, never_draft)."""
    table: dict[str, Any] = dict(app.config.policy)
    table.setdefault("timezone", app.config.me.time_zone)
    cadence = dict(table.get("cadence") or {})
    never = list(table.get("never_draft") or [])
    for person in people:
        if person.cadence_days:
            cadence.setdefault(person_key(person.id), f"{person.cadence_days}d")
        if person.never_draft:
            never.append(person_key(person.id))
    if cadence:
        table["cadence"] = cadence
    if never:
        table["never_draft"] = never
    try:
        return load_policy(table)
    except PolicyError as exc:
        raise UserError(
            str(exc), advice="fix the [policy] table in the configuration file"
        ) from None


def load_identities(session: Session, me: Collection[str]) -> Identities:
    rows = session.execute(select(PersonAddress.address, PersonAddress.person_id))
    return Identities.of(me, {address: person_key(pid) for address, pid in rows})


def _when(value: Any) -> datetime | None:
    """SQLite hands back text (stored naive UTC), PostgreSQL aware datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stream_interactions(
    connection: Connection, addresses: Collection[str] | None = None
) -> Iterator[Item]:
    """Every stored interaction (tombstoned ones too: the contact still happened) ordered by
    (occurred_at, id), for `fold(..., ordered=True)`. With `addresses`, only the interactions
    those addresses take part in (to refold just the people a sync touched)."""
    i, a, p = Interaction.__table__, Account.__table__, Participant.__table__
    query = (
        select(
            i.c.id,
            a.c.name,
            i.c.kind,
            type_coerce(i.c.occurred_at, String),
            type_coerce(i.c.ended_at, String),
            i.c.subject,
            i.c.message_id,
            i.c.in_reply_to,
            i.c.references,
            i.c.thread_id,
            i.c.folder,
            i.c.flags,
            p.c.address,
            p.c.role,
            p.c.name,
            p.c.response,
            p.c.resource,
            p.c.optional,
            p.c.is_self,
        )
        .join(a, a.c.id == i.c.account_id)
        .join(p, p.c.interaction_id == i.c.id)
    )
    if addresses is not None:
        # A few people's interactions: found through the address index and sorted here, since
        # ordering in SQL would walk the whole occurred_at index to find them.
        chosen = select(p.c.interaction_id).where(p.c.address.in_(sorted(addresses)))
        found = connection.execute(query.where(i.c.id.in_(chosen))).all()
        yield from _rows_to_items(sorted(found, key=lambda row: (row[3], row[0])))
        return
    query = query.order_by(i.c.occurred_at, i.c.id)
    raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    previous = raw.execute("PRAGMA cache_size").fetchone()[0] if raw is not None else None
    if raw is not None:
        # The scan follows occurred_at, not the table's order: SQLite's default 2 MB page cache
        # makes it re-read pages (measured: 40% slower at 100,000 interactions). 64 MB for the
        # scan, then the connection's own setting again.
        raw.execute("PRAGMA cache_size=-65536")
    try:
        yield from _rows_to_items(connection.execute(query))
    finally:
        if raw is not None:
            raw.execute(f"PRAGMA cache_size={int(previous or -2000)}")


def _rows_to_items(rows: Iterable[Any]) -> Iterator[Item]:
    parties: dict[tuple[Any, ...], Party] = {}  # a few thousand distinct ones, shared
    flag_sets: dict[str, frozenset[str]] = {}
    current: list[Any] | None = None
    members: list[Party] = []
    for row in rows:
        party_row = (row[12], row[13], row[14] or "", row[15], bool(row[16]), bool(row[17]))
        party_key = (*party_row, row[18])
        party = parties.get(party_key)
        if party is None:
            party = parties[party_key] = Party(*party_row, bool(row[18]))
        if current is not None and row[0] == current[0]:
            members.append(party)
            continue
        if current is not None:
            yield _item(current, members, flag_sets)
        current, members = list(row[:12]), [party]
    if current is not None:
        yield _item(current, members, flag_sets)


def _item(row: list[Any], members: list[Party], flag_sets: dict[str, frozenset[str]]) -> Item:
    flags = flag_sets.get(row[11] or "")
    if flags is None:
        flags = flag_sets[row[11] or ""] = frozenset(f for f in (row[11] or "").split(",") if f)
    return Item(
        row[0],
        row[1],
        row[2],
        _when(row[3]),  # type: ignore[arg-type]
        tuple(members),
        row[5],
        _when(row[4]),
        row[6],
        row[7],
        tuple((row[8] or "").split()),
        row[9],
        row[10],
        flags,
    )


def load_circumstances(
    session: Session, policy: Policy, now: datetime, people: Collection[Person]
) -> Circumstances:
    open_drafts = {
        person_key(pid)
        for pid in session.scalars(
            select(Draft.person_id).where(
                Draft.status.in_(OPEN_DRAFTS), Draft.person_id.is_not(None)
            )
        )
        if pid is not None
    }
    start_of_day = datetime.combine(now.astimezone(policy.zone).date(), time(), policy.zone)
    today = session.scalar(
        select(func.count()).select_from(Draft).where(Draft.created_at >= start_of_day)
    )
    snoozed = {person_key(p.id): p.snoozed_until for p in people if p.snoozed_until}
    known: dict[str, tuple[KnownDate, ...]] = {}
    for person in people:
        dates = [
            KnownDate(kind, day.month, day.day, day.year)
            for kind, day in (
                ("birthday", person.birthday),
                ("work anniversary", person.work_anniversary),
            )
            if day is not None
        ]
        if dates:
            known[person_key(person.id)] = tuple(dates)
    return Circumstances(
        open_drafts=frozenset(open_drafts),
        snoozed=snoozed,
        known_dates=known,
        drafts_today=today or 0,
        account_history=_account_history(session),
    )


def _account_history(session: Session) -> Mapping[str, tuple[int, int]]:
    """Per account: interactions ever stored, and those the provider still has (not
    tombstoned). All of them tombstoned is the "source now returns nothing" safety valve."""
    live = func.count(Interaction.id).filter(Interaction.removed_at.is_(None))
    rows = session.execute(
        select(Account.name, func.count(Interaction.id), live)
        .join(Interaction, Interaction.account_id == Account.id)
        .group_by(Account.name)
    )
    return {name: (total, alive) for name, total, alive in rows}


def evaluate(app: App, now: datetime) -> tuple[dict[str, Contact], Plan, Policy]:
    """Contacts and the plan at `now`, from everything stored."""
    with app.sessions() as session:
        people = list(session.scalars(select(Person)))
        policy = load_policy_for(app, people)
        identities = load_identities(session, app.me())
        contacts = fold(
            stream_interactions(session.connection()), identities, policy, now, ordered=True
        )
        circumstances = load_circumstances(session, policy, now, people)
    return contacts, decide(contacts.values(), policy, now, circumstances), policy


def run(app: App) -> int:
    now = parse_at(app.args.at, app.now())
    _contacts, plan, policy = evaluate(app, now)
    if plan.stopped:
        errors.print(f"stopped: {plan.stopped}", soft_wrap=True)
    rows = [
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
    if app.args.json:
        print_json(rows)
        return 1 if plan.stopped else 0
    if not rows:
        console.print("nothing to draft" + (f" at {iso(now)}" if app.args.at else " now"))
    else:
        table = Table("who", "draft", "due", "why")
        for d in plan.decisions:
            due = d.due.astimezone(policy.zone).date().isoformat()
            who = d.name if d.name == d.address else f"{d.name} <{d.address}>"
            table.add_row(who, d.kind, due, "; ".join(d.reasons))
        console.print(table)
    if plan.held:
        console.print(f"{len(plan.held)} more held back (pacing, snoozes, open drafts)")
    return 1 if plan.stopped else 0
