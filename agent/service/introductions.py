"""`service.introductions` (issue 20): introduce two people (double opt-in), the second draft
once the first person answers, and suggestions of whom to introduce, for the CLI, the review
page and the daemon alike. Each action is one transaction."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.drafts import introductions as pipeline
from touchbase.agent.pipeline.evaluation import policy_for
from touchbase.agent.pipeline.models import Introduction
from touchbase.rules.introductions import Candidate

if TYPE_CHECKING:
    from touchbase.agent.pipeline.compose.render import Drafter
    from touchbase.agent.service import Service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntroductionView:
    """An introduction as the front ends show it (stable JSON through `as_json`)."""

    id: int
    a: str
    b: str
    state: str
    reasons: tuple[str, ...]
    note: str
    ask_draft: int | None
    intro_draft: int | None

    @classmethod
    def of(cls, row: Introduction) -> IntroductionView:
        return cls(
            row.id,
            row.address_a,
            row.address_b,
            row.state,
            tuple(json.loads(row.reasons or "[]")),
            row.note or "",
            row.ask_draft_id,
            row.intro_draft_id,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "a": self.a,
            "b": self.b,
            "state": self.state,
            "reasons": list(self.reasons),
            "note": self.note,
            "ask_draft": self.ask_draft,
            "introduce_draft": self.intro_draft,
        }


@dataclass(frozen=True)
class SuggestionList:
    open: list[IntroductionView]
    waiting: list[Candidate]
    pacing: str

    def as_json(self) -> dict[str, Any]:
        return {
            "suggestions": [s.as_json() for s in self.open],
            "waiting": [
                {"a": c.a.address, "b": c.b.address, "reasons": list(c.reasons)}
                for c in self.waiting
            ],
            "pacing": self.pacing,
        }


class Introductions:
    def __init__(self, service: Service) -> None:
        self._service = service

    def _drafter(self) -> Drafter:
        from touchbase.agent.pipeline.compose.render import Drafter, templates_dir  # issue 16

        config = self._service.config
        sensitive = policy_for(config).sensitive_topics
        return Drafter(config.me, templates_dir(config.path), sensitive=sensitive)

    def introduce(
        self, a: str, b: str, at: datetime | None = None, note: str = ""
    ) -> IntroductionView:
        """The ask to `a` about `b` as a pending draft; UserError with the reason if refused."""
        service = self._service
        when = at or service.now()
        with service.sessions.begin() as session:
            row = pipeline.start(
                session, service.config, service.me(), self._drafter(), a, b, when, note
            )
            return IntroductionView.of(row)

    def advance(self, at: datetime | None = None) -> list[int]:
        """Second drafts for asks that were answered (made once: the row and the draft commit
        together); returns the new drafts' ids."""
        service = self._service
        with service.sessions.begin() as session:
            return pipeline.advance(
                session, service.config, service.me(), self._drafter(), at or service.now()
            )

    def suggestions(self, at: datetime | None = None) -> SuggestionList:
        """Open suggestions (a new one at most every `introduce_every`), and those waiting."""
        service = self._service
        with service.sessions.begin() as session:
            found = pipeline.suggest(session, service.config, service.me(), at or service.now())
            return SuggestionList(
                [IntroductionView.of(r) for r in found.open], found.waiting, found.pacing
            )

    def open(self) -> SuggestionList:
        """The suggestions already made, for the review page (no evaluation: cheap)."""
        with self._service.sessions() as session:
            rows = pipeline.open_suggestions(session)
            return SuggestionList([IntroductionView.of(r) for r in rows], [], "")

    def suggest_if_due(self, at: datetime | None = None) -> int:
        """After planning (drafts create, the daemon): a new suggestion when the pacing has
        room, else nothing (so the whole mailbox is walked at most once per introduce_every).
        Returns how many were made (0 or 1)."""
        service = self._service
        when = at or service.now()
        with service.sessions() as session:
            if not pipeline.suggestion_due(session, service.config, when):
                return 0
        before = {s.id for s in self.open().open}
        try:
            made = self.suggestions(when).open
        except UserError as exc:  # a suggestion is a nicety: it never stops the drafts
            log.warning("no introduction suggestion this time: %s", exc)
            return 0
        return len({s.id for s in made} - before)

    def accept(
        self, introduction_id: int, at: datetime | None = None, note: str = ""
    ) -> IntroductionView:
        """A suggestion becomes an introduction: the ask to its A."""
        with self._service.sessions() as session:
            row = pipeline.suggestion(session, introduction_id)
            a, b = row.address_a, row.address_b
        return self.introduce(a, b, at, note)

    def dismiss(self, introduction_id: int, at: datetime | None = None) -> IntroductionView:
        """Remembered: the pair is not suggested again."""
        service = self._service
        with service.sessions.begin() as session:
            row = pipeline.dismiss(session, introduction_id, at or service.now())
            return IntroductionView.of(row)

    def for_addresses(self, addresses: list[str]) -> list[IntroductionView]:
        with self._service.sessions() as session:
            return [IntroductionView.of(r) for r in pipeline.pairs_for(session, addresses)]
