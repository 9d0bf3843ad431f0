"""The persisted contact state: each person's folded contact, kept current at ingest (issue 16).

Evaluation reads people, not interactions. The guarantees:

- **Marked in the page's transaction.** `mark_page` (one call in `Store.save_page`) records the
  addresses of every interaction the page adds or may rewrite (its records, the stored rows a
  meeting update replaces, the other accounts' copies of its meetings, its tombstones) and of
  the stored mail in its mail's threads (a reply by one person answers the owner's question to
  another), so a page is never stored without its marks, and a crash loses neither.
- **Refolded at `now`, exactly who changed.** `current` refolds the people of the marked
  addresses, of the interactions that crossed `now` since the state's moment (mail dated after
  it, meetings that ended: the only ways the fold reads `now`), and of the merges and names that
  changed since; with `fold(touching=their addresses, only=their keys)` over their interactions
  and the rest of their threads' mail (history's `threads=`), the rest is read back.
- **A full refold only when what every contact depends on changed**: the fold's policy fields,
  the owner's addresses, the codec's shape (`fingerprint`), or no state yet.
- **`now` before the state's moment** (`--at` in the past): the from-scratch fold, nothing
  written.
- **Standings kept with the contacts** (`standings_at`): each person's assessed standing,
  the moment it next changes with time alone (rules/standing.py changes_at) and its basis (a
  hash of the policy, the rules' version and the person's imported life events). A standing
  is read back unless the person was refolded, its moment came or its basis changed; it is
  deleted with its contact in the transaction that replaces the contact, so it is never
  older than the contact it was assessed from.
- **Concurrent evaluations stay correct.** The new state is written in its own transaction,
  and only when the header's generation is still the one read: an evaluation that read an
  older state writes nothing (its answer is still right for its own snapshot). Marks are
  cleared up to the highest id read, so a mark made meanwhile survives.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from functools import cache
from itertools import count, islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.decoded import CONTACTS, STANDINGS
from touchbase.agent.pipeline.history import iter_interactions, scan_cache
from touchbase.agent.pipeline.models import (
    ContactAddress,
    ContactDirty,
    ContactStanding,
    ContactState,
    ContactStateHeader,
    ParticipantRow,
)
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.agent.pipeline.thread_mates import moved_subjects, subject_thread_key, thread_mates
from touchbase.connectors.base import Kind, Page
from touchbase.rules import standing as standing_rules
from touchbase.rules.contact_codec import SHAPE, encode
from touchbase.rules.contacts import FOLD_RULES, Contact, fold
from touchbase.rules.life_events import LifeEvent
from touchbase.rules.people import OWNER, Identities, Resolver
from touchbase.rules.policy import Policy
from touchbase.rules.standing import STANDING_RULES, Standing, assess, changes_at
from touchbase.rules.standing_codec import SHAPE as STANDING_SHAPE
from touchbase.rules.standing_codec import encode as encode_standing
from touchbase.rules.types import Interaction

log = logging.getLogger(__name__)

# Bumped when what these tables mean changes (with the codec's SHAPE, in the fingerprint).
STATE_VERSION = 1
# The policy fields the fold reads (rules/contacts.py, rules/people.py Resolver): a change to
# any of them changes every contact, so the state is refolded whole. Cadence, never_draft and
# the rest are read by standing and decide, computed at `now` every time.
FOLD_POLICY = (
    "aliases",
    "ignore_addresses",
    "ignore_domains",
    "automated_localparts",
    "max_recipients",
    "few_recipients",
    "cc_weight",
    "received_counts",
    "max_meeting_size",
    "group_meeting_weight",
    "job_change_min_run",
    "personal_domains",
    "near_daily_window",
    "sensitive_topics",
)
# Beyond this many changed addresses (a first sync, a large import) one pass over everything
# is cheaper than looking each person's interactions up through the address index.
FULL_REFOLD_AT = 20_000
_CHUNK = 900  # IN lists and executemany batches (SQLite allows 32,766 parameters)
_HEADER = 1  # the header's one row
PROGRESS_EVERY = 10_000  # interactions between progress reports of a full refold

# (interactions folded so far, all of them): a full refold's progress, for a terminal's bar.
Progress = Callable[[int, int], None]


def fingerprint(policy: Policy, me: Collection[str]) -> str:
    """What a full fold depends on beyond the interactions and who is who, as one hash."""
    data = {
        "version": STATE_VERSION,
        "shape": SHAPE,
        "rules": FOLD_RULES,
        "me": sorted(me),
        "policy": {name: _plain(getattr(policy, name)) for name in FOLD_POLICY},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _plain(value: Any) -> Any:
    """A policy value as stable JSON (sets sorted: their order changes between processes)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, timedelta):
        return value.total_seconds()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# -- at ingest --------------------------------------------------------------------------------


def mark_page(connection: Connection, account_id: int, page: Page) -> None:
    """Mark dirty, in the page's transaction and before it is stored, every address whose
    interactions the page may change: its records' parties, the parties of the stored rows its
    meetings may rewrite (a meeting re-invited drops attendees) and of their copies in other
    accounts (meeting_versions may supersede them), the parties of its tombstones, and the
    parties of the stored mail in its mail's threads (by Message-ID, provider thread id, and
    stripped subject for the subject threads its mail may move: thread_mates.thread_mates and
    moved_subjects): the fold's per-thread memory makes a reply by Erin answer the owner's
    question to Bob, and a late-synced original make stored replies replies in the owner's
    thread."""
    addresses: set[str] = set()
    uids: set[str] = set()
    sources: list[str] = []
    message_ids: set[str] = set()
    thread_ids: set[str] = set()
    subjects: set[tuple[str, datetime, bool]] = set()
    for record in page.interactions:
        addresses.update(p.address for p in record.participants)
        if record.kind is Kind.MAIL:
            if record.message_id:
                message_ids.add(record.message_id)
            if record.in_reply_to:
                message_ids.add(record.in_reply_to)
            message_ids.update(record.references)
            if record.thread_id:
                thread_ids.add(record.thread_id)
            keyed = subject_thread_key(
                record.subject,
                record.message_id,
                record.in_reply_to,
                tuple(record.references),
                record.thread_id,
            )
            if keyed is not None:
                subjects.add((keyed[0], record.occurred_at, keyed[1]))
        elif record.kind is Kind.MEETING:
            sources.append(record.source_id)
            if record.message_id:
                uids.add(record.message_id)
    sources.extend(page.removed)
    p, i = ParticipantRow.__table__, Row.__table__
    moved = moved_subjects(connection, subjects)  # (not every thread a page's mail joins)
    mates = sorted(thread_mates(connection, sorted(message_ids), sorted(thread_ids), sorted(moved)))
    for start in range(0, len(mates), _CHUNK):
        addresses.update(
            connection.scalars(
                select(p.c.address).where(p.c.interaction_id.in_(mates[start : start + _CHUNK]))
            )
        )
    joined = p.join(i, i.c.id == p.c.interaction_id)
    for chunk in _chunks(sorted(set(sources))):
        addresses.update(
            connection.scalars(
                select(p.c.address)
                .select_from(joined)
                .where(i.c.account_id == account_id, i.c.source_id.in_(chunk))
            )
        )
    for chunk in _chunks(sorted(uids)):
        addresses.update(
            connection.scalars(
                select(p.c.address)
                .select_from(joined)
                .where(i.c.message_id.in_(chunk), i.c.kind == Kind.MEETING.value)
            )
        )
    for chunk in _chunks(sorted(addresses)):
        connection.execute(insert(ContactDirty), [{"address": a} for a in chunk])


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# -- at evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refold:
    """What one evaluation did to the state: "none", "partial", "full" or "scratch" (`now`
    before the state's moment), how many people it refolded, whether it wrote, and how many
    standings it assessed (`standings_at`; the others were read back)."""

    how: str
    people: int
    written: bool
    assessed: int = 0


def current(
    session: Session,
    policy: Policy,
    who: Identities,
    now: datetime,
    *,
    progress: Progress | None = None,
) -> tuple[dict[str, Contact], Refold]:
    """Everyone's contact at `now` (the people only: contacts of excluded addresses are not
    kept), from the stored state brought up to date, as a from-scratch fold would give."""
    contacts, _standings, how = _current(session, policy, who, now, progress, None)
    return contacts, how


Events = Mapping[str, tuple[LifeEvent, ...]]


def standings_at(
    session: Session,
    policy: Policy,
    who: Identities,
    now: datetime,
    events: Events,
    *,
    progress: Progress | None = None,
) -> tuple[dict[str, Contact], dict[str, Standing], Refold]:
    """`current`'s contacts with the life events an import recorded (`events`, by person key)
    added to theirs, and each one's standing at `now` (rules/standing.py assess), as assessing
    everyone from scratch would give. Stored standings are read back; a person is assessed
    again only when their contact was refolded, their standing's `changes_at` came, or what it
    was assessed from besides the contact changed (the policy, their imported events, the
    rules: `basis`). The new ones are written with the contacts, in one transaction."""
    contacts, standings, how = _current(session, policy, who, now, progress, events)
    assert standings is not None
    return contacts, standings, how


def _current(
    session: Session,
    policy: Policy,
    who: Identities,
    now: datetime,
    progress: Progress | None,
    events: Events | None,
) -> tuple[dict[str, Contact], dict[str, Standing] | None, Refold]:
    """`current`, and with `events` the standings too (`standings_at`)."""
    header = session.get(ContactStateHeader, _HEADER)
    if header is not None and now < header.folded_at:
        return _scratch(session, policy, who, now, events)
    marked = session.scalar(select(func.max(ContactDirty.id))) or 0
    wanted = fingerprint(policy, who.me)
    if header is None or header.fingerprint != wanted:
        return _full(session, policy, who, now, header, marked, wanted, progress, events)
    dirty = set(
        session.scalars(select(ContactDirty.address).where(ContactDirty.id <= marked).distinct())
    )
    dirty |= _crossed(session, header.folded_at, now)
    before = json.loads(header.identities)
    people_then: dict[str, str] = before["people"]
    names_then: dict[str, str] = before["names"]
    changed = {
        a for a in people_then.keys() | who.people.keys() if people_then.get(a) != who.people.get(a)
    }
    keys = {
        k for k in names_then.keys() | who.names.keys() if names_then.get(k) != who.names.get(k)
    }
    keys |= {people_then.get(a, a) for a in changed} | {who.people.get(a, a) for a in changed}
    for chunk in _chunks(sorted(changed)):
        dirty.update(
            session.scalars(select(ContactAddress.address).where(ContactAddress.normal.in_(chunk)))
        )
    if len(dirty) > FULL_REFOLD_AT:
        return _full(session, policy, who, now, header, marked, wanted, progress, events)
    resolve = Resolver(who, policy)
    folded_as: dict[str, str] = {}
    for chunk in _chunks(sorted(dirty)):
        folded_as.update(
            session.execute(
                select(ContactAddress.address, ContactAddress.person).where(
                    ContactAddress.address.in_(chunk)
                )
            ).all()
        )
    for address in dirty:
        found = resolve[address]
        if found is not OWNER:
            keys.add(found.person)
        if address in folded_as:
            keys.add(folded_as[address])
    # Never the owner's own addresses: they are on every interaction (a sync's page marks
    # them), and each person's interactions are found through that person's addresses.
    touching = {a for a in dirty if resolve[a] is not OWNER}
    for chunk in _chunks(sorted(keys)):
        touching.update(
            session.scalars(select(ContactAddress.address).where(ContactAddress.person.in_(chunk)))
        )
    refolded: dict[str, Contact] = {}
    if keys:
        items = iter_interactions(session, touching=touching, threads=True)
        refolded = {
            k: c
            for k, c in fold(items, who, policy, now, only=keys, ordered=True).items()
            if c.excluded is None
        }
    stored = _stored(session)
    if session.scalar(_generation()) != header.generation:
        # Another evaluation wrote between our reads (PostgreSQL reads each statement afresh):
        # what we read may mix two states, so answer from scratch and write nothing.
        return _scratch(session, policy, who, now, events)
    contacts = CONTACTS.read((k, v) for k, v in stored.items() if k not in keys)
    contacts.update(refolded)
    contacts = dict(sorted(contacts.items()))
    standings: dict[str, Standing] | None = None
    rows: list[dict[str, Any]] = []
    if events is not None:
        contacts, standings, rows = _assessed(session, policy, now, contacts, keys, events)
    if not keys and not dirty and not rows and now == header.folded_at:
        # Nothing to write (a second command at the same moment): no write lock taken.
        return contacts, standings, Refold("none", 0, False, len(rows))
    mapping = [(a, resolve[a]) for a in sorted(dirty)]
    written = _write(
        session,
        header.generation,
        wanted,
        now,
        who,
        marked,
        replace_keys=keys,
        states=refolded,
        addresses=[(a, w.address, w.person) for a, w in mapping if w is not OWNER],
        full=False,
        standings=rows,
    )
    how = Refold("partial" if keys else "none", len(keys), written, len(rows))
    return contacts, standings, how


def _scratch(
    session: Session, policy: Policy, who: Identities, now: datetime, events: Events | None
) -> tuple[dict[str, Contact], dict[str, Standing] | None, Refold]:
    """Everyone folded and assessed afresh, nothing read from the state or written to it."""
    contacts = _fold_all(session, policy, who, now, None)
    standings = None
    if events is not None:
        contacts = _with_events(contacts, events)
        standings = {k: assess(c, policy, now) for k, c in contacts.items()}
    return contacts, standings, Refold("scratch", 0, False, len(standings or ()))


def _with_events(contacts: dict[str, Contact], events: Events) -> dict[str, Contact]:
    """The imported life events joined to the ones the fold saw in mail."""
    return {
        k: replace(c, events=(*c.events, *events[k])) if k in events else c
        for k, c in contacts.items()
    }


def standing_basis(policy: Policy) -> str:
    """What every standing is assessed from besides the contact and `now`, as one hash: the
    whole policy (tiers, cadences, the owner's per-person settings, windows), the rules'
    version and the stored shape."""
    data = {
        "version": STATE_VERSION,
        "rules": STANDING_RULES,
        "source": _standing_source(),
        "shape": STANDING_SHAPE,
        "policy": {f.name: _plain(getattr(policy, f.name)) for f in fields(policy)},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@cache
def _standing_source() -> str:
    """A hash of rules/standing.py's text: an edit of `assess` that forgot to bump
    STANDING_RULES still has every standing assessed again (once). Empty when the source is
    not there to read (bytecode only): STANDING_RULES alone then."""
    try:
        return hashlib.sha256(Path(standing_rules.__file__ or "").read_bytes()).hexdigest()
    except OSError:
        return ""


def _person_basis(basis: str, found: tuple[LifeEvent, ...] | None) -> str:
    """`basis`, and the person's imported life events when they have any."""
    if not found:
        return basis
    data = [basis, [[e.kind, e.at.isoformat(), e.text, list(e.evidence)] for e in found]]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def _assessed(
    session: Session,
    policy: Policy,
    now: datetime,
    contacts: dict[str, Contact],
    refolded: Collection[str] | None,
    events: Events,
) -> tuple[dict[str, Contact], dict[str, Standing], list[dict[str, Any]]]:
    """The contacts with their imported events, everyone's standing at `now`, and the rows of
    the standings assessed again (to write). `refolded` None: everyone was."""
    contacts = _with_events(contacts, events)
    basis = standing_basis(policy)
    kept: dict[str, tuple[str, str]] = {}
    if refolded is not None:
        # Only the standings whose moment to change has not come (the others are assessed
        # again), through Core: no ORM row processing, no time parsed, for 10,000 rows.
        table = ContactStanding.__table__
        query = select(table.c.person, table.c.basis, table.c.data).where(
            or_(table.c.changes_at.is_(None), table.c.changes_at > now)
        )
        kept = {p: (b, d) for p, b, d in session.connection().execute(query)}
        refolded = set(refolded)
    # Everyone's basis is `basis` but for the few with imported events (one hash each).
    wanted_of = {key: _person_basis(basis, found) for key, found in events.items() if found}
    reused = STANDINGS.read(
        (key, row[1])
        for key in contacts
        if refolded is not None
        and key not in refolded
        and (row := kept.get(key)) is not None
        and row[0] == wanted_of.get(key, basis)
    )
    standings: dict[str, Standing] = {}
    rows: list[dict[str, Any]] = []
    for key, contact in contacts.items():
        standing = reused.get(key)
        if standing is not None:
            standings[key] = standing
            continue
        wanted = wanted_of.get(key, basis)
        standing = standings[key] = assess(contact, policy, now)
        rows.append(
            {
                "person": key,
                "changes_at": changes_at(contact, policy, now, standing),
                "basis": wanted,
                "data": encode_standing(standing),
            }
        )
    return contacts, standings, rows


def _generation() -> Any:
    return select(ContactStateHeader.generation).where(ContactStateHeader.id == _HEADER)


def _stored(session: Session) -> dict[str, str]:
    """Person key -> the stored contact's text, through Core (no ORM row processing)."""
    table = ContactState.__table__
    return dict(session.connection().execute(select(table.c.person, table.c.data)).all())


def _crossed(session: Session, since: datetime, now: datetime) -> set[str]:
    """The addresses of interactions that crossed into the past since `since`: mail (and any
    record) dated in (since, now], meetings that ended in it. The fold reads `now` only there:
    a record after `now` does not count yet, a meeting not ended is upcoming."""
    if now <= since:
        return set()
    p, i = ParticipantRow.__table__, Row.__table__
    joined = p.join(i, i.c.id == p.c.interaction_id)
    found = set(
        session.scalars(
            select(p.c.address)
            .select_from(joined)
            .where(Row.occurred_at > since, Row.occurred_at <= now)
            .distinct()
        )
    )
    # A literal kind, so SQLite can use the partial index on meetings' ends.
    found.update(
        session.scalars(
            select(p.c.address)
            .select_from(joined)
            .where(text("interactions.kind = 'meeting'"), Row.ended_at > since, Row.ended_at <= now)
            .distinct()
        )
    )
    # Mail that crossed changes its thread mates too (a reply by Bea, future-dated until now,
    # answers the owner's question to Ann), as mark_page marks them when it is stored.
    message_ids: set[str] = set()
    thread_ids: set[str] = set()
    subjects: set[tuple[str, datetime, bool]] = set()
    for message_id, in_reply_to, references, thread_id, subject, at in session.execute(
        select(
            Row.message_id,
            Row.in_reply_to,
            Row.references,
            Row.thread_id,
            Row.subject,
            Row.occurred_at,
        ).where(Row.kind == Kind.MAIL.value, Row.occurred_at > since, Row.occurred_at <= now)
    ):
        message_ids.update(m for m in (message_id, in_reply_to) if m)
        message_ids.update((references or "").split())
        if thread_id:
            thread_ids.add(thread_id)
        refs = tuple((references or "").split())
        keyed = subject_thread_key(subject, message_id, in_reply_to, refs, thread_id)
        if keyed is not None:
            subjects.add((keyed[0], at, keyed[1]))
    # As mark_page: only the subject threads the crossing may move, against the mail that was
    # counted at `since` (the rest crossed with it, or has not yet).
    moved = moved_subjects(session.connection(), subjects, since) if subjects else set()
    if message_ids or thread_ids or moved:
        mates = sorted(
            thread_mates(
                session.connection(), sorted(message_ids), sorted(thread_ids), sorted(moved)
            )
        )
        for start in range(0, len(mates), _CHUNK):
            found.update(
                session.scalars(
                    select(p.c.address).where(p.c.interaction_id.in_(mates[start : start + _CHUNK]))
                )
            )
    return found


def _fold_all(
    session: Session,
    policy: Policy,
    who: Identities,
    now: datetime,
    progress: Progress | None,
) -> dict[str, Contact]:
    items: Iterable[Interaction] = iter_interactions(session)
    if progress is not None:
        total = session.scalar(select(func.count()).select_from(Row)) or 0
        items = _reporting(items, total, progress)
    return {
        k: c for k, c in fold(items, who, policy, now, ordered=True).items() if c.excluded is None
    }


def _reporting(
    items: Iterable[Interaction], total: int, progress: Progress
) -> Iterator[Interaction]:
    done = 0
    progress(0, total)
    source = iter(items)
    while True:
        # A chunk passed on by C iterators, not a Python step per interaction: zip takes
        # from the counter first, so it has gone one past the chunk's length at its end.
        counter = count()
        yield from map(itemgetter(1), zip(counter, islice(source, PROGRESS_EVERY), strict=False))
        taken = next(counter) - 1
        done += taken
        if taken < PROGRESS_EVERY:
            break
        progress(done, total)
    progress(done, total)


def _full(
    session: Session,
    policy: Policy,
    who: Identities,
    now: datetime,
    header: ContactStateHeader | None,
    marked: int,
    wanted: str,
    progress: Progress | None,
    events: Events | None,
) -> tuple[dict[str, Contact], dict[str, Standing] | None, Refold]:
    """Fold everyone and write it all; the marks read so far are then settled."""
    contacts = _fold_all(session, policy, who, now, progress)
    standings: dict[str, Standing] | None = None
    rows: list[dict[str, Any]] = []
    if events is not None:
        # The state keeps the fold's contacts; the standings are of them with imported events.
        with_events, standings, rows = _assessed(session, policy, now, contacts, None, events)
    resolve = Resolver(who, policy)
    addresses = []
    with scan_cache(session.connection()):  # the address index read once: a small page cache
        distinct = list(session.scalars(select(ParticipantRow.address).distinct()))
    for address in distinct:
        found = resolve[address]
        if found is not OWNER:
            addresses.append((address, found.address, found.person))
    written = _write(
        session,
        None if header is None else header.generation,
        wanted,
        now,
        who,
        marked,
        replace_keys=None,
        states=contacts,
        addresses=addresses,
        full=True,
        standings=rows,
    )
    if standings is not None:
        contacts = with_events
    return contacts, standings, Refold("full", len(contacts), written, len(rows))


def _write(
    session: Session,
    generation: int | None,
    wanted: str,
    now: datetime,
    who: Identities,
    marked: int,
    *,
    replace_keys: Collection[str] | None,
    states: Mapping[str, Contact],
    addresses: list[tuple[str, str, str]],
    full: bool,
    standings: list[dict[str, Any]],
) -> bool:
    """The new state in one transaction of its own, only if the header's generation is still
    `generation` (None: no header yet). False when another writer came first or the database
    is busy or read-only: the answer stands, and the marks stay for the next evaluation."""
    identities = json.dumps({"people": dict(who.people), "names": dict(who.names)}, sort_keys=True)
    try:
        with Session(bind=session.get_bind()) as writer, writer.begin():
            if generation is None:
                writer.execute(
                    insert(ContactStateHeader).values(
                        id=_HEADER,
                        fingerprint=wanted,
                        folded_at=now,
                        generation=1,
                        identities=identities,
                    )
                )
            else:
                moved = writer.execute(
                    update(ContactStateHeader)
                    .where(
                        ContactStateHeader.id == _HEADER,
                        ContactStateHeader.generation == generation,
                    )
                    .values(
                        fingerprint=wanted,
                        folded_at=now,
                        generation=generation + 1,
                        identities=identities,
                    )
                )
                if moved.rowcount != 1:  # type: ignore[attr-defined]
                    writer.rollback()
                    return False
            if full:
                writer.execute(delete(ContactState))
                writer.execute(delete(ContactAddress))
                writer.execute(delete(ContactStanding))
            else:
                assert replace_keys is not None
                for chunk in _chunks(sorted(replace_keys)):
                    writer.execute(delete(ContactState).where(ContactState.person.in_(chunk)))
                # A standing goes with its contact: never one assessed from an older contact.
                gone = set(replace_keys) | {row["person"] for row in standings}
                for chunk in _chunks(sorted(gone)):
                    writer.execute(delete(ContactStanding).where(ContactStanding.person.in_(chunk)))
                for chunk in _chunks([a for a, _n, _p in addresses]):
                    writer.execute(delete(ContactAddress).where(ContactAddress.address.in_(chunk)))
            # Encoded a chunk at a time: all 10,000 people's JSON at once is 30 MB more peak.
            people = list(states.items())
            for start in range(0, len(people), _CHUNK):
                rows = [{"person": k, "data": encode(c)} for k, c in people[start : start + _CHUNK]]
                writer.execute(insert(ContactState), rows)
            for start in range(0, len(standings), _CHUNK):
                writer.execute(insert(ContactStanding), standings[start : start + _CHUNK])
            links = [{"address": a, "normal": n, "person": p} for a, n, p in addresses]
            for start in range(0, len(links), _CHUNK):
                writer.execute(insert(ContactAddress), links[start : start + _CHUNK])
            writer.execute(delete(ContactDirty).where(ContactDirty.id <= marked))
    except (IntegrityError, DBAPIError) as exc:
        # A concurrent first refold inserted the header, or SQLite stayed busy past its
        # timeout: nothing of ours was written.
        log.info("contact state not written (%s)", type(exc).__name__)
        return False
    return True


def invalidate(connection: Connection) -> None:
    """Drop the state's header, in the caller's transaction: the next evaluation folds everyone.
    For changes too wide to mark address by address (an account's interactions forgotten)."""
    connection.execute(delete(ContactStateHeader))
