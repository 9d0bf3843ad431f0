"""Test glue: an Outlook account opened against a FakeGraph, and a tiny store to sync into."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.contract import MessageSpec
from tests.fakes.graph.server import FakeGraph
from touchbase.connectors.base import AccountContext, InteractionRecord, Kind, Source
from touchbase.connectors.errors import TransientError
from touchbase.connectors.graph.account import GraphAccount, open_account

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


class MemorySecrets(dict[str, str]):
    """The Secrets protocol over a dict, counting writes."""

    writes: int = 0

    def set(self, name: str, value: str) -> None:
        self.writes += 1
        self[name] = value


@dataclass
class GraphWorld:
    """A SourceWorld and SinkWorld (tests/contract.py) over a FakeGraph."""

    fake: FakeGraph
    settings: dict[str, Any] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    accounts: list[GraphAccount] = field(default_factory=list)

    def add(self, specs: list[MessageSpec]) -> None:
        for spec in specs:
            self.fake.mailbox.add_message(
                "sentitems" if spec.sent else "inbox",
                sender=spec.sender,
                to=spec.to,
                cc=spec.cc,
                subject=spec.subject,
                date=spec.date,
                message_id=spec.message_id,
            )

    def account(self, **overrides: Any) -> GraphAccount:
        settings = {"client_id": "test-client", "graph_url": self.fake.url, "page_size": 2}
        settings.update(self.settings)
        settings.update(overrides)
        account = open_account(
            settings, AccountContext("work", MemorySecrets()), token=lambda: "test-token"
        )
        account.now = lambda: NOW
        account.client.sleep = self.waits.append  # Retry-After is honoured, not slept in tests
        self.accounts.append(account)
        return account

    def source(self) -> Source:
        return self.account()

    def sink(self) -> GraphAccount:
        return self.account()

    def expire_cursors(self) -> None:
        self.fake.mailbox.expire()

    def send_attempts(self) -> list[str]:
        return self.fake.send_attempts()

    def faults(self, rate: float, seed: int) -> None:
        self.fake.fault_rate = rate
        self.fake.fault_kinds = ("429", "503", "drop", "truncate")
        self.fake._rng = random.Random(seed)

    def odd(self) -> None:
        self.fake.empty_pages = True  # delta-query-overview: empty pages may carry a nextLink
        self.fake.replay = True  # and an item may come again on a later page

    def close(self) -> None:
        for account in self.accounts:
            account.close()


@dataclass
class Store:
    """What the agent's store does with pages, in miniature: upsert, tombstone, keep the cursor."""

    items: dict[str, InteractionRecord] = field(default_factory=dict)
    cursor: str | None = None
    resyncs: int = 0
    interrupted: int = 0

    def sync(self, source: Source, *, attempts: int = 50) -> None:
        """Pull to the end; a TransientError that escapes restarts from the stored cursor."""
        for _ in range(attempts):
            try:
                for page in source.pull(self.cursor):
                    self.resyncs += page.resync
                    for item in page.interactions:
                        self.items[item.source_id] = item
                    for gone in page.removed:  # mail is never tombstoned (store.py _tombstone)
                        if gone in self.items and self.items[gone].kind is Kind.MEETING:
                            self.items.pop(gone)
                    self.cursor = page.cursor
                return
            except TransientError:
                self.interrupted += 1
        raise AssertionError("sync never finished")


def fake_graph(**kwargs: Any) -> Iterator[FakeGraph]:
    with FakeGraph(**kwargs) as fake:
        yield fake
