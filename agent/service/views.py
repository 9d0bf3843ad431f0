"""What the service hands the front ends about people: the rules' numbers, ready to show.

Built from one evaluation (agent.pipeline.evaluation) and never computed any other way, so the
CLI, the review page and the daemon's digest show the same last contact, cadence and due date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.evaluation import Evaluation
from touchbase.agent.pipeline.identity import imported_events
from touchbase.agent.pipeline.models import Draft, InteractionRow, ParticipantRow, Person
from touchbase.rules.contacts import COUNTED, DRAFTED, NOT_ENDED, NOT_YET, Contact
from touchbase.rules.life_events import UNDELIVERABLE
from touchbase.rules.standing import Standing

_CHUNK = 900  # ids per IN (...): inside the oldest SQLite limit on bound parameters (999)
EVENT = "life-event"  # a Moment's rule when it is a life event, not an interaction (issue 18)


@dataclass(frozen=True)
class Due:
    """One person who is owed a message (or would be, but for a hold), as the plan says."""

    name: str
    address: str
    kind: str
    due: datetime | None
    reasons: tuple[str, ...]
    person_id: int | None = None


class Moment(NamedTuple):
    """One interaction as it touched a person: `kind` is sent, received, meeting (or mail,
    dropped before its direction mattered); `rule` is "counted" or the rule that dropped it.
    A named tuple: the busiest person of bench/rules.py's 1M interactions has 35,117, and a
    frozen dataclass cost two to three times as much to make."""

    at: datetime
    kind: str
    rule: str
    subject: str | None

    @property
    def counted(self) -> bool:
        """Counted towards contact, or a life event (shown with the contacts on the chart)."""
        return self.rule in (COUNTED, EVENT)

    @property
    def event(self) -> bool:
        return self.rule == EVENT


@dataclass(frozen=True)
class PersonView:
    """One person at a moment: who (the owner's name for them first), the rules' contact and
    standing (None when no interaction is stored, standing None when not a person), every
    interaction the rules walked for them, oldest first, and their drafts, newest first."""

    person_id: int | None
    name: str
    addresses: tuple[str, ...]
    contact: Contact | None
    standing: Standing | None
    timeline: tuple[Moment, ...]
    drafts: tuple[Draft, ...]
    work: str = ""  # what a LinkedIn export says: position, company, connected on

    @property
    def history(self) -> list[Moment]:
        """What had happened by the moment, newest first: not later ones, not unsent drafts,
        not meetings still to come (those are `upcoming`)."""
        happened = [m for m in self.timeline if m.rule not in (NOT_YET, DRAFTED, NOT_ENDED)]
        return happened[::-1]

    @property
    def events(self) -> list[Moment]:
        """Life events (a move, a new role, a dead address), oldest first."""
        return [m for m in self.timeline if m.event]

    @property
    def upcoming(self) -> list[Moment]:
        """Meetings with them that have not ended at the moment, soonest first."""
        return [m for m in self.timeline if m.rule == NOT_ENDED]

    def standing_words(self) -> list[str]:
        """The rules' view in sentences: a relationship or not (and why), a reply owed, the
        name's source; what `touchbase person` and the person page say under the name."""
        contact, standing = self.contact, self.standing
        if contact is None or standing is None:
            return []
        words = [self.work] if self.work else []
        both = f"{contact.exchanges_out} days you wrote, {contact.exchanges_in} they wrote"
        if contact.delegate:
            words.append("sends mail from your Sent folder (an assistant or delegate): never due")
        elif standing.relationship is None:
            words.append(f"not a relationship yet ({both}): tracked, never nagged about")
        else:
            why = {"pinned": "you pinned them", "meetings": "meetings together"}
            words.append(f"a relationship: {why.get(standing.relationship, both)}")
        if standing.reply_owed is not None:
            words.append(f"reply owed: they wrote on {standing.reply_owed.date().isoformat()}")
        if standing.dormant:
            words.append("the tie has lapsed: no check-ins any more")
        if standing.register:  # issue 11: how the tie reads, and why no check-in is owed
            signs = "; ".join(standing.warmth) or "only working mail"
            words.append(f"a {standing.register} tie: {signs}")
        if standing.quiet is not None:
            words.append(f"no check-in ({standing.quiet[0]}): {standing.quiet[1]}")
        if contact.name_guessed and not (self.person_id and self.name != contact.name):
            words.append(f'name guessed from the address ("{contact.name}")')
        for event in contact.events:
            if event.kind == UNDELIVERABLE:
                other = f"; {event.evidence[0]}" if event.evidence else ""
                words.append(
                    f"{event.text} (mail to it bounced on {event.at.date().isoformat()}): no "
                    f"draft goes to it{other}"
                )
        return words


def person_view(
    session: Session,
    row: Person | None,
    addresses: Sequence[str],
    contact: Contact | None,
    standing: Standing | None,
    drafts: tuple[Draft, ...],
    subjects: Mapping[int, str | None] | None = None,
) -> PersonView:
    """A PersonView: the owner's name for them first, every address known, and each
    interaction the rules walked with its subject (`subjects` by interaction id when the
    caller noted them as the fold read them, else read here)."""
    trace = contact.trace if contact else ()
    if subjects is None:
        subjects = _subjects(session, contact) if contact else {}
    if contact is not None and row is not None:
        imported = imported_events(session, row.id).get(row.id, ())
        if imported:
            contact = replace(contact, events=(*contact.events, *imported))
    moments = tuple(
        sorted(
            [
                *(
                    Moment(t.occurred_at, t.kind, t.rule, subjects.get(t.interaction_id))
                    for t in trace
                ),
                *(Moment(e.at, e.kind, EVENT, e.text) for e in (contact.events if contact else ())),
            ],
            key=_AT,
        )
    )
    known = sorted({*addresses, *(contact.addresses if contact else ())})
    name = (row.name if row else "") or (contact.name if contact else "")
    person_id = row.id if row else None
    return PersonView(person_id, name, tuple(known), contact, standing, moments, drafts, _work(row))


_AT = attrgetter("at")


def _subjects(session: Session, contact: Contact) -> dict[int, str | None]:
    """Interaction id -> subject for every interaction in the contact's trace, in one query
    through the participants' address index (as the fold found them), not as id lists: the
    busiest person of bench/rules.py's 1M interactions has 35,117, which took 8 queries of
    5,000 bound ids (0.38 s CPU on a cold connection, 0.20 s warm) and take one (0.19 s and
    0.18 s). An interaction in the trace that none of their addresses is on is read by id."""
    if not contact.trace:
        return {}
    table = InteractionRow.__table__
    connection = session.connection()
    theirs = select(ParticipantRow.interaction_id).where(
        ParticipantRow.address.in_(sorted(contact.addresses))
    )
    query = select(table.c.id, table.c.subject).where(table.c.id.in_(theirs))
    found: dict[int, str | None] = {i: subject for i, subject in connection.execute(query)}
    missing = sorted({t.interaction_id for t in contact.trace} - found.keys())
    for start in range(0, len(missing), _CHUNK):
        chosen = missing[start : start + _CHUNK]
        query = select(table.c.id, table.c.subject).where(table.c.id.in_(chosen))
        found.update((i, subject) for i, subject in connection.execute(query))
    return found


def _work(row: Person | None) -> str:
    """ "CTO at Globex; connected on LinkedIn 2021-03-04", from what an export said."""
    if row is None:
        return ""
    where = " at ".join(p for p in (row.position, row.company) if p)
    since = f"connected on LinkedIn {row.connected_on.isoformat()}" if row.connected_on else ""
    return "; ".join(p for p in (where, since) if p)


def due_rows(evaluation: Evaluation, person_ids: Mapping[str, int]) -> list[Due]:
    """The plan's decisions in its order, then the people it holds back, each with its hold,
    then the relationships waiting for the owner's reply (newest first): touchbase drafts no
    reply (it never reads the mail), but says that one is owed."""
    rows = [
        Due(d.name or d.address, d.address, d.kind, d.due, d.reasons, person_ids.get(d.address))
        for d in evaluation.plan.decisions
    ]
    proposed = {d.person for d in evaluation.plan.decisions}
    for held in evaluation.plan.held:
        contact = evaluation.contacts.get(held.person)
        if contact is None or held.person in proposed:
            continue
        standing = evaluation.standings.get(held.person)
        rows.append(
            Due(
                contact.name or contact.address,
                contact.address,
                held.kind,
                held.due or (standing.due if standing else None),
                (f"waits: {held.reason}",),
                person_ids.get(contact.address),
            )
        )
    listed = {r.address for r in rows}
    owed = [
        (standing.reply_owed, evaluation.contacts[key])
        for key, standing in evaluation.standings.items()
        if standing.reply_owed is not None and standing.relationship is not None
    ]
    for when, contact in sorted(owed, key=lambda o: (o[0], o[1].person), reverse=True):
        if contact.address in listed:
            continue
        rows.append(
            Due(
                contact.name or contact.address,
                contact.address,
                "reply-owed",
                when,
                (f"they wrote to you on {when.date().isoformat()}; your reply is owed",),
                person_ids.get(contact.address),
            )
        )
    return rows
