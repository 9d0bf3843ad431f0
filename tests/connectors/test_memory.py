"""The in-package fake passes the contract suites it stands in for."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.contract import DraftSinkContract, MessageSpec, SourceContract
from touchbase.connectors.base import InteractionRecord, Kind, Participant, Role
from touchbase.connectors.memory import MemorySink, MemorySource


def to_interaction(spec: MessageSpec) -> InteractionRecord:
    people = [Participant(spec.sender, Role.FROM)]
    people += [Participant(a, Role.TO) for a in spec.to]
    people += [Participant(a, Role.CC) for a in spec.cc]
    return InteractionRecord(
        source_id=spec.message_id,
        kind=Kind.MAIL,
        occurred_at=spec.date,
        participants=tuple(people),
        subject=spec.subject,
        message_id=spec.message_id,
        in_reply_to=spec.in_reply_to,
        folder="sent" if spec.sent else "inbox",
    )


@dataclass
class MemoryWorld:
    backing: MemorySource = field(default_factory=MemorySource)
    drafts: MemorySink = field(default_factory=MemorySink)

    def add(self, specs: list[MessageSpec]) -> None:
        self.backing.add(*(to_interaction(s) for s in specs))

    def source(self) -> MemorySource:
        return self.backing

    def expire_cursors(self) -> None:
        self.backing.generation += 1

    def sink(self) -> MemorySink:
        return self.drafts

    def send_attempts(self) -> list[str]:
        return [c for c in self.drafts.calls if "send" in c]


class TestMemorySource(SourceContract):
    @pytest.fixture
    def world(self) -> Iterator[MemoryWorld]:
        yield MemoryWorld()


class TestMemorySink(DraftSinkContract):
    @pytest.fixture
    def world(self) -> Iterator[MemoryWorld]:
        yield MemoryWorld()
