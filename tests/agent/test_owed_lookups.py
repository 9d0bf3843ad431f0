"""agent/pipeline/drafts/owed.py's and owner_mail.py's store lookups against a plain Python
reading of the same rows (issue 16, H9): the queries start from the person's own rows and the
weeks since their mail, not from the owner's sent mail, and must answer exactly what reading
every row would.

- answers_owner: its In-Reply-To is a message the owner sent, or (a Re: subject) the owner sent
  mail To or Cc one of their addresses under the same stripped subject in the 60 days before it;
- handled: when the owner first sent mail under its stripped subject after it, up to now.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.drafts.owner_mail import (
    ANSWER_WINDOW,
    _answers_owner,
    answering,
    handled_since,
    owner_reads,
)
from touchbase.agent.pipeline.models import InteractionRow
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role
from touchbase.rules.threads import is_reply_subject, strip_subject

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=100)
MINE = frozenset({"me@home.example", "me@work.example"})  # the owner's two mailboxes
THEM = ("ann@acme.example", "ann.lee@acme.example")  # one person's two addresses
PEOPLE = (*sorted(MINE), *THEM, "bob@acme.example", "gus@acme.example")
SUBJECTS = (
    "Budget",
    "budget",
    "Budget  for Lisbon",  # squeezed to "budget for lisbon"
    "Budget for Lisbon",
    "Plans",
    "Ünïcode Straße",
    "",
)
PREFIXES = ("", "Re: ", "RE: RE: ", "Fw: ", "Fwd: Re: ")
# after T0: many close together, some 59/61 days apart (the answer window), some past NOW
HOURS = (0, 1, 2, 24, 48, 24 * 30, 24 * 59, 24 * 61, 24 * 99, 24 * 101)


@dataclass(frozen=True)
class Mail:
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    hours: int  # after T0
    parent: int | None  # In-Reply-To: the index of an earlier mail (or a dangling id)
    meeting: bool = False


def _mail(draw: st.DrawFn) -> Mail:
    return Mail(
        # the owner and them most often, a subject of two most often: exchanges to find
        sender=draw(st.sampled_from((*sorted(MINE), *THEM)) | st.sampled_from(PEOPLE)),
        to=tuple(draw(st.lists(st.sampled_from(PEOPLE), max_size=3))),
        cc=tuple(draw(st.lists(st.sampled_from(PEOPLE), max_size=2))),
        subject=draw(st.sampled_from(PREFIXES))
        + draw(st.sampled_from(SUBJECTS[1:3]) | st.sampled_from(SUBJECTS)),
        hours=draw(st.sampled_from(HOURS)),
        parent=draw(st.none() | st.integers(0, 25)),
        meeting=draw(st.integers(0, 9)) == 0,  # a meeting now and then: mail only counts
    )


mailboxes = st.lists(st.composite(_mail)(), min_size=1, max_size=30)


def _records(mails: list[Mail]) -> list[InteractionRecord]:
    return [
        InteractionRecord(
            source_id=str(n),
            kind=Kind.MEETING if m.meeting else Kind.MAIL,
            occurred_at=T0 + timedelta(hours=m.hours, seconds=n),  # distinct times
            participants=(
                Participant(m.sender, Role.FROM),
                *(Participant(a, Role.TO) for a in m.to),
                *(Participant(a, Role.CC) for a in m.cc),
            ),
            subject=m.subject,
            message_id=f"<{n}@x>",
            in_reply_to=f"<{m.parent}@x>" if m.parent is not None else None,
        )
        for n, m in enumerate(mails)
    ]


def _store(url: str, mails: list[Mail]) -> Store:
    store = Store(open_database(url))
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    store.save_page(account, run, Page(_records(mails), cursor="1"), T0)
    store.finish_run(run, "ok", T0)
    return store


def _sender(row: InteractionRow) -> set[str]:
    return {p.address for p in row.participants if p.role == "from"}


def _plain_answers(row: InteractionRow, rows: list[InteractionRow]) -> bool:
    """Every row read: the owner's mail it replies to, or the owner's earlier mail to them."""
    if row.in_reply_to and any(r.message_id == row.in_reply_to and _sender(r) & MINE for r in rows):
        return True
    subject = strip_subject(row.subject)
    if not is_reply_subject(row.subject) or not subject:
        return False
    return any(
        r.kind == "mail"
        and row.occurred_at - ANSWER_WINDOW <= r.occurred_at < row.occurred_at
        and _sender(r) & MINE
        and any(p.address in THEM and p.role in ("to", "cc") for p in r.participants)
        and strip_subject(r.subject) == subject
        for r in rows
    )


def _plain_handled(row: InteractionRow, rows: list[InteractionRow]) -> datetime | None:
    subject = strip_subject(row.subject)
    if not subject:
        return None
    times = [
        r.occurred_at
        for r in rows
        if r.kind == "mail"
        and row.occurred_at < r.occurred_at <= NOW
        and _sender(r) & MINE
        and strip_subject(r.subject) == subject
    ]
    return min(times, default=None)


def _check(store: Store) -> None:
    _check_rows(store)
    # Rows whose participants are not kept inline (`parties` NULL: a field held a separator)
    # are read from the participants table: the same answers.
    with store.sessions() as session:
        session.execute(update(InteractionRow).values(parties=None))
        session.commit()
    _check_rows(store)


def _check_rows(store: Store) -> None:
    with store.sessions() as session:
        rows = list(
            session.scalars(
                select(InteractionRow).options(selectinload(InteractionRow.participants))
            )
        )
        theirs = [r for r in rows if r.kind == "mail" and _sender(r) & set(THEM)]
        for row in theirs:
            assert _answers_owner(session, row, THEM, set(MINE)) == _plain_answers(row, rows), (
                row.subject,
                row.occurred_at,
            )
        # all at once, as owed_mail asks, and each alone: the same answers
        answered = answering(session, [(row, THEM) for row in theirs], set(MINE))
        assert answered == {row.id for row in theirs if _plain_answers(row, rows)}
        together = handled_since(session, theirs, set(MINE), NOW)
        # with the owner's mail read once for both, as owed_mail reads it: the same answers
        read = owner_reads(session, theirs, set(MINE), NOW)
        assert answering(session, [(row, THEM) for row in theirs], set(MINE), read) == answered
        assert handled_since(session, theirs, set(MINE), NOW, read=read) == together
        for row in theirs:
            expected = _plain_handled(row, rows)
            assert together.get(row.id) == expected, (row.subject, row.occurred_at)
            assert handled_since(session, [row], set(MINE), NOW).get(row.id) == expected


_TEMPLATE: dict[str, Path] = {}


def _fresh(tmp: Path) -> str:
    """A migrated empty SQLite store, copied from one migrated once (a migration per example
    would be most of the test's time)."""
    if "db" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="touchbase-owed-"))
        template = folder / "template.db"
        open_database(f"sqlite:///{template}").kw["bind"].dispose()
        _TEMPLATE["db"] = template
    tmp.mkdir(parents=True, exist_ok=True)
    # uuid4, not `random`: hypothesis seeds `random` alike per example, so a name could repeat
    # and the copy overwrite a store an earlier example still has open (a malformed image).
    target = tmp / f"owed-{uuid.uuid4().hex}.db"
    shutil.copy(_TEMPLATE["db"], target)
    return f"sqlite:///{target}"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mails=mailboxes)
def test_lookups_answer_as_reading_every_row_sqlite(tmp_path: Path, mails: list[Mail]) -> None:
    _check(_store(_fresh(tmp_path), mails))


def _seeded(seed: int) -> list[Mail]:
    """200 mails of the shapes `mailboxes` draws, from a seeded generator (no hypothesis)."""
    rnd = random.Random(seed)
    return [
        Mail(
            sender=rnd.choice(PEOPLE),
            to=tuple(rnd.sample(PEOPLE, rnd.randrange(3))),
            cc=tuple(rnd.sample(PEOPLE, rnd.randrange(2))),
            subject=rnd.choice(PREFIXES) + rnd.choice(SUBJECTS),
            hours=rnd.randrange(24 * 102),
            parent=rnd.choice((None, rnd.randrange(200))),
        )
        for _ in range(200)
    ]


def test_lookups_answer_as_reading_every_row(db_url: str) -> None:
    """On SQLite and PostgreSQL: seeded mailboxes of the same shapes, one store."""
    mails = _seeded(16)
    _check(_store(db_url, mails))


def test_lookups_answer_alike_when_subject_keys_collide(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored subject key is a hash (agent/pipeline/subject_keys.py): with one so weak that
    most subjects share a key, the lookups read rows under other subjects too, and must still
    answer as reading every row does (they check the stripped subject of what they read)."""
    import touchbase.agent.pipeline.drafts.owner_mail as owner_mail
    import touchbase.agent.pipeline.subject_keys as subject_keys

    def weak(stripped: str) -> int:
        return len(stripped) % 2

    monkeypatch.setattr(subject_keys, "key_of", weak)  # the store's, through subject_key
    monkeypatch.setattr(owner_mail, "key_of", weak)  # the lookups'
    mails = _seeded(12)
    store = _store(db_url, mails)
    with store.sessions() as session:
        keys = set(session.scalars(select(InteractionRow.subject_key)))
    assert keys <= {0, 1, None}  # the weak keys were stored: subjects do share them
    _check(store)


@pytest.mark.parametrize(
    ("mine", "sent_from", "sender_name", "owner_name"),
    [
        (MINE, "<Me@Work.Example>", "", ""),  # stored with its brackets and capitals
        (frozenset({"johnsmith@gmail.com"}), "John.Smith+lists@googlemail.com", "", ""),  # folded
        (frozenset({"kim@work.example"}), "\u212aim@work.example", "", ""),  # KELVIN SIGN
        (MINE, "pa70@home.example", '"ALLEN,  Phillip"', "Phillip Allen"),  # by the name
        (MINE, "pa70@home.example", "\u212aim Lee", "Kim Lee"),
    ],
)
def test_the_owners_mail_counts_however_it_was_stored(
    db_url: str, mine: frozenset[str], sent_from: str, sender_name: str, owner_name: str
) -> None:
    """handled_since narrows its read in SQL to rows that may be the owner's (owed.
    _maybe_sent_by): an address stored in another case, with brackets or with a character
    only Python lowers to ASCII still names the owner, so does their name written otherwise,
    and a Gmail owner's mail (dots and +tags folded only by normalise) is read unnarrowed.
    Bob's mail under the subject is not the owner's."""
    owed_at, bob_at, owner_at = T0, T0 + timedelta(minutes=30), T0 + timedelta(hours=1)
    me = sorted(mine)[0]
    records = [
        InteractionRecord(
            source_id=str(n),
            kind=Kind.MAIL,
            occurred_at=at,
            participants=(Participant(sender, Role.FROM, name), Participant(to, Role.TO)),
            subject=subject,
            message_id=f"<{n}@x>",
        )
        for n, (sender, name, to, subject, at) in enumerate(
            [
                ("ann@acme.example", "Ann", me, "Budget", owed_at),
                ("bob@acme.example", "Bob Allen", "ann@acme.example", "Re: Budget", bob_at),
                (sent_from, sender_name, "gus@acme.example", "Fw: Budget", owner_at),
            ]
        )
    ]
    store = Store(open_database(db_url))
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    store.save_page(account, run, Page(records, cursor="1"), T0)
    store.finish_run(run, "ok", T0)
    with store.sessions() as session:
        theirs = session.scalars(
            select(InteractionRow).where(InteractionRow.source_id == "0")
        ).one()
        found = handled_since(session, [theirs], set(mine), NOW, owner_name)
        assert found == {theirs.id: owner_at}


def test_sqlite_heads_read_what_the_core_query_reads(tmp_path: Path) -> None:
    """_sent_at on SQLite binds each time as its stored text (stored_time.sqlite_utc) through the
    driver: the same rows, and the same times, as SQLAlchemy's query binds and reads them."""
    from sqlalchemy.dialects import sqlite

    from touchbase.agent.pipeline.drafts.owed import _sqlite_heads
    from touchbase.agent.pipeline.models import UTCDateTime
    from touchbase.agent.pipeline.stored_time import sqlite_utc

    bind = UTCDateTime()._cached_bind_processor(sqlite.dialect())
    assert bind is not None
    for at in (T0, T0 + timedelta(microseconds=7), datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC)):
        for zone in (UTC, timezone(timedelta(hours=-5))):
            assert sqlite_utc(at.astimezone(zone)) == bind(at.astimezone(zone))
    store = _store(_fresh(tmp_path), _seeded(7))
    with store.sessions() as session:
        i = InteractionRow.__table__.c
        every = session.execute(select(i.occurred_at)).scalars().all()
        # a time no row has, and the others in another zone: found by the instant
        asked = sorted({*every[::3], T0 - timedelta(days=1)})
        asked = [at.astimezone(timezone(timedelta(hours=2))) for at in asked]
        core = session.execute(
            select(
                i.id, i.account_id, i.occurred_at, i.subject, i.message_id, i.in_reply_to,
                i.thread_id, i.parties,
            ).where(i.occurred_at.in_(asked), i.kind == "mail")
        ).all()  # fmt: skip
        raw = _sqlite_heads(session.connection(), asked)
        assert sorted(map(tuple, raw)) == sorted(map(tuple, core))
        assert all(row[2].tzinfo is UTC for row in raw)
