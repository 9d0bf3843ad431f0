"""The mail a reply is owed to, read from the store for the rules (rules/replies.py).

The fold keeps only when a person's latest direct mail to the owner came (Contact.last_direct_in,
which rules/standing.py reads as a reply owed); whether it deserves a drafted reply depends on
that message's headers: who it went to (the owner in To, how many others), its subject, and
the thread to answer in. Only the people a reply draft may go to are looked up, and only headers
are read. Every lookup starts from what is indexed and small (issue 16: at 1M interactions a
query that joined the owner's sent mail first took 90 s of a plan): the message by its time, the
owner's earlier and later mail under its subject by reads of the few weeks around the owed
messages, for everyone at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline import owner
from touchbase.agent.pipeline.drafts.owner_mail import (
    _CHUNK,
    _SINGLES,
    Headers,
    _Mail,
    answering,
    handled_since,
    normalise,
    owner_reads,
)
from touchbase.agent.pipeline.history import read_parties
from touchbase.agent.pipeline.models import Account, InteractionRow
from touchbase.agent.pipeline.stored_time import sqlite_utc
from touchbase.rules.contacts import Contact
from touchbase.rules.decision import OwedMail
from touchbase.rules.policy import Policy
from touchbase.rules.replies import may_owe_draft, subject_refusal
from touchbase.rules.standing import Standing


def owed_mail(
    session: Session,
    contacts: Mapping[str, Contact],
    standings: Mapping[str, Standing],
    policy: Policy,
    now: datetime,
    me: Collection[str],
    owner_name: str = "",
) -> dict[str, OwedMail]:
    """Person key -> their message a reply is owed to, for everyone a reply draft may go to.
    `owner_name`: the owner's name ([me] name), which tells the owner's mail from an address
    not yet known as theirs (handled_since)."""
    wanted = [
        (contact, standing.reply_owed)
        for key, contact in contacts.items()
        if (standing := standings.get(key)) is not None
        and standing.reply_owed is not None
        and may_owe_draft(contact, standing, policy)
    ]
    if not wanted:
        return {}
    mine = set(owner.addresses(session, me))
    accounts: dict[int, str] = {
        account_id: name for account_id, name in session.execute(select(Account.id, Account.name))
    }
    found: dict[str, tuple[OwedMail, Headers, Collection[str]]] = {}
    sent = _sent_at(session, {at for _contact, at in wanted if at is not None})
    for contact, at in wanted:
        assert at is not None
        theirs = set(contact.addresses)
        rows = [row for row, sender in sent.get(at, ()) if sender in theirs]
        best = _their_mail(rows, at, mine, accounts)
        if best is not None:
            found[contact.person] = (*best, contact.addresses)
    # Whether it answers the owner's mail, or was dealt with since, only matters to a subject
    # the rules would answer at all (rules/replies.py checks the subject first).
    asking = [
        (row, theirs)
        for mail, row, theirs in found.values()
        if subject_refusal(mail.subject, policy.sensitive_topics) is None
    ]
    heads = [row for row, _theirs in asking]
    read = owner_reads(session, heads, mine, now, owner_name)
    answers = answering(session, asking, mine, read)
    handled = handled_since(session, heads, mine, now, owner_name, read)
    owed: dict[str, OwedMail] = {}
    for person, (mail, row, _theirs) in found.items():
        answered, dealt = row.id in answers, handled.get(row.id)
        # Made with both unset: replaced (a new tuple, 1.2 us) only where one is set.
        owed[person] = (
            mail._replace(answers_owner=answered, handled=dealt)
            if answered or dealt is not None
            else mail
        )
    return owed


def _sent_at(
    session: Session, times: Collection[datetime]
) -> dict[datetime, list[tuple[_Mail, str]]]:
    """The mail sent at these times (by ix_interactions_occurred_at, in chunks), each with a
    sender's address, by time, in id order, with its participants: one read for all the
    people owed a reply instead of two queries each. The participants come from each row's
    `parties` text (the table only where it is NULL): joined from the participants table, and
    read again from it by id, they were 0.075 of 0.2 s of a warm owed_mail at 1M (issue 16)."""
    i = InteractionRow.__table__.c
    connection = session.connection()
    ordered = sorted(times)
    if connection.dialect.name == "sqlite":
        heads = _sqlite_heads(connection, ordered)
    else:
        heads = []
        for n in range(0, len(ordered), _CHUNK):
            heads.extend(
                connection.execute(
                    select(
                        i.id,
                        i.account_id,
                        i.occurred_at,
                        i.subject,
                        i.message_id,
                        i.in_reply_to,
                        i.thread_id,
                        i.parties,
                    ).where(i.occurred_at.in_(ordered[n : n + _CHUNK]), i.kind == "mail")
                ).all()
            )
    found: dict[datetime, list[tuple[_Mail, str]]] = defaultdict(list)
    for ident, account, at, subject, message_id, parent, thread, text in sorted(
        heads, key=lambda head: head[0]
    ):
        parties = read_parties(connection, ident, text, _SINGLES)
        mail: _Mail | None = None
        for party in parties:
            if party.role == "from":
                if mail is None:
                    mail = _Mail(ident, account, at, subject, message_id, parent, thread, parties)
                # In normal form, as the person's addresses are: the store keeps the header's
                # own spelling (a Gmail address with its dots).
                found[at].append((mail, normalise(party.address)))
    return found


def _sqlite_heads(connection: Connection, ordered: Sequence[datetime]) -> list[Any]:
    """_sent_at's rows on SQLite, read through the driver with each time bound as its stored
    text, and given back the time asked for (aware UTC) by that text: SQLAlchemy's statement,
    compiled at the first plan of each process, with a type conversion of each of 2,655 times
    bound and 2,675 read, took 0.048 of _sent_at's 0.08 s at bench/rules.py's 1M (issue 16);
    the same rows and times."""
    raw = connection.connection.driver_connection
    assert raw is not None
    by_text = {sqlite_utc(at): at.astimezone(UTC) for at in ordered}
    texts = list(by_text)
    heads: list[Any] = []
    for n in range(0, len(texts), _CHUNK):
        chunk = texts[n : n + _CHUNK]
        sql = (
            "SELECT id, account_id, occurred_at, subject, message_id, in_reply_to, thread_id, "
            f"parties FROM {InteractionRow.__tablename__} "
            f"WHERE occurred_at IN ({', '.join('?' * len(chunk))}) AND kind = 'mail'"
        )
        heads.extend(
            (ident, account, by_text[at], *rest)
            for ident, account, at, *rest in raw.execute(sql, chunk)
        )
    return heads


def _their_mail(
    rows: Sequence[Headers],
    at: datetime,
    mine: set[str],
    accounts: Mapping[int, str],
) -> tuple[OwedMail, Headers] | None:
    """Their mail sent at `at` (`rows`: copies in several folders are one message): the copy
    that names the owner in To and has a Message-ID comes first. Its answers_owner and handled
    are left to the caller."""
    best: tuple[tuple[bool, bool], OwedMail, Headers] | None = None
    for row in rows:
        parties = row.participants
        sender = {p.address for p in parties if p.role == "from"}
        to_owner = copied = False
        others: set[str] = set()
        to: list[str] = []
        for p in parties:
            role = p.role
            if role != "to" and role != "cc":  # _RECIPIENTS, compared inline (2,658 a plan)
                continue
            address = normalise(p.address)
            if p.is_self or address in mine:
                to_owner = to_owner or role == "to"
                copied = copied or role == "cc"
            elif address not in sender:
                others.add(address)
                if role == "to" and address not in to:
                    to.append(address)
        # Positional, in OwedMail's field order (keywords cost a third of this function).
        mail = OwedMail(
            row.id,
            at,  # the fold's time for it (the store may give it back naive)
            row.subject,
            row.message_id,
            row.thread_id,
            accounts.get(row.account_id, ""),
            to_owner,
            len(others),
            copied,
            tuple(to),
        )
        rank = (to_owner, bool(row.message_id))
        if best is None or rank > best[0]:
            best = (rank, mail, row)
    return (best[1], best[2]) if best is not None else None
