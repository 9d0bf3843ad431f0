"""The fold: interactions in, one contact per person out, with what counted and why not.

`fold(interactions, identities, policy, now)` walks the interactions once, oldest first (ties
broken by id, so input order never matters), and keeps per person:

- facts, whatever the counting rules say: `last_sent` / `sent_count` (distinct messages the
  owner sent with them in To, Cc or Bcc), `last_received` / `received_count` (mail from them,
  not automated, bulk or an auto-reply), `last_met` / `meeting_count` (meetings that happened
  with both attending), `first_contact`;
- what counted towards the check-in cadence: `last_contact`, how many counted and their weights,
  the first, where the tie's last run began (`tie_start`) and the gaps between contact days;
- what the decisions need: the last counted meeting, the thread awaiting their reply, the last
  out-of-office reply.

Incremental use: a person's contact depends only on interactions they take part in (plus, for
copies and threads, other records of those same messages), so after a sync the agent refolds
only the people it touched: pass every interaction of those people and `only=` their keys.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from operator import attrgetter

from touchbase.rules.contacts_acc import Acc, Awaiting, MeetingRef, Trace
from touchbase.rules.life_events import (
    FAILED,
    LifeEvent,
    is_failure_notice,
    is_failure_subject,
)
from touchbase.rules.people import OWNER, Identities, Resolver, Who
from touchbase.rules.policy import Policy
from touchbase.rules.social import occasion_topic, social_kind
from touchbase.rules.threads import (
    read_subject,
    subject_info,
    thread_keys_of,
)
from touchbase.rules.types import (
    ALL_DAY,
    ATTENDEE,
    ATTENDEES_OMITTED,
    AUTO_REPLY,
    AUTOMATED,
    BCC,
    BULK,
    CANCELLED,
    CC,
    DECLINED,
    DRAFT,
    FROM,
    MEETING,
    TO,
    Interaction,
    Party,
)

# Bumped whenever a change to the fold's rules changes what a Contact holds for the same mail:
# a persisted contact state folded by older rules is then refolded (agent/pipeline/
# contact_state.py puts it in its fingerprint). 2: an unanswered group invitation is not a shared
# social thread. 3: a sensitive phrase or a plan ("Lunch next week?") is no occasion to name.
# 4: what counted is kept as summaries (counted, weight, first_counted, tie_start, day_gaps).
FOLD_RULES = 4

# Rule names: the word a trace gives for an interaction that did not count for a person.
COUNTED = "counted"
DRAFTED = "draft"  # still in Drafts: it has not happened
NOT_YET = "after-now"  # dated after `now`: not part of this evaluation
DUPLICATE = "duplicate"  # another copy of the same message or meeting counted already
# The store's flag (connectors.base.Flag.SUPERSEDED) on a meeting copy whose newer version, by
# SEQUENCE then LAST-MODIFIED/DTSTAMP, another account holds (issue 14.4).
SUPERSEDED = "superseded"
BULK_MAIL = "bulk"  # List-Id, List-Unsubscribe, Precedence
AUTOMATED_MAIL = "automated"  # Auto-Submitted (RFC 3834)
OUT_OF_OFFICE = "auto-reply"  # pauses nudges instead of counting
BCC_ONLY = "bcc-only"
TOO_MANY_RECIPIENTS = "too-many-recipients"
RECEIVED_NOT_COUNTED = "received-not-counted"  # policy received_counts = "never"
COLD_INBOUND = "cold-inbound"  # not a reply in a thread the owner started
NOT_TO_YOU = "not-to-you"  # received, but not addressed to the owner (a list) or to a crowd
NO_SENDER = "no-sender"
CANCELLED_MEETING = "cancelled"
NOT_ENDED = "not-ended"
OWNER_ABSENT = "owner-absent"
OWNER_DECLINED = "owner-declined"
PERSON_DECLINED = "declined"
ALL_DAY_BLOCK = "all-day-block"
LARGE_MEETING = "large-meeting"
UNDELIVERABLE_MAIL = "delivery-failure"  # a bounce naming them: their address is dead, no contact


@dataclass(frozen=True, slots=True)
class Contact:
    """One person as the rules see them. Times are aware UTC; None means never."""

    person: str
    address: str  # the one to write to: the address they last wrote from, else the most used
    addresses: tuple[str, ...]
    name: str  # their own display name, else others' name for them, else a guess
    name_guessed: bool  # the name only comes from an address like first.last@
    excluded: str | None  # why this is not a person at all (automated-address, ignored-...)
    last_sent: datetime | None
    first_sent: datetime | None
    sent_count: int
    last_received: datetime | None
    received_count: int
    last_met: datetime | None
    meeting_count: int
    first_contact: datetime | None
    last_contact: datetime | None  # the latest interaction that COUNTED
    last_contact_kind: str | None  # "sent", "received" or "meeting"
    last_subject: str | None  # of the last counted interaction
    topic_subject: str | None  # of the last conversation just between them (direct, small)
    topic_at: datetime | None
    # What counted, summed up (every counted time was a million datetimes to keep, store and
    # read back at 1M interactions; the rules need only these): how many interactions counted
    # and their weights summed (1.0 for To / 1:1, less for Cc / groups); the first counted
    # time (the last is `last_contact`); where the last run of counted contact without a gap
    # over contacts_acc.LAPSE_FLOOR began (the tie's life, for dormancy); and the gaps between
    # consecutive distinct contact days (date ordinals) as (days, how many), by gap (learned
    # cadence).
    counted: int
    weight: float
    first_counted: datetime | None
    tie_start: datetime | None
    day_gaps: tuple[tuple[int, int], ...]
    # Depth, apart from recency: distinct days the owner wrote to them (To or Cc, not a crowd)
    # and they wrote to the owner (the owner in To or Cc, not a crowd); small meetings and 1:1s
    # that happened; calendar months with counted contact.
    exchanges_out: int
    exchanges_in: int
    small_meetings: int
    one_on_one: int
    months_in_touch: int
    last_direct_in: datetime | None  # their latest direct mail to the owner (reply owed?)
    # Their latest mail with the owner on it, a group's too, or the owner's to them: while
    # recent, they work together and a check-in is not owed (group mail alone is no tie).
    last_seen: datetime | None
    delegate: bool  # they sent mail found in the owner's Sent folder: an assistant, a delegate
    last_meeting: MeetingRef | None  # the last counted meeting
    prev_meeting_end: datetime | None  # the counted meeting before it (a thank-you's "first")
    awaiting: Awaiting | None  # the owner's latest thread to them that nobody answered
    last_auto_reply: datetime | None
    next_meeting_end: datetime | None  # a meeting with them not ended at `now`: refold after it
    trace: tuple[Trace, ...] = ()
    # Life events seen in mail (rules/life_events.py): a move to a new domain, an address that
    # bounced; and the dead addresses with when they bounced (no draft goes to one).
    events: tuple[LifeEvent, ...] = ()
    dead: tuple[tuple[str, datetime], ...] = ()
    # Issue 11: how the tie reads. Distinct days with a direct exchange either way in the
    # `near_daily_window` before the latest one (near_daily_last): a near-daily tie that stops
    # means they talk another way now. The latest mail a third party sent to a small group
    # with the owner and them: the same circle lately. Threads shared with the owner whose
    # subjects are social or personal (rules/social.py), and the latest occasion's subject.
    near_daily_days: int = 0
    near_daily_last: datetime | None = None
    last_circle: datetime | None = None
    social_threads: int = 0
    social_subject: str | None = None
    social_at: datetime | None = None


_ORDER = attrgetter("occurred_at", "id")
# How far apart two accounts may date one message (same Message-ID and sender): a provider's
# time is its own receipt time (Gmail internalDate, Graph receivedDateTime, IMAP INTERNALDATE
# for an unusable Date), hours after the Date header when delivery was slow. Further apart
# under one Message-ID, it is another message (issue 14.6: a sender reusing the id).
COPY_DRIFT = timedelta(days=1)
# Subjects read per generation of _Fold.subjects (as many as threads.subject_info's cache).
_SUBJECTS = 1 << 15
# What the fold reads of a subject, once per distinct subject (_Fold.subject): threads.
# read_subject's stripped form, reply-ness and forward-ness, then social.social_kind, whether a
# delivery failure's notice carries it (life_events.is_failure_subject), and the hash of the
# stripped form (the social thread's key; None when nothing is left). Each message asked the
# last three again: 0.9M social_kind and is_failure_notice searches at the bench's 1M, where
# 295k subjects are distinct.
_Subject = tuple[str, bool, bool, str | None, bool, int | None]


def fold(
    interactions: Iterable[Interaction],
    identities: Identities,
    policy: Policy,
    now: datetime,
    *,
    only: Collection[str] | None = None,
    trace: bool = False,
    ordered: bool = False,
) -> dict[str, Contact]:
    """Contacts by person key for everyone the interactions involve (or just `only`).

    Pure: the same arguments give the same result whatever the order of `interactions`.
    With `trace`, each contact carries a line per interaction: counted, or the rule that
    dropped it (`touchbase person ADDRESS` shows these). With `ordered`, the caller promises
    the interactions come sorted by (occurred_at, id) (SQL `ORDER BY occurred_at, id`): they
    are then streamed, never held in memory all at once, and a broken promise raises
    ValueError.
    """
    run = _Fold(identities, policy, now, only, trace)
    meeting, mail = run.meeting, run.mail
    if not ordered:
        for item in sorted(interactions, key=_ORDER):
            if item.kind == MEETING:
                meeting(item)
            else:
                mail(item)
        return run.finish()
    # The promise checked in the loop itself (a generator around it was a step per item), by
    # time first: the id only settles a tie (no (time, id) tuple made per item).
    last: datetime | None = None
    last_id = 0
    for item in interactions:
        at = item.occurred_at
        if last is not None and at <= last and (at < last or item.id < last_id):
            raise ValueError(
                f"interaction {item.id} at {at.isoformat()} comes after one at "
                f"{last.isoformat()}: pass ordered=False or sort by (occurred_at, id)"
            )
        last, last_id = at, item.id
        if item.kind == MEETING:
            meeting(item)
        else:
            mail(item)
    return run.finish()


class _Fold:
    """The state of one fold: accumulators by person, copies seen, who started which thread."""

    def __init__(
        self,
        identities: Identities,
        policy: Policy,
        now: datetime,
        only: Collection[str] | None,
        trace: bool,
    ) -> None:
        self.resolve = Resolver(identities, policy)
        self.policy = policy
        self.now = now
        self.only = None if only is None else frozenset(only)
        self.tracing = trace
        self.people: dict[str, Acc] = {}
        # Copies: (Message-ID, sender) seen, with the time of the message counted under it
        # (as hashes; a 64-bit collision among a million is about 1 in 30 million), and the
        # other copy keys for the current moment only, since those copies share their time.
        # A key only makes a copy within COPY_DRIFT and the fold walks in time order, so the
        # keys live in two generations of COPY_DRIFT each: `seen_ids` since `seen_since`, and
        # `seen_before` the one before; older keys are dropped (one dict of every key held a
        # million entries, 100 MB, at a million interactions).
        self.seen_ids: dict[int, datetime] = {}
        self.seen_before: dict[int, datetime] = {}
        self.seen_since: datetime | None = None
        self.seen_now: set[object] = set()
        self.moment: datetime | None = None
        self.started: dict[int, bool] = {}  # hash(thread key) -> did the owner start it
        # hash(thread key) -> the latest time someone other than the owner wrote in it, for the
        # threads the owner started: one anyone answered (a reply-all included) is not awaiting
        # a follow-up.
        self.answered: dict[int, datetime] = {}
        self.dropped: list[tuple[Interaction, str]] = []  # whole drops, traced at the end
        self.names = identities.names
        self.circle: dict[str, datetime] = {}  # person -> latest third-party small-group mail
        self.window = policy.near_daily_window.days
        # Subjects read (threads.read_subject), in two generations of _SUBJECTS like the copy
        # keys: the bench's 1M interactions carry 400k distinct subjects, so most lookups in
        # threads.subject_info's LRU cache missed, and a miss there (evict the oldest, relink)
        # cost as much as reading the subject again; here a hit is one dict lookup in mail.
        self.subjects: dict[str | None, _Subject] = {}
        self.subjects_before: dict[str | None, _Subject] = {}

    def acc(self, who: Who, name: str, own: bool = False) -> Acc | None:
        """The person's totals, with this address and display name seen (`own`: on their own
        mail, as its sender)."""
        person = who.person
        found = self.people.get(person)
        if found is None:
            if self.only is not None and person not in self.only:
                return None
            found = self.people[person] = Acc(person, self.tracing)
        # Inlined: this runs for every person of every interaction.
        addresses = found.addresses
        address = who.address
        addresses[address] = addresses.get(address, 0) + 1
        if name:  # (Acc.named)
            table = found.names_own if own else found.names_given
            table[name] = table.get(name, 0) + 1
        excluded = who.excluded
        if excluded is None:
            found.included = True
        elif found.excluded is None:
            found.excluded = excluded
        return found

    def subject(self, subject: str | None) -> _Subject:
        """A subject not in `subjects`: from the generation before, else read."""
        info = self.subjects_before.get(subject)
        if info is None:
            stripped, reply, forward = read_subject(subject)
            info = (
                stripped,
                reply,
                forward,
                social_kind(subject),
                is_failure_subject(subject),
                # (strip_subject lower-cases it already, and lower() of lower() is itself.)
                hash(stripped) if stripped else None,
            )
        if len(self.subjects) >= _SUBJECTS:
            self.subjects_before, self.subjects = self.subjects, {}
        self.subjects[subject] = info
        return info

    def drop(self, item: Interaction, rule: str) -> None:
        if self.tracing:
            self.dropped.append((item, rule))

    def _is_copy(self, at: datetime, anytime: object | None, now_hashes: list[int]) -> bool:
        """`anytime` (Message-ID and sender) makes a copy within COPY_DRIFT of the message
        counted under it (issue 14.6: a reused Message-ID on another sender's or another
        day's mail is another message); `now_hashes`, threads.copy_keys' same-moment keys
        hashed, at the same `at`. See __init__ for how they are kept."""
        # Same-moment keys are kept as hashes too: one hash per key instead of two lookups'
        # worth, and a 64-bit collision within one second of mail is not a real risk.
        seen_now = self.seen_now
        if at != self.moment:
            self._moment(at)
        marker = None if anytime is None else hash(anytime)
        first = None
        if marker is not None:
            first = self.seen_ids.get(marker)
            if first is None:
                first = self.seen_before.get(marker)
        if first is not None and abs(at - first) <= COPY_DRIFT:
            return True
        for key in now_hashes:
            if key in seen_now:
                return True
        if marker is not None:
            self.seen_ids[marker] = at
        seen_now.update(now_hashes)
        return False

    def _moment(self, at: datetime) -> None:
        """A new moment: the same-moment keys start again, and the generations move on."""
        self.moment = at
        self.seen_now.clear()
        since = self.seen_since
        if since is None or at - since >= COPY_DRIFT:
            # Whatever is older than the last generation is over COPY_DRIFT before `at`.
            self.seen_before, self.seen_ids, self.seen_since = self.seen_ids, {}, at

    # -- mail ---------------------------------------------------------------------------------

    def mail(self, item: Interaction) -> None:
        flags = item.flags
        at = item.occurred_at
        folder = item.folder
        subject = item.subject
        mid = item.message_id
        if (flags and DRAFT in flags) or folder == "drafts":
            return self.drop(item, DRAFTED)
        if at > self.now:
            return self.drop(item, NOT_YET)
        resolve = self.resolve
        sender = None
        to = []
        failed = None
        for p in item.participants:
            role = p.role
            if role == TO:
                to.append(p.address)
            elif role == FROM and sender is None:
                sender = p
            elif role == FAILED:
                failed = [*(failed or ()), p.address]
        info = self.subjects.get(subject)
        if info is None:
            info = self.subject(subject)
        stripped, reply_subject, forward, social, failure, subject_key = info
        if (
            failure
            and failed is None
            and sender is not None
            and is_failure_notice(sender.address, subject)
        ):
            failed = to  # an export's shape: the notice kept To the address that failed
        if failed is not None:
            return self.bounced(item, failed)
        # (OWNER stands in when there is no sender: then it is never read.)
        sender_who = OWNER if sender is None else resolve[sender.address]
        sent = sender is not None and (sender.is_self or sender_who is OWNER)
        if not sent and sender is not None and folder == "sent":
            self._delegate(sender_who, sender.name)
        # Copies (threads.copy_keys, inlined here because this runs once per message).
        if len(to) > 1:
            to.sort()
        copy = hash((stripped, tuple(to), "" if sent or sender is None else sender.address))
        anytime = None if not mid else (mid, "" if sent or sender is None else sender.address)
        # (_is_copy with its one same-moment key, and _moment, inlined: once per message.)
        seen_now = self.seen_now
        if at != self.moment:
            self.moment = at
            seen_now.clear()
            since = self.seen_since
            if since is None or at - since >= COPY_DRIFT:
                self.seen_before, self.seen_ids, self.seen_since = self.seen_ids, {}, at
        marker = None
        if anytime is not None:
            marker = hash(anytime)
            first = self.seen_ids.get(marker)
            if first is None:
                first = self.seen_before.get(marker)
            if first is not None and abs(at - first) <= COPY_DRIFT:
                return self.drop(item, DUPLICATE)
        if copy in seen_now:
            return self.drop(item, DUPLICATE)
        if marker is not None:
            self.seen_ids[marker] = at
        seen_now.add(copy)
        thread, starts, reply = thread_keys_of(item, stripped, reply_subject)
        # Who started the thread, read once (`started` holds ~600k keys at the bench's 1M, so
        # each look there is a wait on memory): the thread's first message says.
        started = self.started
        thread_hash = None if thread is None else hash(thread)
        owner_thread = False
        if thread_hash is not None:
            by_owner = started.get(thread_hash)
            if by_owner is None:
                by_owner = started[thread_hash] = sent and not reply
            owner_thread = by_owner
        if starts is not None:
            started.setdefault(hash(starts), sent)
        whole = None
        if flags:
            whole = (
                BULK_MAIL
                if BULK in flags
                else AUTOMATED_MAIL
                if AUTOMATED in flags
                else OUT_OF_OFFICE
                if AUTO_REPLY in flags
                else None
            )
        # Social threads are told apart by subject: an invitation's replies often carry no
        # In-Reply-To, and its own thread key is its Message-ID (threads.thread_keys_of):
        # `subject_key`, `social` (social_kind of the subject) from the subject's record.
        if sent:
            awaitable = owner_thread and not forward
            self.sent(
                item,
                whole,
                (thread, starts) if awaitable and thread else None,
                subject_key,
                social,
            )
        elif sender is None:
            self.drop(item, NO_SENDER)
        else:
            if owner_thread and whole is None and thread_hash is not None:
                held = self.answered.get(thread_hash)
                if held is None or at > held:
                    self.answered[thread_hash] = at
            self.received(item, sender_who, sender, whole, owner_thread, subject_key, social)

    def bounced(self, item: Interaction, failed: list[str]) -> None:
        """A delivery failure: each failed address of a person is dead as of its date. The
        notice itself is a machine's, never contact."""
        for address in failed:
            who = self.resolve[address]
            if who is OWNER:
                continue
            acc = self.acc(who, "")
            if acc is not None:
                acc.bounce(who.address, item.occurred_at)
                acc.note(item, "received", UNDELIVERABLE_MAIL)

    def _delegate(self, who: Who, name: str) -> None:
        """Someone whose mail is in the owner's Sent folder writes from the owner's mailbox:
        an assistant or a delegate, who works beside the owner (never nagged about)."""
        acc = self.acc(who, name, own=True) if who is not OWNER else None
        if acc is not None:
            acc.delegate = True

    def sent(
        self,
        item: Interaction,
        whole: str | None,
        owner_thread: tuple[str, str | None] | None,
        subject_key: int | None,
        kind: str | None,
    ) -> None:
        """The owner's mail; `subject_key` and `kind` (its social_kind) as `_Subject` has them."""
        resolve = self.resolve
        best: dict[str, tuple[int, Who, str]] = {}  # person -> (role rank, who, name)
        for p in item.participants:
            rank = _RANK.get(p.role)
            if rank is None:
                continue
            who = resolve[p.address]
            if who is OWNER or p.is_self:
                continue
            held = best.get(who.person)
            if held is None or rank < held[0]:
                best[who.person] = (rank, who, p.name)
        policy = self.policy
        crowd = len(best) > policy.max_recipients
        few = len(best) <= policy.few_recipients
        at = item.occurred_at
        day = at.toordinal()  # once for all of its recipients
        # A social or personal subject the owner wrote to a few people: a shared thread.
        social = kind if few and whole is None else None
        for rank, who, name in best.values():
            acc = self.acc(who, name)
            if acc is None:
                continue
            direct = rank < 2 and not crowd and whole is None and who.excluded is None
            if direct:
                # Counted, with every step below in one call (no rule applies to it).
                acc.direct_sent(
                    item,
                    at,
                    day,
                    self.window,
                    1.0 if rank == 0 else policy.cc_weight,
                    rank == 0 and few,
                )
                if social is not None:
                    acc.social(
                        subject_key if subject_key is not None else hash(item.subject),
                        at,
                        occasion_topic(item.subject, policy.sensitive_topics),
                        # To them alone, or naming them ("Lunch w/ Joan"): meant for them.
                        mine=len(best) == 1 or _names_them(item.subject, who.address, name),
                    )
                if rank == 0 and few and owner_thread is not None:
                    acc.wrote(item, *owner_thread)
                continue
            acc.fact_sent(at, direct)
            if rank < 2 and whole is None:
                acc.seen(at)
            rule = who.excluded or whole
            if rule is None:
                rule = BCC_ONLY if rank == 2 else TOO_MANY_RECIPIENTS if crowd else None
            if rule is not None:
                acc.note(item, "sent", rule)
                continue
            weight = 1.0 if rank == 0 else policy.cc_weight
            acc.count(item, "sent", at, weight, day)
            if rank == 0 and few:
                acc.conversed(item, at)
                if owner_thread is not None:
                    acc.wrote(item, *owner_thread)

    def received(
        self,
        item: Interaction,
        who: Who,
        sender: Party,
        whole: str | None,
        owner_thread: bool,
        subject_key: int | None,
        kind: str | None,
    ) -> None:
        """Mail from `who`; `subject_key` and `kind` (its social_kind) as `_Subject` has them."""
        if who is OWNER:
            return
        acc = self.acc(who, sender.name, own=True)
        if acc is None:  # a sender not among `only`: their totals are dropped, but the
            acc = Acc(who.person, False)  # circle their mail makes for the others counts
        at = item.occurred_at
        # (Acc.wrote_from, inlined: once per received message. The fold walks in time order,
        # so `at` is the latest time they wrote from it, and the first is set once.)
        address = who.address
        acc.address_at[address] = at
        acc.address_first.setdefault(address, at)
        acc.address_count[address] = acc.address_count.get(address, 0) + 1
        if whole == OUT_OF_OFFICE:
            acc.out_of_office(at)
            return acc.note(item, "received", whole)
        if whole is not None or who.excluded is not None:
            return acc.note(item, "received", who.excluded or whole or "")
        # To the owner (To or Cc), and not to a crowd: mail written to them, not a broadcast.
        resolve = self.resolve
        to_owner = False
        others = 0
        group: list[Who] = []
        for p in item.participants:
            role = p.role
            if role == FROM:
                continue
            other = resolve[p.address]
            if other is OWNER or p.is_self:
                to_owner = True
            elif role != BCC:  # (some exports repeat every Cc as a Bcc)
                others += 1
                group.append(other)
        policy = self.policy
        direct = to_owner and others < policy.max_recipients
        day = 0  # (only read when direct)
        if direct:
            day = at.toordinal()
            acc.direct_received(at, day, self.window)  # fact_received, seen and exchanged
        else:
            acc.fact_received(at, direct)
            if to_owner:
                acc.seen(at)
        if direct:
            if group:  # the same circle: a third party's mail to a small group with them
                circle = self.circle
                for other in group:
                    if other.excluded is None and other.person != who.person:
                        held = circle.get(other.person)
                        if held is None or at > held:
                            circle[other.person] = at
            # Their social mail to the owner; the thread is shared once the owner writes in it
            # too, before or after (Acc._shared_social).
            if kind is not None and others < policy.few_recipients:
                acc.social(
                    subject_key if subject_key is not None else hash(item.subject),
                    at,
                    occasion_topic(item.subject, policy.sensitive_topics),
                    theirs=True,
                )
        counts = self.policy.received_counts
        if counts == "never":
            return acc.note(item, "received", RECEIVED_NOT_COUNTED)
        if counts == "replies" and not owner_thread:
            return acc.note(item, "received", COLD_INBOUND)
        if not direct:
            return acc.note(item, "received", NOT_TO_YOU)
        acc.count(item, "received", at, 1.0, day)
        if others < policy.few_recipients and (acc.topic_at is None or at >= acc.topic_at):
            acc.topic_subject, acc.topic_at = item.subject, at  # (Acc.conversed, inlined)

    # -- meetings -----------------------------------------------------------------------------

    def meeting(self, item: Interaction) -> None:
        if SUPERSEDED in item.flags:  # a newer version of it, from another account, stands
            return self.drop(item, DUPLICATE)
        if CANCELLED in item.flags:
            return self.drop(item, CANCELLED_MEETING)
        if DRAFT in item.flags:
            return self.drop(item, DRAFTED)
        end = item.ended_at or item.occurred_at
        resolve = self.resolve
        owner_here = False
        owner_declined = False
        people: dict[str, tuple[Who, str, bool]] = {}  # person -> (who, name, declined)
        invited = False
        for p in item.participants:
            if p.resource:
                continue  # rooms and equipment are never people, and do not make a meeting
            who = resolve[p.address]
            if who is OWNER or p.is_self:
                owner_here = True
                owner_declined = owner_declined or p.response == DECLINED
                continue
            invited = invited or p.role == ATTENDEE
            if who.person not in people:
                people[who.person] = (who, p.name, p.response == DECLINED)
        if not owner_here:
            return self.drop(item, OWNER_ABSENT)
        if owner_declined:
            return self.drop(item, OWNER_DECLINED)
        if ALL_DAY in item.flags and not invited:
            return self.drop(item, ALL_DAY_BLOCK)
        size = len(people) + 1
        large = ATTENDEES_OMITTED in item.flags or size > self.policy.max_meeting_size
        if end > self.now:
            if not large:  # a meeting too big to count holds nothing back either
                self._upcoming(item, people, end)
            return self.drop(item, NOT_ENDED)
        # threads.copy_keys' keys of a meeting and _series_keys from one read of the title (each
        # read it through subject_info, and 40k of the bench's 70k meeting titles are distinct).
        mid = item.message_id
        title = subject_info(item.subject).stripped
        if self._is_copy(item.occurred_at, None, _meeting_copies(mid, item.ended_at, title)):
            return self.drop(item, DUPLICATE)
        weight = 1.0 if size == 2 else self.policy.group_meeting_weight
        end_day = end.toordinal()
        keys = _series_keys(mid, title)
        for who, name, declined in people.values():
            acc = self.acc(who, name)
            if acc is None:
                continue
            acc.saw_meeting(keys)
            if declined:
                acc.note(item, "meeting", PERSON_DECLINED)
                continue
            acc.fact_met(item.occurred_at, end)
            rule = who.excluded or (LARGE_MEETING if large else None)
            if rule is not None:
                acc.note(item, "meeting", rule)
                continue
            acc.count(item, "meeting", end, weight, end_day)
            acc.met(item, end, size, keys)
            if size <= self.policy.few_recipients + 1:
                acc.conversed(item, end)

    def _upcoming(
        self, item: Interaction, people: dict[str, tuple[Who, str, bool]], end: datetime
    ) -> None:
        keys = _series_keys(item.message_id, subject_info(item.subject).stripped)
        for who, name, _declined in people.values():
            acc = self.acc(who, name)
            if acc is None:
                continue
            acc.saw_meeting(keys)
            if acc.next_meeting_end is None or end < acc.next_meeting_end:
                acc.next_meeting_end = end

    # -- the end ------------------------------------------------------------------------------

    def finish(self) -> dict[str, Contact]:
        if self.tracing:
            self._trace_dropped()
        contacts = {}
        for person, at in self.circle.items():
            found = self.people.get(person)
            if found is not None:
                found.circle(at)
        for key, acc in sorted(self.people.items()):
            contact = acc.freeze(
                Contact,
                self.answered,
                self.policy.job_change_min_run,
                self.policy.personal_domains,
            )
            named = self.names.get(key)
            if named:  # a name the owner set, or a contacts file gave, wins
                contact = replace(contact, name=named, name_guessed=False)
            contacts[key] = contact
        return contacts

    def _trace_dropped(self) -> None:
        for item, rule in self.dropped:
            kind = "meeting" if item.kind == MEETING else "mail"
            for p in item.participants:
                who = self.resolve[p.address]
                acc = self.people.get(who.person) if who is not OWNER else None
                if acc is not None:
                    acc.note(item, kind, rule)


_RANK = {TO: 0, CC: 1, BCC: 2}


_WORDS = re.compile(r"[^\W\d_]{3,}")


def _names_them(subject: str | None, address: str, name: str) -> bool:
    """Whether a subject names the person by their first name (from the display name the
    owner wrote, else the first piece of their mailbox name): "Lunch w/ Joan" to joan.quick@."""
    first = (
        _WORDS.findall(name.split(",")[-1] if "," in name else name)[:1]
        or _WORDS.findall(address.partition("@")[0])[:1]
    )
    if not first or not subject:
        return False
    return first[0].lower() in {w.lower() for w in _WORDS.findall(subject)}


def _meeting_copies(uid: str | None, ended_at: datetime | None, title: str) -> list[int]:
    """The hashes of threads.copy_keys' same-moment keys of a meeting (`title` stripped, as
    subject_info): the fold reads the title once for these and for _series_keys."""
    found = []
    if uid:
        found.append(hash(("meeting", uid)))
    if title:
        found.append(hash(("meeting", ended_at, title)))
    return found


def _series_keys(uid: str | None, title: str) -> tuple[str, ...]:
    """What makes two meetings occurrences of one series: the calendar UID they share (every
    occurrence of a recurring event has it) or the same title (stripped, as subject_info)."""
    if uid:
        return (f"u:{uid}", f"s:{title}") if title else (f"u:{uid}",)
    return (f"s:{title}",) if title else ()
