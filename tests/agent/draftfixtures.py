"""Shared helpers for the draft tests: a database with history, requests, an owner."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.demo.mailbox import _Writer
from touchbase.agent.pipeline.compose.render import Drafter
from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest, LastConversation
from touchbase.agent.pipeline.config import Me
from touchbase.agent.pipeline.drafts.create import create_drafts
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

NOW = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
ME = Me(
    name="Olivia Owner",
    addresses=("olivia@owner.example",),
    time_zone="Europe/Berlin",
    signature="Best,\nOlivia",
)


def mail(
    n: int,
    at: datetime,
    *,
    sender: str,
    to: Iterable[str],
    subject: str = "Hello",
    message_id: str | None = None,
    flags: frozenset = frozenset(),
    folder: str | None = None,
) -> InteractionRecord:
    return InteractionRecord(
        source_id=f"m{n}",
        kind=Kind.MAIL,
        occurred_at=at,
        participants=(
            Participant(sender, Role.FROM),
            *(Participant(a, Role.TO) for a in to),
        ),
        subject=subject,
        message_id=message_id or f"<m{n}@test.example>",
        folder=folder,
        flags=flags,
    )


def meeting(n: int, at: datetime, *, with_: str, title: str = "Planning") -> InteractionRecord:
    return InteractionRecord(
        source_id=f"e{n}",
        kind=Kind.MEETING,
        occurred_at=at,
        ended_at=at + timedelta(hours=1),
        participants=(
            Participant(ME.addresses[0], Role.ORGANIZER),
            Participant(with_, Role.ATTENDEE),
        ),
        subject=title,
    )


def store_interactions(
    sessions: sessionmaker[Session], records: list[InteractionRecord], account: str = "mem"
) -> int:
    store = Store(sessions)
    account_id = store.ensure_account(account, "memory", NOW)
    run = store.start_run(account_id, NOW)
    store.save_page(account_id, run, Page(interactions=records, cursor="c"), NOW)
    return account_id


def history(address: str, months: int = 14) -> list[InteractionRecord]:
    """A believable history with `address`: monthly mail both ways and a few meetings."""
    records: list[InteractionRecord] = []
    for i in range(months):
        at = NOW - timedelta(days=30 * (months - i) + 40)
        records.append(mail(1000 + i, at, sender=ME.addresses[0], to=[address], subject=f"Q{i}"))
        if i % 2:
            records.append(
                mail(
                    2000 + i,
                    at + timedelta(days=2),
                    sender=address,
                    to=[ME.addresses[0]],
                    subject=f"Re: Q{i}",
                )
            )
        if i % 4 == 0:
            records.append(meeting(3000 + i, at + timedelta(days=5), with_=address))
    return records


def request(
    address: str = "jane@example.com",
    name: str = "Dr. Jane Q. Smith",
    kind: DraftKind = DraftKind.CHECK_IN,
    *,
    subject: str | None = "Re: [team] Budget 2025",
    reasons: tuple[str, ...] = ("last contact 3 May 2024, cadence 30 days",),
    last: LastConversation | None = None,
    due: datetime | None = None,
) -> DraftRequest:
    return DraftRequest(
        kind=kind,
        addresses=(address,),
        name=name,
        reasons=reasons,
        due=due or NOW - timedelta(days=1),
        last=last or LastConversation(subject=subject, at=NOW - timedelta(days=95)),
    )


def make_drafts(
    sessions: sessionmaker[Session], requests: list[DraftRequest], now: datetime = NOW
) -> list[int]:
    with sessions.begin() as session:
        result = create_drafts(session, requests, Drafter(ME), now)
    return result.created


def exchanges(w: _Writer, me: tuple[str, str], who: tuple[str, str], now: datetime) -> None:
    """Two exchanges each way between the owner (`me`) and `who`, 90 and 60 days before `now`:
    a history in which their mail deserves an answer (the reply-draft tests)."""
    for n, days in enumerate((90, 60)):
        when = now - timedelta(days=days)
        parent = w.write(me, [who], f"Plans {n}", when, body="Hi\n")
        w.write(who, [me], f"Re: Plans {n}", when + timedelta(hours=3), body="Yes\n", parent=parent)
