"""The review page's view of the rules: the due list and a person's standing, from the same
evaluation as `touchbase plan` and `touchbase people`, so the page and the CLI always agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.evaluation import contacts_at, evaluate
from touchbase.agent.pipeline.models import PersonAddress
from touchbase.agent.web.site import DueProvider, DueRow, StandingProvider, StandingView
from touchbase.rules.standing import assess


def _person_ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(PersonAddress.address, PersonAddress.person_id)).all())


def due_from_rules(config: Config, me: Callable[[], tuple[str, ...]]) -> DueProvider:
    def due(session: Session, now: datetime) -> list[DueRow]:
        result = evaluate(session, config, me(), now)
        ids = _person_ids(session)
        rows = [
            DueRow(d.name or d.address, d.address, d.kind, d.due, d.reasons, ids.get(d.address))
            for d in result.plan.decisions
        ]
        proposed = {d.person for d in result.plan.decisions}
        for held in result.plan.held:
            contact = result.contacts.get(held.person)
            if contact is None or held.person in proposed:
                continue
            standing = result.standings.get(held.person)
            rows.append(
                DueRow(
                    contact.name or contact.address,
                    contact.address,
                    held.kind,
                    standing.due if standing else None,
                    (f"waits: {held.reason}",),
                    ids.get(contact.address),
                )
            )
        return rows

    return due


def standing_from_rules(config: Config, me: Callable[[], tuple[str, ...]]) -> StandingProvider:
    def standing(session: Session, addresses: list[str], now: datetime) -> StandingView | None:
        policy, contacts = contacts_at(session, config, me(), now, touching=addresses)
        wanted = set(addresses)
        for contact in contacts.values():
            if wanted & set(contact.addresses) and contact.excluded is None:
                view = assess(contact, policy, now)
                return StandingView(
                    round(view.cadence / timedelta(days=1)), view.cadence_source, view.due
                )
        return None

    return standing
