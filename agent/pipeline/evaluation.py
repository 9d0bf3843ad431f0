"""Feeding the pure rules from the database: who is who, what counted, and the plan at `now`.

The one place that turns stored rows and owner settings into the rules' inputs (interactions,
identities, policy, circumstances) and hands back their outputs. `people`, `person`, `plan`,
drafting and the daemon all come through here, so they always agree.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchbase.agent.errors import ConfigError
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.contact_state import Progress, standings_at
from touchbase.agent.pipeline.history import iter_interactions
from touchbase.agent.pipeline.identity import imported_events
from touchbase.agent.pipeline.models import (
    Account,
    Draft,
    MergeSuggestion,
    Person,
    PersonAddress,
    SyncRun,
)
from touchbase.agent.pipeline.models import InteractionRow as Row
from touchbase.rules.addresses import normalise
from touchbase.rules.contacts import Contact, fold
from touchbase.rules.dates import KnownDate
from touchbase.rules.life_events import LifeEvent
from touchbase.rules.people import Identities
from touchbase.rules.policy import Policy, PolicyError, load_policy
from touchbase.rules.standing import Standing, assess

# What only a plan needs is imported when one is made (issue 16): `people`, `people --due` and
# `person` evaluate with plan=False and load no deciding, owed-mail or sightings code (~0.01 s
# of each start; tests/agent/test_cli_startup.py keeps them out).
if TYPE_CHECKING:
    from touchbase.rules.decide import Circumstances, Plan

OPEN_DRAFT_STATES = ("pending", "approved", "pushed", "snoozed")


def person_key(person_id: int) -> str:
    """The rules' key for a person the database knows (merged, imported or with settings)."""
    return f"p{person_id}"


def policy_for(config: Config, session: Session | None = None) -> Policy:
    """The shipped defaults, the owner's time zone, the config's [policy], then what the owner
    set per person in the database (`touchbase person ADDRESS --set ...`)."""
    table: dict[str, Any] = {"timezone": config.me.time_zone, **config.policy}
    try:
        policy = load_policy(table)
    except PolicyError as exc:
        raise ConfigError(f"{exc}", advice="see rules/default.toml for every setting") from None
    if session is None:
        return policy
    cadence = dict(policy.cadence)
    never = set(policy.never_draft)
    for person in session.scalars(
        select(Person).where((Person.cadence_days.is_not(None)) | Person.never_draft)
    ):
        if person.cadence_days is not None:
            cadence[person_key(person.id)] = timedelta(days=person.cadence_days)
        if person.never_draft:
            never.add(person_key(person.id))
    return replace(policy, cadence=MappingProxyType(cadence), never_draft=frozenset(never))


def identities(session: Session, me: Collection[str]) -> Identities:
    """Who is who: the owner's addresses, merged people, and the names the owner set (or a
    contacts file gave), which win over names seen in mail."""
    rows = session.execute(select(PersonAddress.address, PersonAddress.person_id))
    names = session.execute(select(Person.id, Person.name).where(Person.name != ""))
    return Identities.of(
        me,
        {address: person_key(pid) for address, pid in rows},
        {person_key(pid): name for pid, name in names},
    )


def circumstances(
    session: Session, policy: Policy, now: datetime, owner_name: str = ""
) -> Circumstances:
    """What the rules need beyond interactions: open and rejected drafts (by person key and by
    address, since a draft may go to an address nobody merged), snoozes, known dates, the
    drafts made since the owner's local midnight, and each account's history."""
    from touchbase.agent.pipeline.drafts.lifecycle import split_recipient
    from touchbase.rules.decide import Circumstances

    open_drafts: set[str] = set()
    rejected: dict[str, datetime] = {}
    for person_id, to, status, updated in session.execute(
        select(Draft.person_id, Draft.to_addresses, Draft.status, Draft.updated_at).where(
            Draft.status.in_((*OPEN_DRAFT_STATES, "rejected")), Draft.kind != "digest"
        )
    ):
        keys = {normalise(split_recipient(r)[1]) for r in json.loads(to or "[]")}
        if person_id is not None:
            keys.add(person_key(person_id))
        if status != "rejected":
            open_drafts |= keys
            continue
        for key in keys:
            if key not in rejected or updated > rejected[key]:
                rejected[key] = updated
    snoozed: dict[str, datetime] = {}
    known: dict[str, tuple[KnownDate, ...]] = {}
    for person in session.scalars(
        select(Person).where(
            (Person.snoozed_until.is_not(None))
            | (Person.birthday.is_not(None))
            | (Person.work_anniversary.is_not(None))
        )
    ):
        key = person_key(person.id)
        if person.snoozed_until is not None and person.snoozed_until > now:
            snoozed[key] = person.snoozed_until
        dates = []
        if person.birthday is not None:
            b = person.birthday
            dates.append(KnownDate("birthday", b.month, b.day, b.year if b.year > 1 else None))
        if person.work_anniversary is not None:
            w = person.work_anniversary
            dates.append(KnownDate("work-anniversary", w.month, w.day, w.year))
        if dates:
            known[key] = tuple(dates)
    midnight = now.astimezone(policy.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    drafts_today = (
        session.scalar(
            select(func.count())
            .select_from(Draft)
            .where(Draft.created_at >= midnight, Draft.kind != "digest")
        )
        or 0
    )
    return Circumstances(
        events=life_events(session),
        open_drafts=frozenset(open_drafts),
        rejected=rejected,
        snoozed=snoozed,
        known_dates=known,
        drafts_today=drafts_today,
        account_history=account_history(session),
        owner_name=owner_name,
        kept_apart=frozenset(
            (a, b)
            for a, b in session.execute(
                select(MergeSuggestion.address_a, MergeSuggestion.address_b).where(
                    MergeSuggestion.status == "declined"
                )
            )
        ),
    )


def life_events(session: Session) -> dict[str, tuple[LifeEvent, ...]]:
    """Person key -> the life events imports recorded (a LinkedIn export's new roles)."""
    return {person_key(pid): found for pid, found in imported_events(session).items()}


def account_history(session: Session) -> dict[str, tuple[int, int]]:
    """Per account, (interactions it had, interactions its latest full resync still saw).

    Only accounts whose latest run was a full resync are listed: a resync that saw nothing of a
    mailbox that had history is the "wiped or wrong mailbox" case the safety valve stops on.
    Interactions the provider tombstoned count as gone.
    """
    history: dict[str, tuple[int, int]] = {}
    for account in session.scalars(select(Account)):
        latest = session.scalars(
            select(SyncRun)
            .where(SyncRun.account_id == account.id, SyncRun.status == "ok")
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(1)
        ).first()
        if latest is None or not latest.resyncs:
            continue
        # Both counts in one pass over the account's rows (COUNT of a column counts the rows
        # where it is set): at 1,000,000 interactions 0.20-0.23 s instead of 0.26-0.43 s for
        # two queries, paid at every evaluation while the latest run is a resync.
        had, removed = session.execute(
            select(func.count(), func.count(Row.removed_at)).where(Row.account_id == account.id)
        ).one()
        history[account.name] = (had, min(had - removed, latest.stored + latest.duplicates))
    return history


@dataclass(frozen=True)
class Evaluation:
    """Everything the rules said at `now`."""

    now: datetime
    policy: Policy
    contacts: Mapping[str, Contact]
    standings: Mapping[str, Standing]
    planned: Plan | None = None  # None: evaluated with plan=False

    @property
    def plan(self) -> Plan:
        """The plan; an empty one when none was made (plan=False), whose type is then imported
        only if it is read: a listing of people loads no plan types (issue 16)."""
        if self.planned is not None:
            return self.planned
        from touchbase.rules.decision import Plan

        return Plan((), ())


def contacts_at(
    session: Session,
    config: Config,
    me: Collection[str],
    now: datetime,
    *,
    touching: Collection[str] | None = None,
    only: Collection[str] | None = None,
    trace: bool = False,
) -> tuple[Policy, dict[str, Contact]]:
    """Contacts at `now`: of everyone, or with `touching` of the people in those addresses'
    interactions (`only` narrows it to some person keys, for refolding what a sync changed).
    The interactions stream from the database in time order and are never all in memory."""
    policy = policy_for(config, session)
    who = identities(session, me)
    items = iter_interactions(session, touching=touching, threads=True)
    with _collector_paused():
        return policy, fold(items, who, policy, now, only=only, trace=trace, ordered=True)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector off for a fold or an evaluation: they make next to no cycles, but a
    million short-lived records trigger full collections that walk everything alive (measured
    17% of the CPU of a 1,000,000-interaction evaluation). Reference counting still frees all
    of it; the few cycles (SQLAlchemy's) wait for the first collection after. Nesting is safe:
    only the outermost pause turns the collector back on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def evaluate(
    session: Session,
    config: Config,
    me: Collection[str],
    now: datetime,
    *,
    plan: bool = True,
    scratch: bool = False,
    progress: Progress | None = None,
) -> Evaluation:
    """Contacts, their standing and the plan (a dry run: no draft is written); with
    `plan=False` the plan is left empty, for callers that only list people (at 200,000
    people deciding is a third of the time).

    The contacts come from the persisted contact state (contact_state.py), brought up to date
    at `now`: only the people a sync, a merge or time passing changed are refolded; a full
    refold (reported to `progress` as (interactions folded, all of them)) happens only when
    the fold's policy or the owner's addresses changed. The standings are persisted with them:
    only the refolded people, those whose standing's moment to change came, and everyone after
    a policy change are assessed again. `scratch` folds and assesses everyone instead and
    touches no state: the baseline the state is held equal to.
    """
    # The collector paused for all of it, not only the fold: with 10,000 contacts, their
    # standings and the owed mail alive, the plan's own allocations set off a full collection
    # and a dozen middle ones per plan, 0.15-0.27 s of a 0.9-1.3 s Service.plan at 10k/1M.
    with _collector_paused():
        return _evaluate(session, config, me, now, plan, scratch, progress)


def _evaluate(
    session: Session,
    config: Config,
    me: Collection[str],
    now: datetime,
    plan: bool,
    scratch: bool,
    progress: Progress | None,
) -> Evaluation:
    policy = policy_for(config, session)
    known = circumstances(session, policy, now, config.me.name) if plan else None
    # Events an import recorded join those the fold saw in mail, so every view shows both.
    events = known.events if known is not None else life_events(session)
    if scratch:
        _policy, contacts = contacts_at(session, config, me, now)
        people = {
            k: replace(c, events=(*c.events, *events[k])) if k in events else c
            for k, c in contacts.items()
            if c.excluded is None
        }
        standings = {k: assess(c, policy, now) for k, c in people.items()}
    else:
        people, standings, _how = standings_at(
            session, policy, identities(session, me), now, events, progress=progress
        )
    if not plan:
        return Evaluation(now, policy, people, standings)
    assert known is not None  # planned
    from touchbase.agent.pipeline.drafts.owed import owed_mail
    from touchbase.agent.pipeline.sightings import sightings_for
    from touchbase.rules.decide import decide

    # Addresses in the headers that may be a due person's newer one (issue 11.1).
    due = [people[k] for k, s in standings.items() if s.due is not None and s.due <= now]
    known = replace(
        known,
        sightings=sightings_for(session, due, me),
        owed=owed_mail(session, people, standings, policy, now, me, config.me.name),
        owner_domains=frozenset(a.rpartition("@")[2].lower() for a in me),  # colleagues (H6)
    )
    decided = decide(people.values(), policy, now, known, standings=standings)
    return Evaluation(now, policy, people, standings, decided)


def cadence_days(standing: Standing) -> float:
    return round(standing.cadence / timedelta(days=1), 1)
