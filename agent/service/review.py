"""The owner's review of drafts, for the CLI and the review page alike: list, show, edit,
approve (and push), reject, snooze. Each action is its own transaction
(agent.pipeline.drafts.review); the time stamped on it is the service's clock."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.drafts import lifecycle
from touchbase.agent.pipeline.models import Draft

if TYPE_CHECKING:
    from touchbase.agent.pipeline.drafts.push import PushResult
    from touchbase.agent.service import Service


class Review:
    """`service.review`: drafts as the owner sees and changes them."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def drafts(self, statuses: Collection[str] | None = None) -> list[Draft]:
        """Drafts in these statuses (all when None), oldest first."""
        query = select(Draft).order_by(Draft.created_at, Draft.id)
        if statuses is not None:
            query = query.where(Draft.status.in_(list(statuses)))
        with self._service.sessions() as session:
            return list(session.scalars(query))

    def get(self, draft_id: int) -> Draft:
        """One draft; UserError when there is none."""
        with self._service.sessions() as session:
            return lifecycle.get_draft(session, draft_id)

    def approve(self, ids: Sequence[int], *, push: bool = True) -> list[PushResult]:
        """Approve each, then push it into its Drafts folder (unless `push` is False: the
        daemon will). A failed push leaves it approved for the daemon to try again."""
        from touchbase.agent.pipeline.drafts import review as actions

        service = self._service
        return actions.approve(
            service.sessions,
            ids,
            service.sink_for if push else None,
            service.config.me,
            service.now(),
            sleep=service.sleep,
        )

    def reject(self, ids: Sequence[int], reason: str | None = None) -> None:
        from touchbase.agent.pipeline.drafts import review as actions

        actions.reject(self._service.sessions, ids, self._service.now(), reason)

    def snooze(self, draft_id: int, days: float) -> None:
        from touchbase.agent.pipeline.drafts import review as actions

        actions.snooze(self._service.sessions, draft_id, self._service.now(), days)

    def edit(self, draft_id: int, *, subject: str | None = None, body: str | None = None) -> bool:
        """Keep the owner's words; whether anything changed."""
        from touchbase.agent.pipeline.drafts import review as actions

        return actions.edit(
            self._service.sessions, draft_id, self._service.now(), subject=subject, body=body
        )

    @staticmethod
    def for_person(
        session: Session, person_id: int | None, addresses: Collection[str]
    ) -> tuple[Draft, ...]:
        """A person's drafts, newest first: by their Person row, or written to their addresses
        (drafts from before every draft had a person)."""
        wanted = set(addresses)
        found = [Draft.to_addresses.contains(a) for a in wanted if a]
        if person_id is not None:
            found.append(Draft.person_id == person_id)
        if not found:
            return ()
        query = select(Draft).where(or_(*found)).order_by(Draft.created_at.desc(), Draft.id.desc())
        return tuple(
            d
            for d in session.scalars(query)
            if (person_id is not None and d.person_id == person_id)
            or wanted & set(lifecycle.addresses(d))
        )
