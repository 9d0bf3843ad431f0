"""The one door to the pipeline: one `Service` per open database, one method per task.

The CLI, the review page and the daemon are thin adapters over it (docs/architecture.md): none
of them opens an account, evaluates the rules or writes a draft on its own, so they cannot
disagree. A Service is built from the configuration, the database URL and a clock; the
database is opened (and migrated) on first use, so `touchbase init` needs none.

- `sync(account)`: open the account and drain it into the store; a run is recorded whatever
  happens, with the error kind's advice (agent.pipeline.sync.pull).
- `people(at)`, `plan(at)`, `person(address, at)`, `due(at)`: the rules at a moment, through
  agent.pipeline.evaluation. A dry run: nothing is written.
- `apply(plan, at)`: the plan's decisions become pending drafts, exactly those and in its order.
- `notice_sent(at)`, `expire_not_due(plan, at)`, `push_approved(at)`, `digest(entries, at)`:
  the drafts' life after the owner's review.
- `review`, `identity`, `accounts`: the owner's own actions on drafts, people and accounts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.errors import UserError
from touchbase.agent.lazy import lazy_names
from touchbase.agent.pipeline.config import AccountConfig, Config, data_dir
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import AppState, Draft, Person, PersonAddress

# Everything else is imported where it is used (issue 16): `status`, `drafts` and `serve --url`
# load no evaluation, drafting, push or sync. The result types stay importable from here, made
# on first use by __getattr__ below.
if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from touchbase.agent.pipeline.drafts import digest as digests
    from touchbase.agent.pipeline.drafts.create import CreateResult
    from touchbase.agent.pipeline.drafts.push import PushResult
    from touchbase.agent.pipeline.drafts.review import Housekeeping, SinkFor
    from touchbase.agent.pipeline.evaluation import Evaluation, cadence_days
    from touchbase.agent.pipeline.store import Store
    from touchbase.agent.pipeline.sync import SyncResult
    from touchbase.agent.service.accounts import Accounts
    from touchbase.agent.service.identity import Identity
    from touchbase.agent.service.introductions import Introductions
    from touchbase.agent.service.owner import Owner, OwnerReview
    from touchbase.agent.service.review import Review
    from touchbase.agent.service.views import Due, Moment, PersonView
    from touchbase.connectors.base import DraftSink
    from touchbase.rules.decide import Plan

__all__ = [
    "CreateResult",
    "Due",
    "Evaluation",
    "Housekeeping",
    "Moment",
    "OwnerReview",
    "PersonView",
    "PushResult",
    "Service",
    "SyncResult",
    "cadence_days",
]

# The re-exported names and the module each comes from, imported on first use.
_LAZY = {
    "CreateResult": "touchbase.agent.pipeline.drafts.create",
    "Due": "touchbase.agent.service.views",
    "Evaluation": "touchbase.agent.pipeline.evaluation",
    "Housekeeping": "touchbase.agent.pipeline.drafts.review",
    "Moment": "touchbase.agent.service.views",
    "OwnerReview": "touchbase.agent.service.owner",
    "PersonView": "touchbase.agent.service.views",
    "PushResult": "touchbase.agent.pipeline.drafts.push",
    "SyncResult": "touchbase.agent.pipeline.sync",
    "cadence_days": "touchbase.agent.pipeline.evaluation",
}


__getattr__ = lazy_names(__name__, _LAZY)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Service:
    """touchbase on one database. `clock` is the only source of "now" (tests pass their own);
    `sinks` replaces where approved drafts are pushed (tests pass a MemorySink), `sleep` the
    wait between push attempts."""

    def __init__(
        self,
        config: Config,
        db_url: str,
        clock: Callable[[], datetime] = utcnow,
        *,
        sinks: SinkFor | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.db_url = db_url
        self.clock = clock
        self.sleep = sleep
        self._sinks = sinks
        # Told how a full refold of the contact state goes (a terminal's bar; issue 16).
        self.refold_progress: Callable[[int, int], None] | None = None

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return open_database(self.db_url)

    @cached_property
    def store(self) -> Store:
        from touchbase.agent.pipeline.store import Store

        return Store(self.sessions)

    @property
    def engine(self) -> Engine:
        engine: Engine = self.sessions.kw["bind"]
        return engine

    @property
    def outbox(self) -> Path:
        """Where drafts for accounts without a Drafts folder are written, as .eml files."""
        return data_dir() / "outbox"

    @property
    def zone(self) -> ZoneInfo:
        """The owner's time zone, as the rules use it."""
        from touchbase.agent.pipeline.evaluation import policy_for

        return policy_for(self.config).zone

    def now(self) -> datetime:
        return self.clock()

    def reconfigure(self, config: Config) -> None:
        """Use a reloaded configuration from now on (same database: a new URL needs a restart)."""
        self.config = config

    @cached_property
    def review(self) -> Review:
        from touchbase.agent.service.review import Review

        return Review(self)

    @cached_property
    def introductions(self) -> Introductions:
        from touchbase.agent.service.introductions import Introductions

        return Introductions(self)

    @cached_property
    def identity(self) -> Identity:
        from touchbase.agent.service.identity import Identity

        return Identity(self)

    @cached_property
    def accounts(self) -> Accounts:
        from touchbase.agent.service.accounts import Accounts

        return Accounts(self)

    # --- the owner ------------------------------------------------------------------------

    @cached_property
    def owner(self) -> Owner:
        from touchbase.agent.service.owner import Owner

        return Owner(self)

    def me(self) -> tuple[str, ...]:
        """The owner's addresses: the config's, those remembered from `import --me` and those
        learned from the mail (agent.pipeline.owner). Every front end and step uses this list."""
        return self.owner.addresses()

    def remember_me(self, addresses: Iterable[str]) -> None:
        self.owner.remember(list(addresses))

    def state(self, key: str) -> str | None:
        with self.sessions() as session:
            return session.scalar(select(AppState.value).where(AppState.key == key))

    def set_state(self, key: str, value: str) -> None:
        with self.sessions.begin() as session:
            row = session.get(AppState, key)
            if row is None:
                session.add(AppState(key=key, value=value))
            else:
                row.value = value

    def remembered(self, key: str, make: Callable[[], str]) -> str:
        """The value kept under `key`, made by `make` and kept on first use."""
        with self.sessions.begin() as session:
            row = session.get(AppState, key)
            if row is None:
                row = AppState(key=key, value=make())
                session.add(row)
            return row.value

    # --- accounts -------------------------------------------------------------------------

    def sync(
        self,
        account: AccountConfig,
        *,
        on_page: Callable[[SyncResult], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> SyncResult:
        """Pull one account into the store: the one sync path of the CLI and the daemon."""
        from touchbase.agent.pipeline.sync import pull

        return pull(
            self.store,
            account,
            self.config,
            self.me(),
            clock=self.clock,
            on_page=on_page,
            should_stop=should_stop,
        )

    def account_id(self, account: AccountConfig) -> int:
        """The account's row id, made on first sight."""
        return self.store.ensure_account(account.name, account.type, self.now())

    # --- the rules at a moment ------------------------------------------------------------

    def people(self, at: datetime, *, plan: bool = True) -> Evaluation:
        """Everyone's contact and standing, and the plan, at `at`. `plan=False` skips the plan
        (its `plan` is then empty): a listing of people needs none, and at 200,000 people the
        plan is a third of the time."""
        from touchbase.agent.pipeline.evaluation import evaluate

        with self.sessions() as session:
            return evaluate(
                session, self.config, self.me(), at, plan=plan, progress=self.refold_progress
            )

    def plan(self, at: datetime) -> Plan:
        """What the rules would draft at `at`, in order, and what they hold back (a dry run)."""
        return self.people(at).plan

    def due(self, at: datetime) -> list[Due]:
        """Who is owed a message at `at`: the plan's decisions, then those it holds back."""
        from touchbase.agent.service.views import due_rows

        evaluation = self.people(at)
        with self.sessions() as session:
            ids = dict(
                session.execute(select(PersonAddress.address, PersonAddress.person_id)).all()
            )
        return due_rows(evaluation, ids)

    def person(self, address: str, at: datetime) -> PersonView:
        """One person at `at`, found by any of their addresses, with everything the rules
        walked for them (their contact is None when nothing with them is stored)."""
        from touchbase.rules.addresses import normalise

        address = normalise(address)
        with self.sessions() as session:
            person_id = session.scalar(
                select(PersonAddress.person_id).where(PersonAddress.address == address)
            )
            return self._person(session, person_id, address, at)

    def person_of(self, person_id: int, at: datetime) -> PersonView | None:
        """`person` by the Person row's id; None when there is no such person."""
        with self.sessions() as session:
            if session.get(Person, person_id) is None:
                return None
            return self._person(session, person_id, None, at)

    def person_id(self, address: str) -> int | None:
        """The Person row's id of an address (merged, named or imported); None when it has
        none. No evaluation: for finding which page shows an address."""
        from touchbase.rules.addresses import normalise

        with self.sessions() as session:
            return session.scalar(
                select(PersonAddress.person_id).where(PersonAddress.address == normalise(address))
            )

    def _person(
        self, session: Session, person_id: int | None, address: str | None, at: datetime
    ) -> PersonView:
        from touchbase.agent.pipeline.evaluation import _collector_paused, identities, policy_for
        from touchbase.agent.pipeline.history import load_with_threads
        from touchbase.agent.service.views import person_view
        from touchbase.rules.contacts import fold
        from touchbase.rules.people import OWNER, Resolver
        from touchbase.rules.standing import assess

        row = session.get(Person, person_id) if person_id is not None else None
        addresses = [a.address for a in row.addresses] if row is not None else [address or ""]
        # Only their own contact is folded: the interactions touching their addresses hold
        # everyone else on them too (a busy person's group mail: thousands of people folded
        # to be thrown away). `only` keeps theirs exactly as a full fold makes it.
        me = self.me()
        policy, who = policy_for(self.config, session), identities(session, me)
        resolve = Resolver(who, policy)
        keys = {found.person for found in map(resolve.__getitem__, addresses) if found is not OWNER}
        # Read whole, not streamed: the busiest person of bench/rules.py's 1M has 35,117 (a
        # few MB), and each one's subject is taken from the list, with no second read of them
        # and no generator step per interaction in the fold. The collector stays off from the
        # read to the view, not only for the fold: reading and the view's moments make over a
        # hundred thousand objects and no cycle, and its passes over them took the busiest
        # person's page from 0.83 to 0.98 s CPU (a fresh app, then its next page, load ~4).
        with _collector_paused():
            items = load_with_threads(session, addresses)
            subjects = {item.id: item.subject for item in items}
            contacts = fold(items, who, policy, at, only=keys, trace=True, ordered=True)
            del items  # (the fold's input, freed before the view is made)
            contact = next(
                (c for c in contacts.values() if set(addresses) & set(c.addresses)), None
            )
            return person_view(
                session,
                row,
                addresses,
                contact,
                assess(contact, policy, at) if contact and contact.excluded is None else None,
                self.review.for_person(session, person_id, addresses),
                subjects=subjects,
            )

    # --- drafts ---------------------------------------------------------------------------

    def apply(self, plan: Plan, at: datetime) -> CreateResult:
        """The plan's decisions become pending drafts, exactly those, in its order; `at` is
        the moment the plan was made for (the drafts' words count time from it)."""
        from touchbase.agent.pipeline.compose.render import Drafter, templates_dir
        from touchbase.agent.pipeline.drafts.create import create_drafts
        from touchbase.agent.pipeline.drafts.from_rules import requests_from_decisions
        from touchbase.agent.pipeline.evaluation import policy_for

        if plan.stopped:
            raise UserError(f"no drafts made: {plan.stopped}")
        sensitive = policy_for(self.config).sensitive_topics
        drafter = Drafter(self.config.me, templates_dir(self.config.path), sensitive=sensitive)
        with self.sessions.begin() as session:
            requests = requests_from_decisions(session, plan.decisions)
            made = create_drafts(session, requests, drafter, at)
        # Introductions whose first person answered get their second draft (issue 20).
        made.created.extend(self.introductions.advance(at))
        self.introductions.suggest_if_due(at)
        return made

    def expire_not_due(self, plan: Plan, at: datetime) -> list[int]:
        """Pending drafts for people the plan no longer stands behind expire (a follow-up
        whose thread got its reply, a thank-you past its window). A stopped plan expires
        nothing: it says nothing about anyone."""
        from touchbase.agent.pipeline.drafts.sent import expire_not_due

        if plan.stopped:
            return []
        still: set[str] = {h.person for h in plan.held}
        for decision in plan.decisions:
            still |= {decision.person, decision.address}
        with self.sessions.begin() as session:
            return expire_not_due(session, still, at)

    def notice_sent(self, at: datetime) -> Housekeeping:
        """After a sync: drafts seen in Sent are sent, ones the owner overtook expire,
        snoozed ones whose time came are pending again."""
        from touchbase.agent.pipeline.drafts.review import after_sync

        return after_sync(self.sessions, self.me(), at)

    def push_approved(self, at: datetime | None = None) -> list[PushResult]:
        """Every approved draft into its account's Drafts folder, once (looked up first)."""
        from touchbase.agent.pipeline.drafts.push import push_approved as push_all

        return push_all(
            self.sessions, self.sink_for, self.config.me, at or self.now(), sleep=self.sleep
        )

    def digest(self, entries: Sequence[digests.DueLine], at: datetime) -> int | None:
        """The day's digest as an approved draft to the owner; None without an address."""
        from touchbase.agent.pipeline.drafts import digest as digests

        with self.sessions.begin() as session:
            return digests.write_digest(session, self.config, entries, at)

    def sink_for(self, draft: Draft) -> DraftSink | None:
        """Where `draft` is pushed: its account's Drafts folder, else the outbox folder."""
        if self._sinks is not None:
            return self._sinks(draft)
        from touchbase.agent.pipeline.drafts.sinks import sink_for

        return sink_for(self.sessions, self.config, self.me(), self.outbox, draft)
