"""The drafting rules, one per kind of draft, tried in this order for each person: thank-you,
follow-up, congratulate, reply, check-in. Each says whether its kind of draft is owed now, with
reasons a person can read and the data the draft needs; rules/decide.py holds and paces them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from touchbase.rules.contacts import Contact
from touchbase.rules.contacts_acc import Awaiting, MeetingRef
from touchbase.rules.dates import (
    add_business_days,
    local_midnight,
    next_occurrence,
    show_day,
    show_minute,
    show_span,
)
from touchbase.rules.decision import Circumstances, Occasion, OwedMail, ReplyTo
from touchbase.rules.life_events import NEW_ROLE, latest_move, new_organisation
from touchbase.rules.matters import asks, matter_passed
from touchbase.rules.policy import Policy
from touchbase.rules.replies import answers_them, mail_refusal
from touchbase.rules.social import names_sensitive
from touchbase.rules.standing import Standing
from touchbase.rules.threads import is_forward_subject
from touchbase.rules.topics import usable_topic

THANK_YOU, FOLLOW_UP, CONGRATULATE, CHECK_IN = "thank-you", "follow-up", "congratulate", "check-in"
REPLY = "reply"  # the answer the owner owes to a person's direct mail (rules/replies.py)
NUDGES = frozenset({FOLLOW_UP, CHECK_IN})  # what an out-of-office reply pauses
# Introductions (rules/introductions.py): not tried per person like the rules below, but made
# for a pair on the owner's word or a suggestion: the ask to A first, then the introduction.
INTRODUCE, INTRODUCE_ASK = "introduce", "introduce-ask"


class Case(NamedTuple):
    """One person at one moment: what every rule reads."""

    contact: Contact
    standing: Standing
    policy: Policy
    now: datetime
    zone: ZoneInfo
    circumstances: Circumstances
    # Other people who look like this one (rules/merges.py twins_of): another address of
    # theirs, perhaps. A reply reads the owner's history with them too.
    twins: tuple[Contact, ...] = ()


class Found(NamedTuple):
    """What a drafting rule found: when it became due, why, and the data its draft needs."""

    due: datetime
    reasons: tuple[str, ...]
    reply_to: ReplyTo | None = None
    meeting: MeetingRef | None = None
    occasion: Occasion | None = None


Rule = Callable[[Case], Found | None]


def occasional(meeting: MeetingRef, contact: Contact, policy: Policy) -> str | None:
    """Why this meeting is not one a thank-you follows (policy `thank_you_for`), or None."""
    if policy.thank_you_for == "never":
        return "thank-yous are off (thank_you_for = never)"
    if policy.thank_you_for == "every":
        return None
    if meeting.recurring:
        return "it is one of a series you keep having"
    previous = contact.prev_meeting_end
    if previous is not None and meeting.ended_at - previous < policy.occasional_gap:
        return f"you also met on {previous.date().isoformat()}: you meet often"
    return None


def thank_you(case: Case) -> Found | None:
    """A counted meeting ended within `thank_you_window`, it was a first or an occasional one
    (not one of a series, not a routine), and nothing was sent to them since."""
    meeting, contact, now = case.contact.last_meeting, case.contact, case.now
    if (
        meeting is None
        or not meeting.ended_at <= now <= meeting.ended_at + case.policy.thank_you_window
    ):
        return None
    if contact.last_sent is not None and contact.last_sent >= meeting.ended_at:
        return None
    if occasional(meeting, contact, case.policy) is not None:
        return None
    title = f' "{meeting.subject}"' if meeting.subject else ""
    first = "your first meeting" if contact.prev_meeting_end is None else "an occasional meeting"
    return Found(
        meeting.ended_at,
        (
            f"you met{title}, ended {show_minute(meeting.ended_at, case.zone)} ({first})",
            "you have not written to them since",
            f"thank-you window: {show_span(case.policy.thank_you_window)}",
        ),
        meeting=meeting,
    )


def follow_up(case: Case) -> Found | None:
    """The owner started a thread To them (and at most `few_recipients` people) that asked
    something, nobody has answered in it or written to the owner since, `follow_up_after`
    business days passed, fewer than `max_follow_ups` follow-ups were sent, the owner's last
    message is younger than `follow_up_expires`, and the matter it is about has not passed."""
    awaiting: Awaiting | None = case.contact.awaiting
    policy = case.policy
    if awaiting is None or awaiting.follow_ups >= policy.max_follow_ups:
        return None
    if case.now - awaiting.last_at > policy.follow_up_expires:
        return None  # first: the business days are not counted for a thread past its time
    due = add_business_days(awaiting.last_at, policy.follow_up_after, case.zone)
    if due > case.now:
        return None
    subject = awaiting.subject
    if (
        not asks(subject)
        or is_forward_subject(subject)
        # The owner's list as check-ins read it: words and their forms, and phrases of two
        # or three words ("performance review"), not single words alone (QA, task H7).
        or names_sensitive(subject or "", policy.sensitive_topics)
        or matter_passed(subject, awaiting.first_at, case.now) is not None
    ):
        return None  # an FYI, a hand-off, a forward, a sensitive or a past matter: leave it
    topic = usable_topic(subject, policy.sensitive_topics)
    about = f' "{topic}"' if topic else ""
    reply = ReplyTo(
        awaiting.interaction_id,
        awaiting.message_id,
        awaiting.thread_id,
        awaiting.account,
        awaiting.subject,
        awaiting.last_at,
    )
    return Found(
        due,
        (
            f"you wrote{about} on {show_day(awaiting.last_at, case.zone)} and asked; nobody "
            "has answered since",
            f"{policy.follow_up_after} business days passed on {show_day(due, case.zone)}",
            f"follow-ups sent in this thread: {awaiting.follow_ups} of {policy.max_follow_ups}",
        ),
        reply_to=reply,
    )


NEW_ROLE_OCCASION = "new role"
AWAITED = 0  # a ReplyTo's interaction id when only the time of their mail is known


def congratulate(case: Case) -> Found | None:
    """A known date (birthday, work anniversary) falls within `congrats_window` days, or they
    moved to a new employer (or a contacts export says so) within the last `congrats_window`."""
    return _known_date(case) or new_role(case)


def new_role(case: Case) -> Found | None:
    """The newest job change (rules/life_events.py) happened within `congrats_window` before
    now, the owner has not written to them since, and they are someone the owner keeps up with:
    a relationship, pinned, or a connection the owner's contacts export lists."""
    contact, now, window = case.contact, case.now, case.policy.congrats_window
    imported = case.circumstances.events.get(contact.person, ())
    if not contact.events and not imported:
        return None
    move = latest_move((*contact.events, *imported))
    if move is None or not move.at <= now <= move.at + window:
        return None
    if contact.last_sent is not None and contact.last_sent >= move.at:
        return None  # the owner wrote to them since: congratulated already, or chose not to
    if move.kind != NEW_ROLE and case.standing.relationship is None:
        return None  # a move seen in the mail of someone who is not a relationship
    owed = case.standing.reply_owed
    # Mail shows a move when it is first seen, which may be weeks after the day itself; and
    # that first mail often awaits an answer, where the congratulation fits best.
    answer = (
        (f"their mail of {show_day(owed, case.zone)} awaits your reply: congratulate in it",)
        if owed is not None
        else ()
    )
    # The fold keeps only when their mail came, not which one: drafting finds it in the store
    # by that time (interaction id 0, AWAITED) and answers in its thread, as the reason says.
    reply = ReplyTo(AWAITED, None, None, "", None, owed) if owed is not None else None
    return Found(
        move.at,
        (
            f"{move.text} (seen {show_day(move.at, case.zone)})",
            *move.evidence,
            *answer,
            f"congratulations window: {show_span(window)}",
        ),
        reply_to=reply,
        occasion=Occasion(
            NEW_ROLE_OCCASION, move.at.astimezone(case.zone).date(), where=new_organisation(move)
        ),
    )


def _known_date(case: Case) -> Found | None:
    known = case.circumstances.known_dates.get(case.contact.person, ())
    if not known:
        return None
    today = case.now.astimezone(case.zone).date()
    window = case.policy.congrats_window
    found = []
    for item in known:
        day = next_occurrence(item, today)
        if day - today <= window:
            found.append((day, item))
    if not found:
        return None
    day, item = min(found)
    start = local_midnight(day, case.zone) - window
    last_sent = case.contact.last_sent
    if last_sent is not None and last_sent >= start:
        return None  # already in touch around the date
    count = day.year - item.year if item.year and day.year > item.year else None
    years = f" ({count} years)" if count else ""
    left = (day - today).days
    when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {left} days"
    return Found(
        start if start < case.now else case.now,
        (
            f"{item.kind} on {day.isoformat()}{years}, {when}",
            f"congratulations window: {show_span(window)}",
        ),
        occasion=Occasion(item.kind, day, count),
    )


_HOW = {"sent": "you wrote to them", "received": "they wrote to you", "meeting": "you met"}
_SOURCE = {
    "person": "set for this person",
    "tier": "tier {tier}",
    "learned": "learned from your rhythm, tier {tier}",
    "tier-max": "tier {tier}, not enough history to learn a rhythm",
}
_WHY = {
    "pinned": "you pinned them",
    "exchanges": "{out} days you wrote, {back} they wrote back",
    "meetings": "{met} meetings together",
}


def check_in_due(case: Case) -> datetime | None:
    """When a check-in became due if `check_in` matches, else None: its test without the
    reasons. A plan words only the drafts pacing lets through (rules/decide.py): at
    bench/rules.py's 1M, 1,966 check-ins matched and 5 were drafted."""
    standing = case.standing
    if standing.due is None or standing.due > case.now or case.contact.last_contact is None:
        return None
    return standing.due


def check_in(case: Case) -> Found | None:
    """A relationship whose `last_contact` is older than its cadence (and younger than
    `dormant_after`); everyone else is tracked, never nagged about."""
    standing, contact = case.standing, case.contact
    if check_in_due(case) is None or standing.due is None or contact.last_contact is None:
        return None  # (the last two for the type checker: check_in_due said so)
    what = _HOW.get(contact.last_contact_kind or "", "contact")
    source = _SOURCE[standing.cadence_source].format(tier=standing.tier)
    why = _WHY[standing.relationship or "pinned"].format(
        out=contact.exchanges_out, back=contact.exchanges_in, met=contact.small_meetings
    )
    seen = contact.last_seen
    group = (
        (f"their last mail to a group with you: {show_day(seen, case.zone)}",)
        if seen is not None and seen > contact.last_contact
        else ()
    )
    return Found(
        standing.due,
        (
            f"last contact {show_day(contact.last_contact, case.zone)} ({what})",
            *group,
            f"a relationship: {why}",
            f"cadence {show_span(standing.cadence)} ({source}, strength {standing.strength:.2f})",
            f"due since {show_day(standing.due, case.zone)}",
        ),
    )


def reply(case: Case) -> Found | None:
    """Their direct mail awaits the owner's answer (rules/standing.py reply_owed) and deserves a
    drafted reply in its thread (rules/replies.py: to the owner, asking, from someone the owner
    answers), and `reply_after` business days passed since it came."""
    found = judge_reply(case)
    return found if isinstance(found, Found) else None


class ReplyMatch(NamedTuple):
    """The reply rule's match without its reasons (reply_found words them): their owed mail,
    how the owner answers them, and when the reply became due."""

    mail: OwedMail
    history: str
    due: datetime


def judge_reply(case: Case) -> Found | str | None:
    """The reply rule's finding; else why no reply is drafted although one is owed (a sentence
    for the "reply-owed" hold), or None when no reply is owed at all."""
    match = match_reply(case)
    return reply_found(case, match) if isinstance(match, ReplyMatch) else match


def match_reply(case: Case) -> ReplyMatch | str | None:
    """judge_reply without the reasons: the match, else why not (a sentence), else None. A
    plan words only the drafts pacing lets through (rules/decide.py)."""
    contact, standing, policy, zone = case.contact, case.standing, case.policy, case.zone
    owed = standing.reply_owed
    if owed is None:
        return None
    if not policy.reply_drafts:
        return "no reply drafted: reply drafts are off (reply_drafts = false)"
    if contact.delegate:
        return "no reply drafted: they work beside you (an assistant or delegate)"
    history = answers_them(contact, standing, policy, case.twins)
    if history is None:
        return (
            f"no reply drafted: you have written to them on {contact.exchanges_out} days only, "
            "and a reply is drafted only to someone you answer"
        )
    mail: OwedMail | None = case.circumstances.owed.get(contact.person)
    if mail is None or mail.at != owed:
        return "no reply drafted: their message was not found in the store"
    for twin in case.twins:
        if twin.last_sent is not None and twin.last_sent >= mail.at:
            return f"no reply drafted: you wrote to {twin.address}, which looks like them, since"
    why = mail_refusal(mail, policy, case.now, case.circumstances.owner_name)
    if why is not None:
        return f"no reply drafted: {why}"
    due = add_business_days(mail.at, policy.reply_after, zone)
    if due > case.now:
        return (
            f"a reply draft waits until {show_day(due, zone)} ({policy.reply_after} business days)"
        )
    return ReplyMatch(mail, history, due)


def reply_found(case: Case, match: ReplyMatch) -> Found:
    """The reply rule's finding for a match: its reasons and the message it answers."""
    policy, zone = case.policy, case.zone
    mail, history, due = match
    topic = usable_topic(mail.subject, policy.sensitive_topics)
    about = f' about "{topic}"' if topic else ""
    if mail.to_owner:
        n = mail.others
        where = f"To you, with {n} other{'s' if n > 1 else ''}" if n else "To you"
    else:  # To another mailbox of the owner's (rules/replies.py), the owner in Cc
        where = f"To {', '.join(mail.to)}, with you in Cc"
    return Found(
        due,
        (
            f"they wrote to you{about} on {show_day(mail.at, zone)} ({where}) and you "
            "have not answered",
            f"you answer them: {history}",
            f"{policy.reply_after} business days passed on {show_day(due, zone)}; "
            f"replies are owed within {show_span(policy.reply_owed_within)}",
            "the draft answers in their thread and leaves the answer itself to you",
        ),
        reply_to=ReplyTo(
            mail.interaction_id,
            mail.message_id,
            mail.thread_id,
            mail.account,
            mail.subject,
            mail.at,
        ),
    )


def may_match(
    contact: Contact,
    standing: Standing,
    now: datetime,
    policy: Policy,
    circumstances: Circumstances,
) -> bool:
    """False only when no rule in RULES can match this person now (each rule's first test,
    cheaply): a plan skips them without building a Case (rules/decide.py). A property holds
    every rule to it (tests/rules/test_decide_batched.py)."""
    return bool(rules_to_try(contact, standing, now, policy, circumstances))


def rules_to_try(
    contact: Contact,
    standing: Standing,
    now: datetime,
    policy: Policy,
    circumstances: Circumstances,
) -> tuple[tuple[str, Rule], ...]:
    """The rules of RULES, in order, whose first test passes for this person now (may_match's
    tests, one per rule): the others cannot match, and a plan does not call them. At
    bench/rules.py's 1M, 6,447 people are judged and most have no recent meeting, no awaited
    thread and no occasion: three calls each that returned None (about 10 ms a plan). A
    property holds every rule left out to it (tests/rules/test_decide_batched.py)."""
    tried = 0  # a bit per rule: 1 << its place in RULES
    meeting = contact.last_meeting
    if (
        meeting is not None
        and meeting.ended_at <= now <= meeting.ended_at + policy.thank_you_window
        and (contact.last_sent is None or contact.last_sent < meeting.ended_at)
    ):
        tried |= 1  # thank_you
    awaiting = contact.awaiting
    if (
        awaiting is not None
        and awaiting.follow_ups < policy.max_follow_ups
        and now - awaiting.last_at <= policy.follow_up_expires
    ):
        tried |= 2  # follow_up
    if (
        contact.events
        or circumstances.events.get(contact.person)
        or circumstances.known_dates.get(contact.person)
    ):
        tried |= 4  # congratulate: new_role, _known_date
    if standing.reply_owed is not None:
        tried |= 8  # reply
    due = standing.due
    if due is not None and due <= now and contact.last_contact is not None:
        tried |= 16  # check_in
    return _TRIED[tried]


RULES: tuple[tuple[str, Rule], ...] = (
    (THANK_YOU, thank_you),
    (FOLLOW_UP, follow_up),
    (CONGRATULATE, congratulate),
    (REPLY, reply),
    (CHECK_IN, check_in),
)
# rules_to_try's answers: the rules of RULES whose bit (1 << their place in it) is set.
assert [kind for kind, _rule in RULES] == [THANK_YOU, FOLLOW_UP, CONGRATULATE, REPLY, CHECK_IN]
_TRIED = tuple(
    tuple(rule for place, rule in enumerate(RULES) if tried >> place & 1)
    for tried in range(1 << len(RULES))
)
