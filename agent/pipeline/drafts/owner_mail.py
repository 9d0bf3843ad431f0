"""The owner's own mail around the messages a reply is owed to (agent/pipeline/drafts/owed.py):
whether an owed message answers the owner's mail to them (`answering`), and whether the owner
wrote under its subject since, to anyone (`handled_since`), both from one read of the owner's
possible mail under the owed messages' subjects (`owner_reads`). Reads start from what is
indexed and small: the subjects' keys and the weeks around the owed messages (issue 16).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.history import _FIELD, read_parties
from touchbase.agent.pipeline.models import InteractionRow, ParticipantRow
from touchbase.agent.pipeline.stored_time import sqlite_utc
from touchbase.agent.pipeline.subject_keys import key_of
from touchbase.rules.addresses import GMAIL_DOMAINS
from touchbase.rules.addresses import normalise as _normalise
from touchbase.rules.merges import name_key
from touchbase.rules.threads import is_reply_subject
from touchbase.rules.threads import strip_subject as _strip_subject
from touchbase.rules.types import Party

_RECIPIENTS = ("to", "cc")
_CHUNK = 500  # ids in one IN list
# Addresses in normal form, each once: the owner's own address is on nearly every message these
# lookups read, and each owed person's on several reads (9,716 calls at bench/rules.py's 1M).
normalise = lru_cache(maxsize=1 << 15)(_normalise)
# Subjects without their Re:/Fw: prefixes, each once: answering and handled_since strip the
# same owed messages' subjects.
strip_subject = lru_cache(maxsize=1 << 15)(_strip_subject)

# Decoded parties by their text (history.read_parties): the same few thousand people appear
# on most of the rows read.
_SINGLES: dict[str, Party] = {}


class _Mail(NamedTuple):
    """A stored message's headers (the InteractionRow fields the reply lookups read), read
    with Core by owed.py's `_sent_at`: ORM objects with their participants selectin-loaded
    were most of its time at bench/rules.py's 1M interactions (issue 16)."""

    id: int
    account_id: int
    occurred_at: datetime
    subject: str | None
    message_id: str | None
    in_reply_to: str | None
    thread_id: str | None
    participants: tuple[Party, ...]


# A message's headers: an ORM row (as the tests read them) or the lookups' own Core reading.
Headers = InteractionRow | _Mail


ANSWER_WINDOW = timedelta(days=60)  # how far back the owner's mail it may answer is looked for


def _answers_owner(session: Session, row: Headers, theirs: Collection[str], mine: set[str]) -> bool:
    """Their mail answers the owner's: its In-Reply-To is a message the owner sent, or the
    owner sent them mail under the same subject (Re:/Fw: aside) in the weeks before it."""
    return row.id in answering(session, [(row, theirs)], mine)


def answering(
    session: Session,
    rows: Sequence[tuple[Headers, Collection[str]]],
    mine: set[str],
    read: OwnerReads | None = None,
) -> set[int]:
    """The ids of the mail (each with its sender's addresses) that answers the owner's: its
    In-Reply-To is a message the owner sent, or (a Re: subject) the owner sent them mail To or
    Cc under the same subject (Re:/Fw: aside) in the ANSWER_WINDOW before it.

    For all of them at once: the parents by Message-ID (indexed); then the mail the owner may
    have sent in the weeks they span, by time, under one of their subjects (`_read_owner_mail`),
    whose participants say who sent it and to whom. Starting from the owner's address would
    read nearly every participant row of the store (issue 16: 90 s at 1M), and from their own
    rows by address every message of theirs ever (1.9 s for 2,658 people at 1M). `read`: the
    owner's mail under these rows' subjects, read already (owner_reads)."""
    answered: set[int] = set()
    parents = sorted({row.in_reply_to for row, _theirs in rows if row.in_reply_to})
    sent_parents: set[str] = set()
    for n in range(0, len(parents), _CHUNK):
        # Each parent's senders, checked here in normal form: the store keeps the header's
        # spelling, so an SQL match on the owner's normal form missed a dotted Gmail address.
        sent_parents.update(
            message_id
            for message_id, address in session.execute(
                select(InteractionRow.message_id, ParticipantRow.address)
                .join(ParticipantRow, ParticipantRow.interaction_id == InteractionRow.id)
                .where(
                    InteractionRow.message_id.in_(parents[n : n + _CHUNK]),
                    ParticipantRow.role == "from",
                )
            )
            if message_id is not None and normalise(address) in mine
        )
    asked: list[tuple[Headers, Collection[str], str]] = []
    for row, theirs in rows:
        if row.in_reply_to and row.in_reply_to in sent_parents:
            answered.add(row.id)
        elif is_reply_subject(row.subject) and (subject := strip_subject(row.subject)):
            asked.append((row, theirs, subject))
    if not asked:
        return answered
    start = min(row.occurred_at for row, _theirs, _subject in asked) - ANSWER_WINDOW
    end = max(row.occurred_at for row, _theirs, _subject in asked)
    addresses = {normalise(address) for _row, theirs, _subject in asked for address in theirs}
    subjects = {subject for _row, _theirs, subject in asked}
    sent: dict[str, set[tuple[datetime, str]]] = defaultdict(set)
    if read is None:
        read = _read_owner_mail(session, subjects, start, end, mine, None, closed=True)
    mail = read.between(start, end, subjects, closed=False)
    for when, stripped, parties in mail:
        if not any(role == "from" and normalise(address) in mine for address, role, _ in parties):
            continue
        for address, role, _name in parties:
            if role in _RECIPIENTS and (address := normalise(address)) in addresses:
                sent[address].add((when, stripped))
    for row, theirs, subject in asked:
        since = row.occurred_at - ANSWER_WINDOW
        if any(
            since <= when < row.occurred_at and stripped == subject
            for address in theirs
            for when, stripped in sent.get(normalise(address), ())
        ):
            answered.add(row.id)
    return answered


def _under(
    read: Callable[[list[int]], Iterable[Sequence[Any]]],
    subjects: Collection[str],
) -> dict[int, tuple[str, datetime, str | None]]:
    """Id -> (stripped subject, time, `parties` text) of the (id, subject, occurred_at,
    parties) rows that `read` (given a chunk of subject keys) reads under one of `subjects`.
    The key is a hash (agent/pipeline/subject_keys.py): each distinct subject read is stripped
    once and checked, so a collision brings a row that is left out here."""
    keys = sorted({key_of(subject) for subject in subjects if subject})
    stripped: dict[str | None, str] = {}
    found: dict[int, tuple[str, datetime, str | None]] = {}
    for n in range(0, len(keys), _CHUNK):
        for ident, text, when, parties in read(keys[n : n + _CHUNK]):
            subject = stripped.get(text)
            if subject is None:
                subject = stripped[text] = strip_subject(text)
            if subject in subjects:
                found[ident] = (subject, when, parties)
    return found


def _maybe_sent_by(
    parties: Any, mine: Collection[str], me_key: str | None
) -> ColumnElement[bool] | None:
    """A condition on the `parties` text that every row the owner sent meets (others may too:
    it is checked on what is read), or None when none can be written. The owner's: from one of
    `mine`, or (`me_key`, name_key of the owner's name) from a sender of that name.

    handled_since read every mail under the owed messages' subjects since the oldest of them
    and kept the owner's: 4,267 rows read back to keep a few hundred at bench/rules.py's 1M
    (issue 16). A party is "address, role, name, ..." (history.py), so the owner's mail holds
    one of their addresses, lower-cased, somewhere before a sender's role field (junk like "<>"
    or a space around the stored address aside), or each word of their name, lower-cased.
    SQL lowers ASCII letters (SQLite: only those), and the one other character that Python
    lowers to ASCII, the Kelvin sign, brings its row whatever it says. Wildcards in an address
    or a name ("_", "%") only widen the match. None when an address of theirs is a Gmail one
    (normalise folds dots and +tags, which the stored text keeps) or the address or name is
    not ASCII."""
    likes = _sent_by_likes(mine, me_key)
    if likes is None:
        return None
    addresses, words = likes
    lowered = func.lower(parties)
    either = [
        parties.is_(None),
        parties.like(f"%{_KELVIN}%"),
        *(lowered.like(pattern) for pattern in addresses),
    ]
    if words is not None:
        either.append(and_(*(lowered.like(pattern) for pattern in words)))
    return or_(*either)


def _sent_by_likes(
    mine: Collection[str], me_key: str | None
) -> tuple[list[str], list[str] | None] | None:
    """_maybe_sent_by's LIKE patterns on the lowered `parties` text: (any of these: one of
    `mine` before a sender's role, each word of the owner's name: all of these, or None without
    a name), or None when no condition can be written (see _maybe_sent_by)."""
    if not mine or any(
        not address.isascii() or address.rpartition("@")[2] in GMAIL_DOMAINS for address in mine
    ):
        return None
    if me_key is not None and not me_key.isascii():
        return None
    addresses = [f"%{address}%{_FIELD}from{_FIELD}%" for address in sorted(mine)]
    words = None if me_key is None else [f"%{word}%" for word in me_key.split(" ")]
    return addresses, words


_KELVIN = "\u212a"  # KELVIN SIGN: "\u212a".lower() == "k"


class OwnerReads(NamedTuple):
    """Mail the owner may have sent under some stripped subjects, from `start` to `end` (both
    included), as read once: id -> (stripped subject, time, its (address, role, name)
    participants). answering and handled_since each read the owner's mail under the owed
    messages' subjects around them; owner_reads reads the span both need once (at
    bench/rules.py's 1M: answering's own read was 18.8 of its 31 ms)."""

    start: datetime
    end: datetime
    rows: dict[int, tuple[str, datetime, list[tuple[str, str, str]]]]

    def between(
        self,
        start: datetime,
        end: datetime,
        subjects: Collection[str],
        *,
        closed: bool,
        after: bool = False,
    ) -> Iterator[tuple[datetime, str, list[tuple[str, str, str]]]]:
        """(time, stripped subject, participants) of the mail under `subjects` from `start`
        (excluded when `after`) to `end` (included when `closed`)."""
        if start < self.start or end > self.end:
            raise ValueError("the read does not span the times asked for")
        for subject, when, parties in self.rows.values():
            if subject not in subjects or when < start or (after and when == start):
                continue
            if when < end or (closed and when == end):
                yield when, subject, parties


def owner_reads(
    session: Session,
    rows: Sequence[Headers],
    mine: set[str],
    now: datetime,
    owner_name: str = "",
) -> OwnerReads:
    """The owner's possible mail under these rows' stripped subjects, from ANSWER_WINDOW before
    the oldest of them to `now` (or the newest, if later): what answering and handled_since
    read for them, in one read. The owner is told by handled_since's test (their addresses or
    their name), which every row answering keeps also meets; each checks the senders again."""
    subjects = {subject for row in rows if (subject := strip_subject(row.subject))}
    if not rows:
        return OwnerReads(now, now, {})
    start = min(row.occurred_at for row in rows) - ANSWER_WINDOW
    end = max(now, max(row.occurred_at for row in rows))
    me_key = name_key(owner_name) if owner_name else None
    return _read_owner_mail(session, subjects, start, end, mine, me_key, closed=True)


def _read_owner_mail(
    session: Session,
    subjects: Collection[str],
    start: datetime,
    end: datetime,
    mine: Collection[str],
    me_key: str | None,
    *,
    closed: bool,
) -> OwnerReads:
    """OwnerReads of the mail under `subjects` in [start, end] (`closed`), else (start, end]
    (handled_since's own span), that the owner may have sent (_maybe_sent_by), for the callers
    to check who sent it.

    By the subjects' keys and time (ix_interactions_subject_key) with the sender found in each
    row's `parties` text in SQL (no join; a row without that text comes too, its participants
    then read from the table), the subjects checked here. From their own rows by address
    instead, every interaction of 2,658 owed people was read back, whatever its date: 1.9 s of
    CPU at bench/rules.py's 1M interactions; by time alone, every subject of the weeks
    (issue 16)."""
    i = InteractionRow.__table__.c
    connection = session.connection()

    def read(keys: list[int]) -> Sequence[Sequence[Any]]:
        sent = _maybe_sent_by(i.parties, mine, me_key)
        return connection.execute(
            select(i.id, i.subject, i.occurred_at, i.parties).where(
                i.subject_key.in_(keys),
                i.occurred_at >= start if closed else i.occurred_at > start,
                i.occurred_at <= end,
                i.kind == "mail",
                *(() if sent is None else (sent,)),
            )
        ).all()

    sqlite = connection.dialect.name == "sqlite"
    matched = _under(
        _sqlite_owner_mail(connection, start, end, mine, me_key, closed=closed) if sqlite else read,
        subjects,
    )
    return OwnerReads(
        start,
        end,
        {
            ident: (
                subject,
                when,
                [
                    (party.address, party.role, party.name)
                    for party in read_parties(connection, ident, text, _SINGLES)
                ],
            )
            for ident, (subject, when, text) in matched.items()
        },
    )


def _sqlite_owner_mail(
    connection: Connection,
    start: datetime,
    end: datetime,
    mine: Collection[str],
    me_key: str | None,
    *,
    closed: bool,
) -> Callable[[list[int]], list[tuple[int, str | None, datetime, str | None]]]:
    """_read_owner_mail's statement on SQLite, as SQL text run on the driver's connection
    (times bound as their stored text, read back aware UTC; the same LIKE patterns,
    _sent_by_likes): SQLAlchemy's, compiled at each process's first plan and its times
    converted, took 39 ms against 30 cold, 21 against 13 warm, for the 2,658 owed subjects of
    bench/rules.py's 1M (issue 16). The same rows."""
    raw = connection.connection.driver_connection
    assert raw is not None
    likes = _sent_by_likes(mine, me_key)
    sent, params = "", [sqlite_utc(start), sqlite_utc(end)]
    if likes is not None:
        addresses, words = likes
        either = ["parties IS NULL", "parties LIKE ?", *["lower(parties) LIKE ?"] * len(addresses)]
        params += [f"%{_KELVIN}%", *addresses]
        if words is not None:
            either.append(f"({' AND '.join(['lower(parties) LIKE ?'] * len(words))})")
            params += words
        sent = f" AND ({' OR '.join(either)})"
    fromiso = datetime.fromisoformat

    def read(keys: list[int]) -> list[tuple[int, str | None, datetime, str | None]]:
        sql = (
            f"SELECT id, subject, occurred_at, parties FROM {InteractionRow.__tablename__} "
            f"WHERE subject_key IN ({', '.join('?' * len(keys))}) "
            f"AND occurred_at {'>=' if closed else '>'} ? AND occurred_at <= ? "
            f"AND kind = 'mail'{sent}"
        )
        return [
            (ident, subject, fromiso(at + "+00:00"), parties)
            for ident, subject, at, parties in raw.execute(sql, [*keys, *params])
        ]

    return read


def handled_since(
    session: Session,
    rows: Iterable[Headers],
    mine: set[str],
    now: datetime,
    owner_name: str = "",
    read: OwnerReads | None = None,
) -> dict[int, datetime]:
    """Interaction id -> when the owner first wrote under that mail's subject (Re:/Fw: aside)
    after it came, to anyone (passed on to a colleague, or answered from elsewhere), up to
    `now`; absent if never. The owner's mail is mail from one of `mine`, or from an address
    whose display name is `owner_name` (their personal mailbox not yet added: allen-p forwarded
    a builder's request from "phillip allen" <pallen70@hotmail.com> to his work address the next
    day; the blind judge read that as handled, and a drafted reply as stale).

    One read of the mail since the oldest of them under their subjects' keys
    (ix_interactions_subject_key), the subjects checked here, the senders read from each row's
    `parties` text (the table where it is NULL): starting from the owner's address would read
    all of the owner's mail ever, a subject LIKE per message the same weeks once per person,
    and the weeks by time alone every subject in them (issue 16). `read`: that mail, read
    already (owner_reads)."""
    by_subject: dict[str, list[Headers]] = defaultdict(list)
    for row in rows:
        subject = strip_subject(row.subject)
        if subject:
            by_subject[subject].append(row)
    if not by_subject:
        return {}
    start = min(row.occurred_at for group in by_subject.values() for row in group)
    me_key = name_key(owner_name) if owner_name else None
    if read is None:
        read = _read_owner_mail(session, by_subject, start, now, mine, me_key, closed=False)
    written: dict[str, list[datetime]] = defaultdict(list)
    for when, subject, parties in read.between(start, now, by_subject, closed=True, after=True):
        if any(
            role == "from"
            and (normalise(address) in mine or (me_key is not None and name_key(name) == me_key))
            for address, role, name in parties
        ):
            written[subject].append(when)
    found: dict[int, datetime] = {}
    for subject, group in by_subject.items():
        times = written.get(subject)
        if not times:
            continue
        for row in group:
            after = [when for when in times if when > row.occurred_at]
            if after:
                found[row.id] = min(after)
    return found
