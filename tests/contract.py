"""The contract suites every connector inherits: one for Source, one for DraftSink.

A connector's test module subclasses `SourceContract` / `DraftSinkContract` and provides a `world`
fixture: an object that can put messages into the backing account (a real Dovecot, a fake Gmail,
the in-memory account...) and build the connector against it. The suites then check the promises
of connectors/base.py the same way for every backend (vdirsyncer's tests/storage does the same).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Protocol

import pytest

from touchbase.connectors.base import (
    DraftMessage,
    DraftSink,
    InteractionRecord,
    Kind,
    Page,
    Role,
    Source,
)
from touchbase.connectors.errors import TransientError

_counter = itertools.count(1)


@dataclass(frozen=True)
class MessageSpec:
    """A message to place in an account, described in provider-neutral terms."""

    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    date: datetime
    cc: tuple[str, ...] = ()
    sent: bool = True  # True: in the owner's sent mail; False: received (inbox)
    in_reply_to: str | None = None


def render_message(
    spec: MessageSpec, *, extra: tuple[str, ...] = (), body: tuple[str, ...] = ("Hello,",)
) -> bytes:
    """`spec` as a small RFC 5322 message with CRLF line ends (its body must never be read)."""
    lines = [
        f"From: {spec.sender}",
        f"To: {', '.join(spec.to)}",
        *([f"Cc: {', '.join(spec.cc)}"] if spec.cc else []),
        f"Subject: {spec.subject}",
        f"Date: {format_datetime(spec.date)}",
        f"Message-ID: {spec.message_id}",
        *([f"In-Reply-To: {spec.in_reply_to}"] if spec.in_reply_to else []),
        *extra,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        *body,
        "",
    ]
    return "\r\n".join(lines).encode()


def make_spec(n: int | None = None, *, sent: bool = True, **overrides: object) -> MessageSpec:
    n = next(_counter) if n is None else n
    base = datetime(2024, 1, 1, 9, 0, tzinfo=UTC) + timedelta(hours=n)
    values: dict[str, object] = {
        "message_id": f"<contract-{n}@touchbase.test>",
        "sender": "me@example.org" if sent else f"friend{n}@example.com",
        "to": (f"friend{n}@example.com",) if sent else ("me@example.org",),
        "subject": f"Contract message {n}",
        "date": base,
        "sent": sent,
    }
    values.update(overrides)
    return MessageSpec(**values)  # type: ignore[arg-type]


class SourceWorld(Protocol):
    """What a Source backend's tests provide."""

    def add(self, specs: list[MessageSpec]) -> None:
        """Put messages into the backing account (sent ones in Sent, others in the inbox)."""

    def source(self) -> Source:
        """A fresh connector against the account (a new connection, like a restarted daemon)."""

    def expire_cursors(self) -> None:
        """Make every cursor handed out so far stale (UIDVALIDITY change, history expiry...)."""


class SinkWorld(Protocol):
    """What a DraftSink backend's tests provide."""

    def sink(self) -> DraftSink: ...

    def send_attempts(self) -> list[str]:
        """Every request the backend saw that could have sent mail (must stay empty)."""


def drain(source: Source, cursor: str | None) -> tuple[list[Page], str | None]:
    pages: list[Page] = []
    for page in source.pull(cursor):
        pages.append(page)
        if page.cursor is not None:
            cursor = page.cursor
    return pages, cursor


def interactions(pages: list[Page]) -> list[InteractionRecord]:
    return [i for page in pages for i in page.interactions]


def by_message_id(items: list[InteractionRecord]) -> dict[str | None, InteractionRecord]:
    return {i.message_id: i for i in items}


def sample_draft(n: int = 1) -> DraftMessage:
    message_id = f"<draft-{n}.contract@touchbase.test>"
    raw = (
        f"From: Me <me@example.org>\r\nTo: Friend <friend@example.com>\r\n"
        f"Subject: Checking in {n}\r\nMessage-ID: {message_id}\r\n"
        f"Date: Mon, 01 Jan 2024 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nHi Friend,\r\n"
    ).encode()
    return DraftMessage(
        idempotency_key=f"key-{n}",
        message_id=message_id,
        raw=raw,
        to=("friend@example.com",),
        subject=f"Checking in {n}",
    )


class SourceContract:
    """Inherit, and provide a `world` fixture returning a SourceWorld."""

    @pytest.fixture
    def world(self) -> Iterator[SourceWorld]:  # pragma: no cover - overridden
        raise NotImplementedError

    def test_full_pull_yields_each_message_once_with_its_metadata(self, world: SourceWorld) -> None:
        specs = [make_spec(sent=True), make_spec(sent=True), make_spec(sent=False)]
        world.add(specs)
        pages, cursor = drain(world.source(), None)
        got = interactions(pages)
        assert cursor is not None
        assert len({i.source_id for i in got}) == len(got), "a source id repeated in one pull"
        found = by_message_id(got)
        for spec in specs:
            item = found[spec.message_id]
            assert item.subject == spec.subject
            assert item.occurred_at.tzinfo is not None
            assert item.occurred_at.astimezone(UTC) == spec.date
            assert spec.sender in item.addresses(Role.FROM)
            assert set(spec.to) <= set(item.addresses(Role.TO))

    def test_pull_from_last_cursor_yields_nothing_new_when_nothing_changed(
        self, world: SourceWorld
    ) -> None:
        world.add([make_spec(), make_spec()])
        _, cursor = drain(world.source(), None)
        pages, again = drain(world.source(), cursor)
        assert interactions(pages) == []
        assert again is not None

    def test_pull_after_new_mail_yields_only_the_new_messages(self, world: SourceWorld) -> None:
        world.add([make_spec(), make_spec()])
        _, cursor = drain(world.source(), None)
        new = [make_spec(), make_spec(sent=False)]
        world.add(new)
        pages, _ = drain(world.source(), cursor)
        assert sorted(i.message_id or "" for i in interactions(pages)) == sorted(
            s.message_id for s in new
        )

    def test_resuming_from_any_page_cursor_loses_and_doubles_nothing(
        self, world: SourceWorld
    ) -> None:
        world.add([make_spec() for _ in range(7)] + [make_spec(sent=False) for _ in range(3)])
        pages, _ = drain(world.source(), None)
        everything = {i.source_id for i in interactions(pages)}
        for cut, page in enumerate(pages):
            if page.cursor is None:
                continue
            before = {i.source_id for p in pages[: cut + 1] for i in p.interactions}
            rest, _ = drain(world.source(), page.cursor)
            after = [i.source_id for i in interactions(rest)]
            assert before | set(after) == everything
            assert not before & set(after), "a stored record came again after its cursor"
            assert len(after) == len(set(after))

    def test_expired_cursor_means_one_full_resync_with_the_same_source_ids(
        self, world: SourceWorld
    ) -> None:
        world.add([make_spec(), make_spec(), make_spec(sent=False)])
        pages, cursor = drain(world.source(), None)
        first = {i.source_id for i in interactions(pages)}
        world.expire_cursors()
        pages, again = drain(world.source(), cursor)
        assert pages and pages[0].resync, "the resync is not recorded on its first page"
        assert {i.source_id for i in interactions(pages)} == first
        assert again is not None and again != cursor
        later, _ = drain(world.source(), again)
        assert interactions(later) == [], "a resync loops instead of settling"


class DraftSinkContract:
    """Inherit, and provide a `world` fixture returning a SinkWorld."""

    @pytest.fixture
    def world(self) -> Iterator[SinkWorld]:  # pragma: no cover - overridden
        raise NotImplementedError

    def test_pushed_draft_is_found_by_its_message_id(self, world: SinkWorld) -> None:
        sink, draft = world.sink(), sample_draft(1)
        draft_id = sink.push_draft(draft)
        assert draft_id
        assert world.sink().find_draft(draft) == draft_id

    def test_a_draft_never_pushed_is_not_found(self, world: SinkWorld) -> None:
        sink = world.sink()
        sink.push_draft(sample_draft(1))
        assert sink.find_draft(sample_draft(2)) is None

    def test_nothing_is_ever_sent(self, world: SinkWorld) -> None:
        sink = world.sink()
        for n in range(3):
            sink.push_draft(sample_draft(n))
        assert world.send_attempts() == []
        assert not any(hasattr(sink, name) for name in ("send", "send_draft", "send_mail"))


class FaultWorld(SourceWorld, Protocol):
    """A SourceWorld behind a fake server that can fail at random and answer in odd ways."""

    def faults(self, rate: float, seed: int) -> None:
        """Fail a share `rate` of requests at random (429, 5xx, dropped connections...)."""

    def odd(self) -> None:
        """Answer every documented odd way at once (history without labelIds, empty pages with
        a nextLink, replayed items...): legal for the provider, so a client must cope."""


@dataclass
class Replica:
    """What the store keeps of a source, in miniature: the newest copy of each record, meetings
    tombstoned (mail never is: agent/pipeline/store.py), the cursor with each page."""

    items: dict[str, InteractionRecord]
    cursor: str | None = None

    def sync(self, make: Callable[[], Source], tries: int = 300) -> None:
        """Drain like the daemon: a run that fails transiently ends; the next resumes."""
        for _ in range(tries):
            try:
                for page in make().pull(self.cursor):
                    for item in page.interactions:
                        self.items[item.source_id] = item
                    for gone in page.removed:
                        if gone in self.items and self.items[gone].kind is Kind.MEETING:
                            del self.items[gone]
                    self.cursor = page.cursor or self.cursor
                return
            except TransientError:
                continue
        raise AssertionError("the sync never got through the faults")


class FaultContract:
    """Inherit, and provide a `world` fixture returning a FaultWorld."""

    @pytest.fixture
    def world(self) -> Iterator[FaultWorld]:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_random_faults_and_odd_answers_leave_the_fault_free_store(
        self, world: FaultWorld, seed: int
    ) -> None:
        world.add([make_spec() for _ in range(9)] + [make_spec(sent=False) for _ in range(5)])
        clean = Replica({})
        clean.sync(world.source)
        world.odd()
        world.faults(0.15, seed)
        faulty = Replica({})
        faulty.sync(world.source)
        assert faulty.items == clean.items and len(clean.items) == 14
        world.add([make_spec() for _ in range(4)] + [make_spec(sent=False) for _ in range(3)])
        faulty.sync(world.source)
        world.faults(0.0, seed)
        clean.sync(world.source)
        assert faulty.items == clean.items and len(clean.items) == 21
