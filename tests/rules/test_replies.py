"""Reply drafts (issue 11, H5): the answer a person is owed, drafted in their thread, strictly.

The fold says when their direct mail came (a reply owed, rules/standing.py); the agent reads
that message's headers from the store (agent/pipeline/drafts/owed.py) into an OwedMail. Here the
OwedMail is built from the same interactions the fold reads, so each case is the whole rule.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.rules.factory import ME, OWNER, at, mail, policy, received, sent
from touchbase.agent.pipeline.compose.render import Drafter, business_days_between
from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest, LastConversation
from touchbase.agent.pipeline.compose.words import by_day_words
from touchbase.agent.pipeline.config import Me
from touchbase.rules.contacts import fold
from touchbase.rules.dates import add_business_days
from touchbase.rules.decide import Circumstances, Decision, Held, decide
from touchbase.rules.decision import OwedMail
from touchbase.rules.matters import matter_passed
from touchbase.rules.replies import STALE_AFTER_DAYS, matter_may_lapse, subject_refusal
from touchbase.rules.threads import strip_subject
from touchbase.rules.topics import clean_topic, short_topic, usable_topic
from touchbase.rules.types import CC, FROM, TO, Interaction

BOB = "bob@example.com"
NOW = at(200)  # a Thursday (T0 is a Monday)


def history(*items: Interaction) -> list[Interaction]:
    """Two exchanges each way with BOB, months before NOW: a two-way tie the owner answers."""
    return [
        sent(at(100), BOB, subject="budget"),
        received(at(101), BOB, subject="Re: budget"),
        sent(at(130), BOB, subject="hiring"),
        received(at(131), BOB, subject="Re: hiring"),
        *items,
    ]


def owed_from(items: list[Interaction], person: str, when: datetime, **extra: Any) -> OwedMail:
    """What the agent reads from the store for their mail at `when` (owed.py's shape)."""
    item = next(
        i
        for i in items
        if i.occurred_at == when
        and any(p.role == FROM and p.address == person for p in i.participants)
    )
    to_owner = any(p.role == TO and p.address in (ME,) for p in item.participants)
    copied = any(p.role == CC and p.address == ME for p in item.participants)
    others = {
        p.address for p in item.participants if p.role in (TO, CC) and p.address not in (ME, person)
    }
    to = tuple(
        p.address for p in item.participants if p.role == TO and p.address not in (ME, person)
    )
    fields: dict[str, Any] = {
        "interaction_id": item.id,
        "at": when,
        "subject": item.subject,
        "message_id": item.message_id,
        "thread_id": None,
        "account": item.account,
        "to_owner": to_owner,
        "others": len(others),
        "copied_owner": copied,
        "to": to,
    }
    fields.update(extra)
    return OwedMail(**fields)


def plan(
    items: list[Interaction],
    now: datetime = NOW,
    owed: OwedMail | None = None,
    circumstances: Circumstances | None = None,
    **overrides: object,
) -> tuple[Decision | None, Held | None, list[Decision]]:
    pol = policy(**overrides)
    contacts = fold(items, OWNER, pol, now)
    known = circumstances or Circumstances()
    if owed is not None:
        key = next(c.person for c in contacts.values() if BOB in c.addresses)
        known = replace(known, owed={key: owed})
    result = decide(contacts.values(), pol, now, known)
    decision = next((d for d in result.decisions if BOB in d.address), None)
    held = next((h for h in result.held if h.person in (BOB, f"{BOB}")), None)
    return decision, held, list(result.decisions)


def ask(
    days_before: float = 4, subject: str = "Terms for the Lisbon pilot", **kw: Any
) -> tuple[list[Interaction], OwedMail]:
    when = NOW - timedelta(days=days_before)
    items = history(received(when, BOB, subject=subject, **kw))
    return items, owed_from(items, BOB, when)


def test_a_question_to_the_owner_alone_gets_a_reply_in_its_thread() -> None:
    items, owed = ask(subject="Terms for the Lisbon pilot")
    decision, _held, _ = plan(items, owed=owed)
    assert decision is not None and decision.kind == "reply"
    assert decision.reply_to is not None
    assert decision.reply_to.message_id == owed.message_id
    assert decision.reply_to.subject == "Terms for the Lisbon pilot"
    assert decision.topic is not None and decision.topic.text == "Terms for the Lisbon pilot"
    text = " ".join(decision.reasons)
    assert "you have not answered" in text and "business days passed" in text
    assert "you answer them" in text


def test_todays_mail_waits_for_reply_after_business_days() -> None:
    items, owed = ask(days_before=1)
    decision, _held, _ = plan(items, owed=owed)
    assert decision is None
    due = add_business_days(owed.at, 2, ZoneInfo("UTC"))
    assert due > NOW
    items, owed = ask(days_before=1)
    decision, _, _ = plan(items, owed=owed, reply_after=0)
    assert decision is not None and decision.kind == "reply"


def test_the_kind_switches_off() -> None:
    items, owed = ask()
    decision, _, _ = plan(items, owed=owed, reply_drafts=False)
    assert decision is None or decision.kind != "reply"


def test_no_reply_to_mail_the_owner_was_only_copied_on_or_that_went_to_many() -> None:
    when = NOW - timedelta(days=4)
    copied = history(mail(when, BOB, ["carl@example.com"], [ME], subject="Terms"))
    assert plan(copied, owed=owed_from(copied, BOB, when))[0] is None
    crowd = [f"p{i}@example.com" for i in range(3)]
    many = history(mail(when, BOB, [ME, *crowd], subject="Terms"))
    assert plan(many, owed=owed_from(many, BOB, when))[0] is None
    few = history(mail(when, BOB, [ME, "carl@example.com"], subject="Terms"))
    decision = plan(few, owed=owed_from(few, BOB, when))[0]
    assert decision is not None and decision.kind == "reply"


def test_mail_to_the_owners_other_mailbox_with_the_owner_in_cc_is_written_to_them() -> None:
    """Greg Thorse (allen-p) wrote To pallen70@hotmail.com, Cc the owner's work address."""
    when = NOW - timedelta(days=4)
    items = history(mail(when, BOB, ["pallen70@hotmail.com"], [ME], subject="Bishops Corner"))
    owed = owed_from(items, BOB, when)
    pol: dict[str, object] = {}
    known = Circumstances(owner_name="Phillip Allen")
    decision = plan(items, owed=owed, circumstances=known, **pol)[0]
    assert decision is not None and decision.kind == "reply"
    # Someone else in To: only copied.
    items = history(mail(when, BOB, ["carl@example.com"], [ME], subject="Bishops Corner"))
    assert plan(items, owed=owed_from(items, BOB, when), circumstances=known)[0] is None


def test_no_reply_to_someone_the_owner_does_not_answer() -> None:
    when = NOW - timedelta(days=4)
    items = [received(at(20), BOB, subject="hello"), received(when, BOB, subject="Terms")]
    assert plan(items, owed=owed_from(items, BOB, when))[0] is None


def test_a_new_address_of_someone_the_owner_answers_counts_their_history() -> None:
    """Steven Matthews (allen-p) wrote from ubspw.com; the owner wrote to his ubspainewebber.com."""
    old, new = "steven.matthews@ubspainewebber.com", "steven.matthews@ubspw.com"
    when = NOW - timedelta(days=4)
    names = {old: "Steven Matthews", new: "Steven Matthews"}
    items = [
        sent(at(100), old, subject="bonds", names=names),
        received(at(101), old, subject="Re: bonds", names=names),
        sent(at(130), old, subject="muni", names=names),
        mail(when, new, [ME], subject="Muni Bond Proposal.xls", names=names),
    ]
    pol = policy()
    contacts = fold(items, OWNER, pol, NOW)
    key = next(c.person for c in contacts.values() if new in c.addresses)
    owed = OwedMail(items[-1].id, when, "Muni Bond Proposal.xls", "<m@x>", None, "mail", True, 0)
    result = decide(contacts.values(), pol, NOW, Circumstances(owed={key: owed}))
    replies = [d for d in result.decisions if d.kind == "reply"]
    assert [d.address for d in replies] == [new]
    assert any(old in r for r in replies[0].reasons)


def test_subjects_that_ask_nothing_get_no_reply() -> None:
    for subject in (
        "FW: Chase Backtest",
        "Fwd: pictures",
        "Re: thanks",
        "Thanks!",
        "FYI - gas report",
        "Sorta funny (fwd)",
        "Out of Office: back Monday",
        "",
        "Re:",
        "Condolences",
        "www.example.com/deal",
        "Weekly status report",
    ):
        items, owed = ask(subject=subject)
        decision = plan(items, owed=owed)[0]
        assert decision is None or decision.kind != "reply", subject


def test_a_passed_matter_a_handled_mail_and_an_answer_to_the_owner_get_no_reply() -> None:
    items, owed = ask(days_before=8, subject="Call on 1/5?")
    assert plan(items, owed=owed)[0] is None
    items, owed = ask(subject="Pricing")
    assert plan(items, owed=owed._replace(handled=NOW - timedelta(days=1)))[0] is None
    assert plan(items, owed=owed._replace(answers_owner=True))[0] is None
    items, owed = ask(subject="Re: Pricing - does Friday work?")
    decision = plan(items, owed=owed._replace(answers_owner=True))[0]
    assert decision is not None and decision.kind == "reply"


def test_holds_and_pacing_apply_to_replies() -> None:
    items, owed = ask()
    snoozed = Circumstances(snoozed={BOB: NOW + timedelta(days=3)})
    decision, held, _ = plan(items, owed=owed, circumstances=snoozed)
    assert decision is None and held is not None
    assert (held.kind, held.rule) == ("reply", "snoozed")
    opened = Circumstances(open_drafts=frozenset({BOB}))
    decision, held, _ = plan(items, owed=owed, circumstances=opened)
    assert decision is None and held is not None and held.rule == "open-draft"
    never = plan(items, owed=owed, never_draft=[BOB])
    assert never[0] is None and never[1] is not None and never[1].rule == "never-draft"
    paced = plan(items, owed=owed, circumstances=Circumstances(drafts_today=100))
    assert paced[0] is None and paced[1] is not None and paced[1].rule == "max-drafts-per-day"


def test_a_reply_goes_before_check_ins_when_pacing_leaves_room_for_one() -> None:
    carl = "carl@example.com"
    quiet = [sent(at(-200 + 10 * i), carl, subject=f"t{i}") for i in range(8)] + [
        received(at(-199 + 10 * i), carl, subject=f"Re: t{i}") for i in range(8)
    ]
    items, owed = ask()
    _, _, decisions = plan(
        quiet + items,
        owed=owed,
        max_drafts_per_run=1,
        tiers={"active": {"cadence": "5d"}, "wider": {"cadence": "5d"}},
    )
    assert [d.kind for d in decisions] == ["reply"]


def test_a_check_in_held_for_a_reply_owed_says_why_none_is_drafted() -> None:
    items, owed = ask(days_before=8, subject="FW: deck")
    _decision, held, _ = plan(
        items, owed=owed, tiers={"active": {"cadence": "5d"}, "wider": {"cadence": "5d"}}
    )
    assert held is not None and held.rule == "reply-owed"
    assert "your reply is owed; no reply drafted: it passes something on" in held.reason


SUBJECTS = st.sampled_from(
    [
        "Terms for the Lisbon pilot",
        "Re: Terms for the Lisbon pilot",
        "RE: RE: Fw: Bishops Corner",
        "Fw: Re: deck",
        "FYI",
        "Re: thanks",
        "Are you free Friday?",
        "Call on 1/5",
        "Muni Bond Proposal.xls",
        "",
        "Re:",
        "Condolences",
        "review of the plan",
        "Question",
        "Capacity release",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    subject=SUBJECTS,
    days_before=st.floats(min_value=0, max_value=45),
    to_owner=st.booleans(),
    copied=st.booleans(),
    others=st.integers(min_value=0, max_value=6),
    answers=st.booleans(),
    handled=st.booleans(),
    history_days=st.integers(min_value=0, max_value=3),
)
def test_every_reply_draft_meets_every_condition(
    subject: str,
    days_before: float,
    to_owner: bool,
    copied: bool,
    others: int,
    answers: bool,
    handled: bool,
    history_days: int,
) -> None:
    """Whatever the mail, a reply decision means: written To the owner with few others, a
    subject that asks for an answer, old enough and young enough, from someone the owner
    answers, in their thread. And no decision is ever made for a mail failing any of them."""
    when = NOW - timedelta(days=days_before)
    items = [sent(at(20 + 10 * i), BOB, subject=f"t{i}") for i in range(history_days)]
    items += [received(at(21 + 10 * i), BOB, subject=f"Re: t{i}") for i in range(history_days)]
    items.append(received(when, BOB, subject=subject))
    owed = OwedMail(
        items[-1].id,
        when,
        subject,
        items[-1].message_id,
        None,
        "mail",
        to_owner,
        others,
        copied_owner=copied,
        answers_owner=answers,
        handled=NOW - timedelta(hours=1) if handled else None,
    )
    pol = policy()
    decision = plan(items, owed=owed)[0]
    is_reply = decision is not None and decision.kind == "reply"
    expected = (
        to_owner
        and others < pol.few_recipients
        and subject_refusal(subject, pol.sensitive_topics) is None
        and not handled
        and not (answers and "?" not in subject)
        and add_business_days(when, pol.reply_after, pol.zone) <= NOW
        and NOW - when <= pol.reply_owed_within
        and history_days >= pol.relationship_min_sent
        and (subject != "Call on 1/5" or when.date() <= datetime(2024, 1, 5).date())
        # "Are you free Friday?" a week on: its day has passed (rules/matters.py)
        and matter_passed(subject, when, NOW) is None
    )
    if subject == "Call on 1/5":
        expected = False  # the named day (5 January 2024) passed months before NOW
    assert is_reply == expected, (subject, days_before, to_owner, others, answers, handled)
    if is_reply:
        assert decision is not None and decision.reply_to is not None
        assert decision.reply_to.message_id == owed.message_id


DRAFTER = Drafter(Me(name="Phillip Allen", addresses=(ME,)))


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.lists(st.sampled_from(["Re: ", "RE: ", "Fw: ", "FWD: ", "re:", "Aw: "]), max_size=4),
    core=st.sampled_from(["Bishops Corner", "Capacity release", "Muni Bond Proposal.xls", "Q3"]),
    days=st.integers(min_value=0, max_value=40),
    name=st.sampled_from(["Greg Thorse", "Steven Matthews", "", "Ami"]),
)
def test_a_reply_draft_reads_as_a_reply(prefix: list[str], core: str, days: int, name: str) -> None:
    """Its subject is "Re: " and theirs once, with no stacked prefixes; it greets them by first
    name when known, signs with the owner's first name, names the matter by a short topic, and
    apologises exactly when a working week or more has passed and promises the answer by a
    weekday, or for a stale offer asks whether it still stands."""
    now = NOW
    asked = now - timedelta(days=days)
    subject = "".join(prefix) + core
    request = DraftRequest(
        kind=DraftKind.REPLY,
        addresses=(BOB,),
        name=name,
        last=LastConversation(subject=subject, at=asked, message_id="<a@b>"),
    )
    for sequence in range(3):
        drafted = DRAFTER.render(request, now, sequence)
        assert drafted.subject == f"Re: {core}"
        assert strip_subject(drafted.subject) == core.lower()
        lines = drafted.body.splitlines()
        assert lines[0] == (f"Hi {name.split()[0]}," if name else "Hi,")
        assert lines[-1] == "Phillip"
        # It names the matter as a person says it (the subject's head), never "your note of
        # <date>" or "Best," (issue 11: the judges' "vague stall").
        short = short_topic(subject, DRAFTER.sensitive, "Phillip Allen")
        if short:
            assert short in drafted.body, drafted.body
        assert "note of" not in drafted.body and "Best," not in drafted.body
        # Over two weeks late on a proposal: it asks whether it is still live, not promises.
        stale = short is not None and short.endswith("proposal") and days > STALE_AFTER_DAYS
        assert ("?" in drafted.body) == stale, drafted.body
        late = business_days_between(asked, now, ZoneInfo("UTC")) >= 5
        sorry = any(w in drafted.body.lower() for w in ("sorry", "apolog"))
        promised = f"by {by_day_words(now, ZoneInfo('UTC'))}." in drafted.body
        if stale:
            # A stale offer is theirs to renew: no day promised (a client owes a broker no
            # apology, the blind judge said; one template says sorry for the silence).
            assert not promised, drafted.body
        else:
            # A day to expect the answer by, not "as soon as I can"; sorry only when late.
            assert promised, drafted.body
            assert sorry == late, drafted.body
        assert "[" not in drafted.body


def test_a_long_subject_is_named_by_its_head() -> None:
    """The judges' subjects (issue 11): the owner's name, a file extension, a purpose and dates
    come off; what is sensitive or no topic is refused."""
    sensitive = DRAFTER.sensitive
    long = "Sitara price changes for March 2000, Sept - Dec 2001 for State of Florida"
    assert short_topic(long, sensitive) == "Sitara price changes"
    owner = "Phillip K. Allen"
    assert short_topic("Phillip Allen Muni Bond Proposal.xls", sensitive, owner) == (
        "muni bond proposal"
    )
    assert short_topic("RE: Bishops Corner", sensitive, owner) == "Bishops Corner"
    assert short_topic("Centanna Storage - revised terms", sensitive) == (
        "Centanna Storage - revised terms"  # short enough as it stands
    )
    assert short_topic("Budget for the Lisbon office", sensitive) == "budget for the Lisbon office"
    assert short_topic("Gas storage bids for March 2002, Sept - Dec 2002 at Ohio", sensitive) == (
        "Gas storage bids"
    )
    assert short_topic("Budget for March 2001 in the Lisbon and Porto offices", sensitive) is None
    assert short_topic("Phillip Allen", sensitive, owner) is None
    assert short_topic("Salary review for 2001", sensitive) is None
    assert short_topic("Draft contract (payroll)", sensitive) is None
    assert short_topic("Fw: Muni Bond Proposal", sensitive) is None
    assert short_topic("www.example.com offer", sensitive) is None


_TOPIC_WORDS = st.sampled_from(
    ["Sitara", "price", "changes", "Muni", "Bond", "Proposal", "for", "March", "2001", "-",
     "State", "of", "Florida", "salary", "review", "Phillip", "Allen", "deal", "Q3", "draw",
     "payroll", "the", "Sept", "Dec", "cancer", "Bishops", "Corner", "re:", "Fw:"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@example(words=["Sitara"] * 8 + ["Muni", "of"], ext="")  # a long head with nowhere to cut
@given(
    words=st.lists(_TOPIC_WORDS, min_size=1, max_size=12),
    ext=st.sampled_from(["", ".xls", ".doc", ".pdf"]),
)
def test_a_short_topic_is_a_head_of_the_subject(words: list[str], ext: str) -> None:
    """A short topic is a prefix-phrase of the cleaned subject after the owner's names (case
    aside), at most five words, and never holds a sensitive word."""
    subject = " ".join(words) + ext
    sensitive = DRAFTER.sensitive
    found = short_topic(subject, sensitive, "Phillip Allen")
    if found is None:
        return
    rest = [w.strip(":,;") for w in clean_topic(subject).lower().removesuffix(ext).split()]
    while rest and rest[0] in ("phillip", "allen"):
        rest = rest[1:]
    said = [w.strip(":,;") for w in found.lower().split()]
    assert rest[: len(said)] == said, (subject, found)
    # A head cut from the subject is two to five words; longer only when the whole subject
    # (after the owner's names) already read as a topic.
    assert len(said) <= 5 or usable_topic(" ".join(rest), sensitive) is not None
    assert not {w.strip(".,") for w in said} & sensitive, (subject, found)
    assert not {w.strip(".,") for w in " ".join(rest).split()} & sensitive, (subject, found)


@given(days=st.integers(min_value=0, max_value=60))
def test_a_stale_matter_is_asked_about_not_promised(days: int) -> None:
    """Only a matter that goes stale (a proposal, a quote, an offer), over two weeks late."""
    asked = NOW - timedelta(days=days)
    late = days > STALE_AFTER_DAYS
    assert matter_may_lapse("muni bond proposal", asked, NOW) == late
    assert matter_may_lapse("the gas quote", asked, NOW) == late
    assert not matter_may_lapse("Sitara price changes", asked, NOW)
    assert not matter_may_lapse("", asked, NOW)


def test_a_reply_promises_the_answer_two_business_days_on() -> None:
    utc = ZoneInfo("UTC")
    monday = datetime(2025, 6, 9, 15, tzinfo=UTC)
    expected = ["Wednesday", "Thursday", "Friday", "Monday", "Tuesday", "Tuesday", "Tuesday"]
    for n, day in enumerate(expected):
        assert by_day_words(monday + timedelta(days=n), utc) == day
    # The owner's day, not UTC's: late Sunday evening in Chicago is Monday in UTC.
    sunday_night = datetime(2025, 6, 16, 3, tzinfo=UTC)
    assert by_day_words(sunday_night, ZoneInfo("America/Chicago")) == "Tuesday"
    assert by_day_words(sunday_night, utc) == "Wednesday"
