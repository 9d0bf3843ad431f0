"""One person's running totals during the fold, and the small records a contact carries."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from touchbase.rules.life_events import (
    dead_addresses,
    domain_runs,
    moves,
    newest_other,
    undeliverable,
)
from touchbase.rules.names import best_name
from touchbase.rules.types import Interaction

# A tie's life, for dormancy (rules/standing.py is_dormant), is its last run of counted contact
# without a gap of over this: the fold keeps where that run started (Contact.tie_start).
LAPSE_FLOOR = timedelta(days=365)


class Trace(NamedTuple):
    """One interaction as it touched one person: `rule` is "counted" or the rule that dropped it."""

    interaction_id: int
    occurred_at: datetime
    kind: str  # "sent", "received", "meeting", "mail" (dropped before direction mattered)
    rule: str
    weight: float = 0.0


class MeetingRef(NamedTuple):
    """A counted meeting: which one, when it ended, what it was called, and whether it is one
    occurrence of a series they keep having (the same calendar UID or title more than once)."""

    interaction_id: int
    ended_at: datetime
    subject: str | None
    recurring: bool = False


class Awaiting(NamedTuple):
    """A thread the owner started, wrote to the person in directly (To, a few people), and in
    which nobody has answered since: the only kind of thread a follow-up may chase."""

    thread: str
    subject: str | None
    first_at: datetime  # the owner's first message in it
    last_at: datetime  # the owner's latest message in it
    follow_ups: int  # the owner's messages after the first: follow-ups already sent
    interaction_id: int  # the latest one, to reply to
    message_id: str | None
    thread_id: str | None
    account: str
    topic_key: str | None = None  # the subject's thread key: replies without headers join it


# Awaiting(...) and MeetingRef(...) run the named tuple's __new__, a Python function, for the
# tuple that tuple.__new__ makes in C: the fold makes one per owner's message in a thread they
# started (~240k at the bench's 1M) and per counted small meeting (~130k).
_new = tuple.__new__


def _trace_order(entry: Trace) -> tuple[datetime, int]:
    return entry.occurred_at, entry.interaction_id


def _run_start(run: list[datetime]) -> datetime:
    return run[0]


def day_gaps(days: Collection[int]) -> tuple[tuple[int, int], ...]:
    """(gap in days, how many times) between consecutive distinct contact days (sorted
    ordinals), by gap: all the learned cadence needs of the days."""
    found: dict[int, int] = {}
    previous = None
    for day in days:
        if previous is not None:
            gap = day - previous
            found[gap] = found.get(gap, 0) + 1
        previous = day
    return tuple(sorted(found.items()))


class Acc:
    """Mutable totals for one person; `freeze` turns them into a Contact."""

    __slots__ = (
        "address_at",
        "address_count",
        "address_first",
        "addresses",
        "awaiting",
        "bounced",
        "counted",
        "counted_days",
        "daily",
        "daily_days",
        "daily_last",
        "days_in",
        "days_out",
        "delegate",
        "excluded",
        "first_contact",
        "first_sent",
        "included",
        "last_auto_reply",
        "last_circle",
        "last_contact",
        "last_day",
        "last_direct_in",
        "last_in_day",
        "last_kind",
        "last_meeting",
        "last_meeting_keys",
        "last_met",
        "last_month",
        "last_out_day",
        "last_received",
        "last_seen",
        "last_sent",
        "last_subject",
        "meeting_count",
        "meeting_series",
        "months",
        "names_given",
        "names_own",
        "next_meeting_end",
        "one_on_one",
        "person",
        "prev_meeting_end",
        "received_count",
        "run_end",
        "runs",
        "sent_count",
        "small_meetings",
        "social_keys",
        "topic_at",
        "topic_subject",
        "trace",
        "weight",
    )

    def __init__(self, person: str, tracing: bool) -> None:
        self.person = person
        self.addresses: dict[str, int] = {}
        self.address_at: dict[str, datetime] = {}  # address -> the last time they wrote from it
        # Where they wrote from, and since when (a move to a new domain), and which addresses
        # bounced when (a delivery failure naming them): rules/life_events.py reads these.
        self.address_first: dict[str, datetime] = {}
        self.address_count: dict[str, int] = {}
        self.bounced: dict[str, datetime] = {}
        self.names_own: dict[str, int] = {}  # display names on their own mail
        self.names_given: dict[str, int] = {}  # display names others use for them
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
        # The last conversation just between them and the owner (direct mail, a small
        # meeting): the only subject a draft may refer to. Only the last: blind judging on real
        # mailboxes marked an older subject a stale hook even when it read as a topic.
        self.topic_subject: str | None = None
        self.topic_at: datetime | None = None
        # What counted, as the rules read it (not every time: a list of a million datetimes
        # was a third of a full refold's memory and of the stored state): how many and their
        # weights summed, the distinct days (date ordinals, sorted: the learned cadence's
        # gaps), and the runs of counted times without a gap over LAPSE_FLOOR, as [first,
        # last] pairs in order (the first counted time; where the tie's last run started).
        self.counted = 0
        self.weight = 0.0
        self.counted_days = array("l")
        self.last_day: int | None = None  # the latest of counted_days
        # The last run's end is kept here while times are appended (runs[-1][1] is then stale).
        self.runs: list[list[datetime]] = []
        self.run_end: datetime | None = None
        # Depth: distinct days of direct mail each way, small meetings, months in touch. The
        # fold walks in time order, so a count and the last one seen say "distinct" without
        # holding every day (a set per person cost 200 MB at a million interactions).
        self.days_out = 0
        self.days_in = 0
        self.last_out_day: int | None = None  # (date ordinals: no date made per message)
        self.last_in_day: int | None = None
        self.months = 0
        self.last_month: int | None = None  # year * 12 + month
        self.small_meetings = 0
        self.one_on_one = 0
        # Near-daily ties (issue 11.2): the distinct days (ordinals) with a direct exchange
        # either way within `near_daily_window` of the latest one, oldest first (at most that
        # many ints, pruned as the fold walks on), and how many came before the latest day.
        self.daily: list[int] = []
        self.daily_days = 0
        self.daily_last: datetime | None = None
        # The latest mail from a third party to a small group with the owner and them (11.3).
        self.last_circle: datetime | None = None
        # Social threads (11.4), by key (hashes; only social subjects, so few): key -> [theirs
        # too (they wrote in it, or the owner wrote it to them alone or naming them), its latest
        # occasion and when]. A lunch invitation to a group they never answered is not theirs.
        self.social_keys: dict[int, list[Any]] | None = None
        self.last_direct_in: datetime | None = None  # their latest direct mail to the owner
        # Their latest mail with the owner on it, to a group too: still working together.
        self.last_seen: datetime | None = None
        self.delegate = False  # they sent mail found in the owner's Sent folder
        self.last_meeting: MeetingRef | None = None
        self.last_meeting_keys: tuple[str, ...] = ()
        self.prev_meeting_end: datetime | None = None  # the counted meeting before the last
        self.meeting_series: dict[str, int] = {}  # meeting key (UID or title) -> occurrences
        self.awaiting: Awaiting | None = None
        self.last_auto_reply: datetime | None = None
        self.next_meeting_end: datetime | None = None
        self.trace: list[Trace] | None = [] if tracing else None

    def _first(self, at: datetime) -> None:
        if self.first_contact is None or at < self.first_contact:
            self.first_contact = at

    def named(self, name: str, own: bool) -> None:
        table = self.names_own if own else self.names_given
        table[name] = table.get(name, 0) + 1

    def wrote_from(self, address: str, at: datetime) -> None:
        held = self.address_at.get(address)
        if held is None or at > held:
            self.address_at[address] = at
        first = self.address_first.get(address)
        if first is None or at < first:
            self.address_first[address] = at
        self.address_count[address] = self.address_count.get(address, 0) + 1

    def bounce(self, address: str, at: datetime) -> None:
        """A delivery failure named this address of theirs as failed at `at`."""
        held = self.bounced.get(address)
        if held is None or at > held:
            self.bounced[address] = at

    def seen(self, at: datetime) -> None:
        if self.last_seen is None or at > self.last_seen:
            self.last_seen = at

    def fact_sent(self, at: datetime, direct: bool) -> None:
        self.sent_count += 1
        if self.last_sent is None or at > self.last_sent:
            self.last_sent = at
        if self.first_sent is None or at < self.first_sent:
            self.first_sent = at
        if direct:
            day = at.toordinal()
            if day != self.last_out_day:
                self.days_out += 1
                self.last_out_day = day
        self._first(at)

    def fact_received(self, at: datetime, direct: bool) -> None:
        self.received_count += 1
        if self.last_received is None or at > self.last_received:
            self.last_received = at
        if direct:
            day = at.toordinal()
            if day != self.last_in_day:
                self.days_in += 1
                self.last_in_day = day
            if self.last_direct_in is None or at > self.last_direct_in:
                self.last_direct_in = at
        self._first(at)
        awaiting = self.awaiting
        if awaiting is not None and at > awaiting.first_at:
            self.awaiting = None  # they wrote since (in this thread or any other)

    def direct_sent(
        self,
        item: Interaction,
        at: datetime,
        day: int,
        window: int,
        weight: float,
        conversed: bool,
    ) -> None:
        """The owner's direct mail to them (To or Cc, not a crowd, bulk or an excluded
        address), which always counts: `fact_sent(at, True)`, `exchanged`, `seen`, `count`
        and, when `conversed`, `conversed`, in one call (the fold's commonest step; they
        touch separate totals, so their order does not matter). `day`: `at.toordinal()`,
        found once per message for all its recipients."""
        # The fold walks in time order (`fold` sorts, or checks the caller's order), so `at`, a
        # message's time, is never before any time these fields hold (each is a message's, or
        # first_contact a meeting's start): the latest is `at` and a first is set once, with
        # no comparison of times (as fact_sent, seen and exchanged would find).
        self.sent_count += 1
        self.last_sent = at
        if self.first_sent is None:
            self.first_sent = at
        if day != self.last_out_day:
            self.days_out += 1
            self.last_out_day = day
        if self.first_contact is None:
            self.first_contact = at
        self.last_seen = at
        # (exchanged, inlined)
        daily = self.daily
        if not daily or daily[-1] != day:
            daily.append(day)
            start = day - window
            drop = 0
            while daily[drop] < start:
                drop += 1
            if drop:
                del daily[:drop]
            self.daily_days = len(daily) - 1
        self.daily_last = at
        self.count(item, "sent", at, weight, day)
        if conversed and (self.topic_at is None or at >= self.topic_at):
            self.topic_subject, self.topic_at = item.subject, at

    def direct_received(self, at: datetime, day: int, window: int) -> None:
        """Their direct mail to the owner: `fact_received(at, True)`, `seen` and `exchanged`
        in one call (`day`: `at.toordinal()`). Times as in `direct_sent`: `at` is the latest."""
        self.received_count += 1
        self.last_received = at
        if day != self.last_in_day:
            self.days_in += 1
            self.last_in_day = day
        self.last_direct_in = at
        if self.first_contact is None:
            self.first_contact = at
        awaiting = self.awaiting
        if awaiting is not None and at > awaiting.first_at:
            self.awaiting = None  # they wrote since (in this thread or any other)
        self.last_seen = at
        # (exchanged, inlined)
        daily = self.daily
        if not daily or daily[-1] != day:
            daily.append(day)
            start = day - window
            drop = 0
            while daily[drop] < start:
                drop += 1
            if drop:
                del daily[:drop]
            self.daily_days = len(daily) - 1
        self.daily_last = at

    def exchanged(self, at: datetime, window: int) -> None:
        """A direct exchange either way at `at`: kept as a day within `window` days of the
        latest, so a tie's rhythm just before it stopped is known (the fold walks in time
        order, so the list stays sorted)."""
        day = at.toordinal()
        daily = self.daily
        if not daily or daily[-1] != day:
            daily.append(day)
            start = day - window
            drop = 0
            while daily[drop] < start:
                drop += 1
            if drop:
                del daily[:drop]
            self.daily_days = len(daily) - 1
        if self.daily_last is None or at > self.daily_last:
            self.daily_last = at

    def circle(self, at: datetime) -> None:
        """A third party wrote to a small group with the owner and them."""
        if self.last_circle is None or at > self.last_circle:
            self.last_circle = at

    def social(
        self, key: int, at: datetime, topic: str | None, theirs: bool = False, mine: bool = False
    ) -> None:
        """Mail in a thread whose subject is social or personal (`key` names the thread): by
        them (`theirs`), or by the owner to them alone or naming them (`mine`), or by the
        owner to a few people with them; `topic` is the occasion it names, when a check-in may
        recall it."""
        if self.social_keys is None:
            self.social_keys = {}
        held = self.social_keys.get(key)
        if held is None:
            held = self.social_keys[key] = [False, None, None]
        if theirs or mine:
            held[0] = True
        if topic is not None and (held[2] is None or at >= held[2]):
            held[1], held[2] = topic, at

    def _shared_social(self) -> tuple[int, str | None, datetime | None]:
        """(threads that were theirs too, the latest occasion among them and when). A group
        invitation from the owner that they never answered says nothing of the tie."""
        count, subject, when = 0, None, None
        for shared, topic, at in (self.social_keys or {}).values():
            if shared:
                count += 1
                if topic is not None and (when is None or at >= when):
                    subject, when = topic, at
        return count, subject, when

    def fact_met(self, start: datetime, end: datetime) -> None:
        self.meeting_count += 1
        if self.last_met is None or end > self.last_met:
            self.last_met = end
        self._first(start)

    def count(self, item: Interaction, kind: str, at: datetime, weight: float, day: int) -> None:
        """`item` counted at `at` (`day`: `at.toordinal()`, which the fold finds once per
        interaction, not once per person in it)."""
        self.counted += 1
        self.weight += weight
        # The fold walks in time order, so nearly every time comes after the ones before (a
        # meeting counts at its end, so a later start's mail may come before it): appended.
        last_day = self.last_day
        if day != last_day:
            if last_day is None or day > last_day:
                self.counted_days.append(day)
                self.last_day = day
            else:
                self._late_day(day)
        end = self.run_end
        if end is not None and at >= end:
            if at - end > LAPSE_FLOOR:
                self.runs[-1][1] = end
                self.runs.append([at, at])
            self.run_end = at
        else:
            self._late(at)
        month = at.year * 12 + at.month  # (an int: no tuple made per count)
        if month != self.last_month:
            self.months += 1
            self.last_month = month
        if self.last_contact is None or at >= self.last_contact:
            self.last_contact = at
            self.last_kind = kind
            self.last_subject = item.subject
        if self.trace is not None:
            self.trace.append(Trace(item.id, item.occurred_at, kind, "counted", weight))

    def _late_day(self, day: int) -> None:
        days = self.counted_days
        found = bisect_left(days, day)
        if days[found] != day:
            days.insert(found, day)

    def _late(self, at: datetime) -> None:
        """A counted time before the last one (or the first): into the runs where it falls,
        joining its neighbours when within LAPSE_FLOOR of them."""
        runs, end = self.runs, self.run_end
        if runs and end is not None:
            runs[-1][1] = end  # (kept apart while times are appended)
        after = bisect_right(runs, at, key=_run_start)  # the first run starting after `at`
        before = runs[after - 1] if after else None
        if before is not None and at <= before[1]:
            return  # inside a run
        following = runs[after] if after < len(runs) else None
        joins_before = before is not None and at - before[1] <= LAPSE_FLOOR
        joins_after = following is not None and following[0] - at <= LAPSE_FLOOR
        if joins_before and joins_after:
            assert before is not None and following is not None
            before[1] = following[1]
            del runs[after]
        elif joins_before:
            assert before is not None
            before[1] = at
        elif joins_after:
            assert following is not None
            following[0] = at
        else:
            runs.insert(after, [at, at])
        self.run_end = runs[-1][1]

    def conversed(self, item: Interaction, at: datetime) -> None:
        """A conversation just with them (direct mail, a small meeting): its subject is the one
        a draft may name."""
        if self.topic_at is None or at >= self.topic_at:
            self.topic_subject, self.topic_at = item.subject, at

    def note(self, item: Interaction, kind: str, rule: str) -> None:
        if self.trace is not None:
            self.trace.append(Trace(item.id, item.occurred_at, kind, rule))

    def wrote(self, item: Interaction, thread: str, topic_key: str | None) -> None:
        """The owner wrote to them directly in a thread the owner started."""
        at = item.occurred_at
        awaiting = self.awaiting
        if awaiting is not None and thread in (awaiting.thread, awaiting.topic_key):
            follow_ups = awaiting.follow_ups + 1
            first = awaiting.first_at
            thread, topic_key = awaiting.thread, awaiting.topic_key
        elif topic_key is None:
            return  # the owner answering in a thread that was answered: not a new question
        else:
            follow_ups, first = 0, at
        self.awaiting = _new(
            Awaiting,
            (
                thread,
                item.subject,
                first,
                at,
                follow_ups,
                item.id,
                item.message_id,
                item.thread_id,
                item.account,
                topic_key,
            ),
        )

    def saw_meeting(self, keys: tuple[str, ...]) -> None:
        """A meeting with them (past or upcoming): counted per UID and per title, so a series
        they keep having is known as one."""
        series = self.meeting_series
        for key in keys:
            series[key] = series.get(key, 0) + 1

    def met(self, item: Interaction, end: datetime, size: int, keys: tuple[str, ...]) -> None:
        self.small_meetings += 1
        if size == 2:
            self.one_on_one += 1
        if self.last_meeting is None or end >= self.last_meeting.ended_at:
            if self.last_meeting is not None:
                self.prev_meeting_end = self.last_meeting.ended_at
            self.last_meeting = _new(MeetingRef, (item.id, end, item.subject, False))
            self.last_meeting_keys = keys
        awaiting = self.awaiting
        if awaiting is not None and end > awaiting.first_at:
            self.awaiting = None  # they talked: the thread is no longer unanswered

    def out_of_office(self, at: datetime) -> None:
        if self.last_auto_reply is None or at > self.last_auto_reply:
            self.last_auto_reply = at

    def in_use(self, dead: Collection[str] = ()) -> str:
        """The address to write to: the one they last wrote from, else the one used most; an
        address that bounced since (`dead`) is passed over while they have another."""
        for table in (
            {a: t for a, t in self.address_at.items() if a not in dead},
            {a: n for a, n in self.addresses.items() if a not in dead},
            self.address_at,
            self.addresses,
        ):
            if table:
                return max(sorted(table), key=table.__getitem__)
        return self.person

    def freeze(
        self,
        cls: Any,
        answered: dict[int, datetime],
        min_run: timedelta = timedelta(days=180),
        personal: frozenset[str] = frozenset(),
    ) -> Any:
        """Build `cls` (contacts.Contact) from the totals; passed in to avoid an import cycle.
        `answered`: thread key hash -> the latest time someone other than the owner wrote in it.
        `min_run` and `personal`: what makes a move to a new domain (policy job_change_min_run,
        personal_domains)."""
        social = self._shared_social()
        trace = () if self.trace is None else tuple(sorted(self.trace, key=_trace_order))
        name, guessed = best_name(self.names_own, self.names_given, self.addresses)
        awaiting = self.awaiting
        if awaiting is not None:
            for key in (awaiting.thread, awaiting.topic_key):
                when = None if key is None else answered.get(hash(key))
                if when is not None and when > awaiting.first_at:
                    awaiting = None  # someone answered in the thread (a reply-all counts)
                    break
        meeting = self.last_meeting
        if meeting is not None:
            repeats = max(
                (self.meeting_series.get(k, 0) for k in self.last_meeting_keys), default=0
            )
            meeting = meeting._replace(recurring=repeats > 1)
        dead = dead_addresses(self.bounced, self.address_at)
        other = newest_other(dead, self.address_at, self.addresses)
        runs = domain_runs(self.address_first, self.address_at, self.address_count)
        events = sorted(
            [*moves(runs, dead, min_run, personal), *undeliverable(dead, other)],
            key=lambda e: (e.at, e.kind, e.text),
        )
        return cls(
            person=self.person,
            address=self.in_use(dead),
            addresses=tuple(sorted(self.addresses)),
            name=name,
            name_guessed=guessed,
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
            topic_subject=self.topic_subject,
            topic_at=self.topic_at,
            counted=self.counted,
            weight=self.weight,
            first_counted=self.runs[0][0] if self.runs else None,
            tie_start=self.runs[-1][0] if self.runs else None,
            day_gaps=day_gaps(self.counted_days),
            exchanges_out=self.days_out,
            exchanges_in=self.days_in,
            small_meetings=self.small_meetings,
            one_on_one=self.one_on_one,
            months_in_touch=self.months,
            last_direct_in=self.last_direct_in,
            last_seen=self.last_seen,
            delegate=self.delegate,
            last_meeting=meeting,
            prev_meeting_end=self.prev_meeting_end,
            awaiting=awaiting,
            last_auto_reply=self.last_auto_reply,
            next_meeting_end=self.next_meeting_end,
            trace=trace,
            events=tuple(events),
            dead=tuple(sorted(dead.items())),
            near_daily_days=self.daily_days,
            near_daily_last=self.daily_last,
            last_circle=self.last_circle,
            social_threads=social[0],
            social_subject=social[1],
            social_at=social[2],
        )


__all__ = ["LAPSE_FLOOR", "Acc", "Awaiting", "MeetingRef", "Trace", "day_gaps"]
