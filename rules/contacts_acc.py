"""One person's running totals during the fold, and the small records a contact carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from touchbase.rules.people import Who
from touchbase.rules.types import Interaction


class Trace(NamedTuple):
    """One interaction as it touched one person: `rule` is "counted" or the rule that dropped it."""

    interaction_id: int
    occurred_at: datetime
    kind: str  # "sent", "received", "meeting", "mail" (dropped before direction mattered)
    rule: str
    weight: float = 0.0


class MeetingRef(NamedTuple):
    """A counted meeting: which one, when it ended, what it was called."""

    interaction_id: int
    ended_at: datetime
    subject: str | None


class Awaiting(NamedTuple):
    """A thread the owner started, wrote to the person in (To), and got no reply in yet."""

    thread: str
    subject: str | None
    first_at: datetime  # the owner's first message in it since the last reply
    last_at: datetime  # the owner's latest message in it
    follow_ups: int  # the owner's messages after the first: follow-ups already sent
    interaction_id: int  # the latest one, to reply to
    message_id: str | None
    thread_id: str | None
    account: str


def _trace_order(entry: Trace) -> tuple[datetime, int]:
    return entry.occurred_at, entry.interaction_id


class Acc:
    """Mutable totals for one person; `freeze` turns them into a Contact."""

    __slots__ = (
        "addresses",
        "awaiting",
        "counted_at",
        "counted_weight",
        "excluded",
        "first_contact",
        "first_sent",
        "included",
        "last_auto_reply",
        "last_contact",
        "last_kind",
        "last_meeting",
        "last_met",
        "last_received",
        "last_sent",
        "last_subject",
        "meeting_count",
        "name",
        "next_meeting_end",
        "person",
        "received_count",
        "sent_count",
        "trace",
    )

    def __init__(self, person: str, tracing: bool) -> None:
        self.person = person
        self.addresses: dict[str, int] = {}
        self.name = ""
        self.excluded: str | None = None
        self.included = False
        self.last_sent: datetime | None = None
        self.first_sent: datetime | None = None
        self.sent_count = 0
        self.last_received: datetime | None = None
        self.received_count = 0
        self.last_met: datetime | None = None
        self.meeting_count = 0
        self.first_contact: datetime | None = None
        self.last_contact: datetime | None = None
        self.last_kind: str | None = None
        self.last_subject: str | None = None
        self.counted_at: list[datetime] = []
        self.counted_weight: list[float] = []
        self.last_meeting: MeetingRef | None = None
        self.awaiting: Awaiting | None = None
        self.last_auto_reply: datetime | None = None
        self.next_meeting_end: datetime | None = None
        self.trace: list[Trace] | None = [] if tracing else None

    def saw(self, who: Who, name: str) -> None:
        addresses = self.addresses
        addresses[who.address] = addresses.get(who.address, 0) + 1
        if name:
            self.name = name
        if who.excluded is None:
            self.included = True
        elif self.excluded is None:
            self.excluded = who.excluded

    def _first(self, at: datetime) -> None:
        if self.first_contact is None or at < self.first_contact:
            self.first_contact = at

    def fact_sent(self, at: datetime) -> None:
        self.sent_count += 1
        if self.last_sent is None or at > self.last_sent:
            self.last_sent = at
        if self.first_sent is None or at < self.first_sent:
            self.first_sent = at
        self._first(at)

    def fact_received(self, at: datetime) -> None:
        self.received_count += 1
        if self.last_received is None or at > self.last_received:
            self.last_received = at
        self._first(at)
        awaiting = self.awaiting
        if awaiting is not None and at > awaiting.last_at:
            self.awaiting = None  # they answered (in this thread or any other)

    def fact_met(self, start: datetime, end: datetime) -> None:
        self.meeting_count += 1
        if self.last_met is None or end > self.last_met:
            self.last_met = end
        self._first(start)

    def count(self, item: Interaction, kind: str, at: datetime, weight: float) -> None:
        self.counted_at.append(at)
        self.counted_weight.append(weight)
        if self.last_contact is None or at >= self.last_contact:
            self.last_contact = at
            self.last_kind = kind
            self.last_subject = item.subject
        if self.trace is not None:
            self.trace.append(Trace(item.id, item.occurred_at, kind, "counted", weight))

    def note(self, item: Interaction, kind: str, rule: str) -> None:
        if self.trace is not None:
            self.trace.append(Trace(item.id, item.occurred_at, kind, rule))

    def wrote(self, item: Interaction, thread: str) -> None:
        at = item.occurred_at
        awaiting = self.awaiting
        if awaiting is not None and awaiting.thread == thread:
            follow_ups = awaiting.follow_ups + 1
            first = awaiting.first_at
        else:
            follow_ups, first = 0, at
        self.awaiting = Awaiting(
            thread,
            item.subject,
            first,
            at,
            follow_ups,
            item.id,
            item.message_id,
            item.thread_id,
            item.account,
        )

    def met(self, item: Interaction, end: datetime) -> None:
        if self.last_meeting is None or end >= self.last_meeting.ended_at:
            self.last_meeting = MeetingRef(item.id, end, item.subject)
        awaiting = self.awaiting
        if awaiting is not None and end > awaiting.last_at:
            self.awaiting = None  # they talked: the thread is no longer unanswered

    def out_of_office(self, at: datetime) -> None:
        if self.last_auto_reply is None or at > self.last_auto_reply:
            self.last_auto_reply = at

    def freeze(self, cls: Any) -> Any:
        """Build `cls` (contacts.Contact) from the totals; passed in to avoid an import cycle."""
        addresses = self.addresses
        main = max(sorted(addresses), key=addresses.__getitem__) if addresses else self.person
        order = sorted(range(len(self.counted_at)), key=self.counted_at.__getitem__)
        trace = () if self.trace is None else tuple(sorted(self.trace, key=_trace_order))
        return cls(
            person=self.person,
            address=main,
            addresses=tuple(sorted(addresses)),
            name=self.name,
            excluded=None if self.included else self.excluded,
            last_sent=self.last_sent,
            first_sent=self.first_sent,
            sent_count=self.sent_count,
            last_received=self.last_received,
            received_count=self.received_count,
            last_met=self.last_met,
            meeting_count=self.meeting_count,
            first_contact=self.first_contact,
            last_contact=self.last_contact,
            last_contact_kind=self.last_kind,
            last_subject=self.last_subject,
            counted_at=tuple(self.counted_at[i] for i in order),
            counted_weight=tuple(self.counted_weight[i] for i in order),
            last_meeting=self.last_meeting,
            awaiting=self.awaiting,
            last_auto_reply=self.last_auto_reply,
            next_meeting_end=self.next_meeting_end,
            trace=trace,
        )
