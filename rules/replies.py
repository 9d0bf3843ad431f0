"""Replies the owner owes (issue 11): which direct messages deserve a drafted answer, and why.

When someone wrote last, directly to the owner, the owner owes them an answer (rules/standing.py
`reply_owed`), and a check-in would be the wrong kind. The blind judges' first choice of draft
was that answer: in their thread, greeting them, acknowledging their note, with the answer left
to the owner. A wrong reply draft is worse than none, so the bar is strict; the mail must be:

- written to the owner: the owner in To (not only Cc), with at most `few_recipients - 1`
  others on it (To and Cc), and from a person (the fold already leaves out automated, bulk and
  out-of-office mail, which never makes a reply owed);
- something that asks for an answer by its subject: not empty, not a forward ("Fw:", "(fwd)"),
  not an FYI, a notice, a joke, a link or a report, not a thanks ("Re: thanks"), nothing of
  grief or illness, and no matter whose day has passed (rules/matters.py);
- old enough not to be today's mail (`reply_after` business days) and young enough to matter
  (`reply_owed_within`, rules/standing.py);
- from someone the owner answers: a two-way relationship, or someone the owner has written to
  directly on at least `relationship_min_sent` days;
- not from an assistant or delegate (they talk in person).

`reply_drafts = false` turns the kind off. Only headers are read. Pure: values in, answers out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from touchbase.rules.contacts import Contact
from touchbase.rules.dates import show_day
from touchbase.rules.decision import OwedMail
from touchbase.rules.matters import matter_passed
from touchbase.rules.owner import surname_of
from touchbase.rules.policy import Policy
from touchbase.rules.standing import Standing
from touchbase.rules.threads import is_forward_subject
from touchbase.rules.topics import (
    _SHOUT,
    Caseless,
    _forward_suffix,
    _notice,
    clean_topic,
    word_set,
)

# A subject that only thanks, acknowledges or says goodbye: nothing is asked (anchored at
# both ends: a search is a match).
_THANKS = Caseless(
    r"^(?:(?:many |a (?:big|huge) )?thanks?(?: (?:again|so much|a lot|a million|you|"
    r"very much|for everything|for all|for your help|for the help))*|thx|ty|thank u|cheers|"
    r"got it|received|ok|okay|will do|done|great|congrats|congratulations|welcome|bye|"
    r"goodbye|farewell|hello|hi|hey)$"
)
# Words that tell rather than ask: passing something on, reporting, announcing, joking. The
# expressions a subject is searched with are Caseless (topics.py): each of the 2,658 owed
# subjects of bench/rules.py's 1M is searched with all of them on every plan.
_TELLS = Caseless(
    r"\b(?:fyi|f\.y\.i|for your information|attached|attachment|enclosed|here is|here's|"
    r"heres|report|reports|minutes|summary|recap|newsletter|notice|announcement|reminder|"
    r"joke|jokes|funny|humor|cartoon|chain|pictures?|pics|photos?|video|link|article|"
    r"press release|forward(?:ed)?)\b"
)
# Grief and illness: no drafted reply, however short; the owner writes that one.
_GRAVE = Caseless(
    r"\b(?:condolences?|sympathy|funeral|obituary|memorial|passed away|death|died|dying|"
    r"cancer|chemo\w*|hospital\w*|surgery|illness|sick|divorce|bereavement)\b"
)
_WORD = re.compile(r"[^\W_]+")
# A link or an address: passed on, not written to the owner. (A file name is fine: "Muni Bond
# Proposal.xls" is a document sent for the owner's answer.)
_URL = Caseless(r"https?:|www\.|@|=\?")


@lru_cache(maxsize=1 << 14)
def subject_refusal(subject: str | None, sensitive: frozenset[str] = frozenset()) -> str | None:
    """Why a message with this subject gets no drafted reply, or None when it may. `sensitive`:
    the owner's `sensitive_topics`; a subject naming one is left to the owner. Cached per
    subject: the owed-mail lookup (agent/pipeline/drafts/owed.py) asks first, the plan again."""
    text = clean_topic(subject)
    if _WORD.search(text) is None:  # no letter or digit: [^\W_] is what str.isalnum() holds
        return "it has no subject to answer under"
    raw = subject or ""
    # A forward starts with its prefix ("Fw: X"); "RE: Fw: X" answers one, which may ask.
    if is_forward_subject(raw) or _forward_suffix.search(raw):
        return "it passes something on (a forward)"
    if _THANKS.search(text.rstrip(" !.")):
        return "it only thanks or acknowledges"
    if _GRAVE.search(text):
        return "it is about grief or illness: that answer is yours to write"
    tokens = _WORD.findall(text.lower())
    words, phrases = _sensitive_split(sensitive)
    if words.intersection(tokens) or (phrases and any(p in " ".join(tokens) for p in phrases)):
        return "its subject names one of your sensitive topics"
    if _URL.search(text) or _SHOUT.search(raw):
        return "it reads as a link or a joke"
    if _notice.search(text) or (_TELLS.search(text) and "?" not in raw):
        return "it reads as an FYI, a notice or a report: it asks nothing"
    return None


@lru_cache(maxsize=16)
def _sensitive_split(sensitive: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The owner's sensitive topics as single words and phrases, split once per list, not again
    for each subject asked about (a frozenset keeps its hash: finding the split is a lookup)."""
    return (
        frozenset(w for w in sensitive if " " not in w),
        tuple(w for w in sensitive if " " in w),
    )


def may_owe_draft(contact: Contact, standing: Standing, policy: Policy) -> bool:
    """The checks that need no message: a reply is owed, drafts of the kind are on, and they
    are not an assistant. The agent looks up the message (OwedMail) only for these."""
    return policy.reply_drafts and standing.reply_owed is not None and not contact.delegate


def answers_them(
    contact: Contact, standing: Standing, policy: Policy, twins: Sequence[Contact] = ()
) -> str | None:
    """How the owner answers this person (a sentence), or None: a two-way relationship, or
    someone the owner has written to directly on `relationship_min_sent` days or more, at this
    address or at another that looks like theirs (`twins`: they wrote from a new one)."""
    enough = max(policy.relationship_min_sent, 1)
    if standing.relationship is not None or contact.exchanges_out >= enough:
        return f"{contact.exchanges_out} days you wrote to them, {contact.exchanges_in} they wrote"
    for twin in sorted(twins, key=lambda t: (-t.exchanges_out, t.address)):
        if twin.exchanges_out >= enough:
            return (
                f"{twin.exchanges_out} days you wrote to {twin.address}, which looks like "
                f"them, {twin.exchanges_in} it wrote"
            )
    return None


def mail_refusal(mail: OwedMail, policy: Policy, now: datetime, owner_name: str = "") -> str | None:
    """Why this message gets no drafted reply, or None: who it was written to, its subject and
    whether its matter has passed. Mail To an address with the owner's surname in it and Cc the
    owner is written to the owner (their own other mailbox: "To pallen70@, Cc k..allen@")."""
    family = surname_of(owner_name) if owner_name else None
    own = [a for a in mail.to if family and family in _squeezed_local(a)]
    if not mail.to_owner and not (mail.copied_owner and own and len(own) == len(mail.to)):
        return "you were only copied on it"
    others = mail.others - len(own)
    if others >= policy.few_recipients:
        return f"it went to {others} other people as well"
    why = subject_refusal(mail.subject, policy.sensitive_topics)
    if why is not None:
        return why
    if mail.handled is not None:
        return (
            f"you wrote under its subject on {show_day(mail.handled, policy.zone)} (passed it on, "
            "or answered it elsewhere)"
        )
    if mail.answers_owner and "?" not in (mail.subject or ""):
        return "it answers your own mail to them and asks nothing back (by its subject)"
    passed = matter_passed(mail.subject, mail.at, now)
    if passed is not None:
        return passed
    return None


def _squeezed_local(address: str) -> str:
    return re.sub(r"[._+-]+", "", address.rpartition("@")[0].lower())


# A matter that moves on while it waits: a proposal, a quote or an offer is made on the day's
# prices, stock or plans. More than two weeks late, a reply asks whether it is still live rather
# than promising an answer to something that may have gone (issue 11).
STALE_AFTER_DAYS = 14
_LAPSING = word_set(
    """proposal proposals quote quotes offer offers bid bids inventory availability ladder
    opportunity opportunities deal deals idea ideas pricing indication indications rfp"""
)


def matter_may_lapse(topic: str | None, mail_at: datetime, now: datetime) -> bool:
    """Whether a reply should ask if the matter is still live: its topic's head names something
    that goes stale (a proposal, a quote, an offer...) and the note is more than
    STALE_AFTER_DAYS old."""
    if not topic or delay_days(mail_at, now) <= STALE_AFTER_DAYS:
        return False
    words = _WORD.findall(topic.lower())
    return bool(words) and words[-1] in _LAPSING


def delay_days(mail_at: datetime, now: datetime) -> int:
    """Whole days their note has waited."""
    return max((now - mail_at).days, 0)


__all__ = [
    "answers_them",
    "delay_days",
    "mail_refusal",
    "matter_may_lapse",
    "may_owe_draft",
    "subject_refusal",
]
