"""Reading stored interactions back as the rules' records (rules.types), fast and in bulk.

Two streamed queries (interactions, then their participants in the same order) grouped in Python:
measured cheaper than an ORM load by an order of magnitude, which matters at 1,000,000 rows.
`touching` limits the load to the interactions of some addresses, for refolding only the people
a sync changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.models import Account
from agent.models import Interaction as Row
from agent.models import Participant as PartyRow
from rules.types import Interaction, Party

_BATCH = 20_000


def load_interactions(
    session: Session, *, touching: Collection[str] | None = None
) -> list[Interaction]:
    """Every stored interaction (or those with any of the `touching` addresses), as rules input."""
    return list(iter_interactions(session, touching=touching))


def iter_interactions(
    session: Session, *, touching: Collection[str] | None = None
) -> Iterator[Interaction]:
    rows = (
        select(
            Row.id,
            Account.name,
            Row.kind,
            Row.occurred_at,
            Row.subject,
            Row.ended_at,
            Row.message_id,
            Row.in_reply_to,
            Row.references,
            Row.thread_id,
            Row.folder,
            Row.flags,
        )
        .join(Account, Account.id == Row.account_id)
        .order_by(Row.id)
    )
    parties = select(
        PartyRow.interaction_id,
        PartyRow.address,
        PartyRow.role,
        PartyRow.name,
        PartyRow.response,
        PartyRow.resource,
        PartyRow.optional,
        PartyRow.is_self,
    ).order_by(PartyRow.interaction_id, PartyRow.id)
    if touching is not None:
        wanted = (
            select(PartyRow.interaction_id)
            .where(PartyRow.address.in_(sorted(touching)))
            .scalar_subquery()
        )
        rows = rows.where(Row.id.in_(wanted))
        parties = parties.where(PartyRow.interaction_id.in_(wanted))
    party_stream = session.execute(parties.execution_options(yield_per=_BATCH))
    pending = next(party_stream, None)
    flag_sets: dict[str, frozenset[str]] = {}
    for row in session.execute(rows.execution_options(yield_per=_BATCH)):
        (
            id_,
            account,
            kind,
            occurred,
            subject,
            ended,
            message_id,
            reply,
            refs,
            thread,
            folder,
            flags,
        ) = row
        people: list[Party] = []
        while pending is not None and pending[0] < id_:  # orphans cannot exist; skip safely
            pending = next(party_stream, None)
        while pending is not None and pending[0] == id_:
            people.append(
                Party(
                    pending[1],
                    pending[2],
                    pending[3] or "",
                    pending[4],
                    bool(pending[5]),
                    bool(pending[6]),
                    bool(pending[7]),
                )
            )
            pending = next(party_stream, None)
        flag_set = flag_sets.get(flags)
        if flag_set is None:
            flag_set = flag_sets[flags] = frozenset(f for f in flags.split(",") if f)
        yield Interaction(
            id=id_,
            account=account,
            kind=kind,
            occurred_at=occurred,
            participants=tuple(people),
            subject=subject,
            ended_at=ended,
            message_id=message_id,
            in_reply_to=reply,
            references=tuple(refs.split()) if refs else (),
            thread_id=thread,
            folder=folder,
            flags=flag_set,
        )
