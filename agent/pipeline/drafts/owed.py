"""The mail a reply is owed to, read from the store for the rules (rules/replies.py).

The fold keeps only when a person's latest direct mail to the owner came (Contact.last_direct_in,
which rules/standing.py reads as a reply owed); whether it deserves a drafted reply depends on
that message's headers: who it went to (the owner in To, how many others), its subject, and
the thread to answer in. Only the people a reply draft may go to are looked up (one indexed
query each), and only headers are read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline import owner
from touchbase.agent.pipeline.models import Account, InteractionRow, ParticipantRow
from touchbase.rules.addresses import normalise
from touchbase.rules.contacts import Contact
from touchbase.rules.decision import OwedMail
from touchbase.rules.policy import Policy
from touchbase.rules.replies import may_owe_draft, subject_refusal
from touchbase.rules.standing import Standing
from touchbase.rules.threads import is_reply_subject, strip_subject

_RECIPIENTS = ("to", "cc")


def owed_mail(
    session: Session,
    contacts: Mapping[str, Contact],
    standings: Mapping[str, Standing],
    policy: Policy,
    now: datetime,
    me: Collection[str],
) -> dict[str, OwedMail]:
    """Person key -> their message a reply is owed to, for everyone a reply draft may go to."""
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
    found: dict[str, OwedMail] = {}
    for contact, at in wanted:
        assert at is not None
        mail = _their_mail(
            session, contact.addresses, at, mine, accounts, now, policy.sensitive_topics
        )
        if mail is not None:
            found[contact.person] = mail
    return found


def _their_mail(
    session: Session,
    theirs: Collection[str],
    at: datetime,
    mine: set[str],
    accounts: Mapping[int, str],
    now: datetime,
    sensitive: frozenset[str],
) -> OwedMail | None:
    """Their mail sent at `at` (copies in several folders are one message): the copy that
    names the owner in To and has a Message-ID comes first."""
    rows = session.scalars(
        select(InteractionRow)
        .join(ParticipantRow, ParticipantRow.interaction_id == InteractionRow.id)
        .where(
            InteractionRow.occurred_at == at,
            InteractionRow.kind == "mail",
            ParticipantRow.role == "from",
            ParticipantRow.address.in_(list(theirs)),
        )
        .order_by(InteractionRow.id)
    ).all()
    best: tuple[tuple[bool, bool], OwedMail] | None = None
    for row in rows:
        sender = {p.address for p in row.participants if p.role == "from"}
        to_owner = copied = False
        others: set[str] = set()
        to: list[str] = []
        for p in row.participants:
            if p.role not in _RECIPIENTS:
                continue
            address = normalise(p.address)
            if p.is_self or address in mine:
                to_owner = to_owner or p.role == "to"
                copied = copied or p.role == "cc"
            elif address not in sender:
                others.add(address)
                if p.role == "to" and address not in to:
                    to.append(address)
        # Whether it answers the owner's mail, or was dealt with since, only matters to a
        # subject the rules would answer at all (rules/replies.py checks the subject first).
        asks = subject_refusal(row.subject, sensitive) is None
        answers = asks and _answers_owner(session, row, theirs, mine)
        handled = _handled(session, row, mine, now) if asks else None
        mail = OwedMail(
            interaction_id=row.id,
            at=at,  # the fold's time for it (the store may give it back naive)
            subject=row.subject,
            message_id=row.message_id,
            thread_id=row.thread_id,
            account=accounts.get(row.account_id, ""),
            to_owner=to_owner,
            others=len(others),
            copied_owner=copied,
            to=tuple(to),
            answers_owner=answers,
            handled=handled,
        )
        rank = (to_owner, bool(row.message_id))
        if best is None or rank > best[0]:
            best = (rank, mail)
    return best[1] if best is not None else None


ANSWER_WINDOW = timedelta(days=60)  # how far back the owner's mail it may answer is looked for


def _answers_owner(
    session: Session, row: InteractionRow, theirs: Collection[str], mine: set[str]
) -> bool:
    """Their mail answers the owner's: its In-Reply-To is a message the owner sent, or the
    owner sent them mail under the same subject (Re:/Fw: aside) in the weeks before it."""
    if row.in_reply_to:
        parent = session.scalars(
            select(InteractionRow.id)
            .join(ParticipantRow, ParticipantRow.interaction_id == InteractionRow.id)
            .where(
                InteractionRow.message_id == row.in_reply_to,
                ParticipantRow.role == "from",
                ParticipantRow.address.in_(sorted(mine)),
            )
            .limit(1)
        ).first()
        if parent is not None:
            return True
    if not is_reply_subject(row.subject):
        return False
    subject = strip_subject(row.subject)
    if not subject:
        return False
    to_them = (
        select(ParticipantRow.interaction_id)
        .where(ParticipantRow.address.in_(list(theirs)), ParticipantRow.role.in_(_RECIPIENTS))
        .scalar_subquery()
    )
    sent = session.scalars(
        select(InteractionRow.subject)
        .join(ParticipantRow, ParticipantRow.interaction_id == InteractionRow.id)
        .where(
            InteractionRow.kind == "mail",
            InteractionRow.occurred_at < row.occurred_at,
            InteractionRow.occurred_at >= row.occurred_at - ANSWER_WINDOW,
            ParticipantRow.role == "from",
            ParticipantRow.address.in_(sorted(mine)),
            InteractionRow.id.in_(to_them),
        )
    ).all()
    return any(strip_subject(s) == subject for s in sent)


def _handled(
    session: Session, row: InteractionRow, mine: set[str], now: datetime
) -> datetime | None:
    """When the owner first wrote under this mail's subject (Re:/Fw: aside) after it came, to
    anyone: passed on to a colleague, or answered from elsewhere; None if never."""
    subject = strip_subject(row.subject)
    if not subject:
        return None
    # By time and subject words first (indexed time, then a LIKE on few rows), the sender after:
    # starting from the owner's address would read all of the owner's mail ever.
    later = session.execute(
        select(InteractionRow.id, InteractionRow.subject, InteractionRow.occurred_at)
        .where(
            InteractionRow.occurred_at > row.occurred_at,
            InteractionRow.occurred_at <= now,
            InteractionRow.kind == "mail",
            func.lower(InteractionRow.subject).contains(subject, autoescape=True),
        )
        .order_by(InteractionRow.occurred_at, InteractionRow.id)
    ).all()
    same = [(ident, when) for ident, text, when in later if strip_subject(text) == subject]
    if not same:
        return None
    senders: dict[int, str] = {
        ident: address
        for ident, address in session.execute(
            select(ParticipantRow.interaction_id, ParticipantRow.address).where(
                ParticipantRow.interaction_id.in_([ident for ident, _ in same]),
                ParticipantRow.role == "from",
            )
        )
    }
    for ident, when in same:
        if normalise(senders.get(ident, "")) in mine:
            return when
    return None
