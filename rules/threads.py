"""Threads and copies: which messages belong together, and which are the same message twice."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from touchbase.rules.types import BCC, CC, TO, Interaction

# Reply and forward prefixes in the languages mail clients commonly write them (RFC 5322 3.6.5
# suggests "Re: "; Outlook localises it: AW, SV, VS, Antw, RIF, TR...), possibly repeated and
# with a counter ("Re[2]:").
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|vs|antw|wg|rif|tr|r|enc|res)\s*(?:\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)
_REPLY = re.compile(r"^\s*(?:re|aw|sv|vs|antw|rif|r|res)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_FORWARD = re.compile(r"^\s*(?:fw|fwd|wg|tr|enc)\s*:", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# _PREFIX with its first prefix's word told apart: a reply's (group 1, as _REPLY matches it) or a
# forward's (group 2; with no counter, group 3, as _FORWARD matches it). The word is the whole
# run of letters before the white space, "[" or ":" that follows it, so it is the one _REPLY or
# _FORWARD would see, and the match ends where _PREFIX's does (subject_info: one match, not four).
_LEAD = re.compile(
    r"^\s*(?:(re|aw|sv|vs|antw|rif|r|res)|(fw|fwd|wg|tr|enc))\s*(\[\d+\])?\s*:\s*"
    r"(?:(?:re|fw|fwd|aw|sv|vs|antw|wg|rif|tr|r|enc|res)\s*(?:\[\d+\])?\s*:\s*)*",
    re.IGNORECASE,
)


def strip_subject(subject: str | None) -> str:
    """The subject without reply/forward prefixes, whitespace squeezed, lower-cased."""
    if not subject:
        return ""
    return _SPACE.sub(" ", _PREFIX.sub("", subject)).strip().lower()


def is_reply_subject(subject: str | None) -> bool:
    return bool(subject) and bool(_REPLY.match(subject or ""))


def is_forward_subject(subject: str | None) -> bool:
    """A forward passes something on; it asks for no answer, so it is never followed up."""
    return bool(subject) and bool(_FORWARD.match(subject or ""))


class SubjectInfo(NamedTuple):
    stripped: str
    reply: bool
    forward: bool


_NO_SUBJECT = SubjectInfo("", False, False)
# SubjectInfo(...) runs the named tuple's __new__, a Python function, for the same tuple that
# tuple.__new__(SubjectInfo, ...) makes in C: once per distinct subject a fold meets (400k at
# the 1M bench).
_new = tuple.__new__
# "Re: " as _LEAD's reply word and colon match it in any case: IGNORECASE folds no other
# character to "r" or "e".
_REPLY_HEADS = frozenset({"Re: ", "RE: ", "re: ", "rE: "})


def read_subject(subject: str | None) -> SubjectInfo:
    """Stripped form, reply-ness, forward-ness (`subject_info` without its cache)."""
    if not subject:
        return _NO_SUBJECT
    # Every prefix ends in ":", so a subject without one has none, and "Re: " with no ":" after
    # it is one reply prefix and nothing more: _LEAD's answer without running it. A full
    # refold reads ~480k subjects at the bench's 1M, nearly all one of these two: over the
    # 299,929 distinct subjects of the bench and the judgment corpora 1.39-1.44 -> 0.99-1.01 us
    # each, the same answers.
    colon = subject.find(":")
    if colon < 0:
        return _new(SubjectInfo, (" ".join(subject.split()).lower(), False, False))
    if colon == 2 and subject[:4] in _REPLY_HEADS and subject.find(":", 3) < 0:
        return _new(SubjectInfo, (" ".join(subject[4:].split()).lower(), True, False))
    lead = _LEAD.match(subject)
    if lead is None:
        # No prefix to take off, so no reply's or forward's either (their words are among
        # _PREFIX's). str.split() splits on what re's \s matches (Py_UNICODE_ISSPACE): the
        # same squeeze as strip_subject's, without two regular expressions (a full refold
        # meets half a million distinct subjects at 1M interactions).
        return _new(SubjectInfo, (" ".join(subject.split()).lower(), False, False))
    # strip_subject's _PREFIX.sub takes off what _LEAD matched (anchored: once, at the start).
    return _new(
        SubjectInfo,
        (
            " ".join(subject[lead.end() :].split()).lower(),
            lead.group(1) is not None,
            lead.group(2) is not None and lead.group(3) is None,
        ),
    )


# Cached, since a thread repeats its subject. (The fold keeps its own cache: see
# contacts._Fold.subject.)
subject_info = lru_cache(maxsize=1 << 16)(read_subject)


def thread_keys(item: Interaction) -> tuple[str | None, str | None, bool]:
    """(the key of the thread this message is in, the subject key it starts if it is new,
    whether it is a reply).

    Providers' thread ids win (Gmail threadId, Graph conversationId); else the first
    References entry or In-Reply-To (RFC 5322 3.6.4: the thread's root is the first reference);
    else a reply-looking subject ("Re: budget") joins the thread its stripped subject started,
    because some sources (Enron, many exports) carry no In-Reply-To at all. A new message (not a
    reply) starts both its own Message-ID thread and its subject's. A reply never starts a
    thread, even when it is the first of its thread we see (the owner answering a message that
    is not in the mailbox did not start that conversation).
    """
    info = subject_info(item.subject)
    return thread_keys_of(item, info.stripped, info.reply)


def thread_keys_of(
    item: Interaction, subject: str, reply_subject: bool
) -> tuple[str | None, str | None, bool]:
    """`thread_keys` with the subject already looked at (`subject_info(item.subject)`'s
    stripped and reply)."""
    refs = item.references
    root = refs[0] if refs else item.in_reply_to
    reply = bool(root) or reply_subject
    if item.thread_id:
        return f"t:{item.account}:{item.thread_id}", None, reply
    if root:
        return f"m:{root}", None, True
    if reply:
        return (f"s:{subject}" if subject else None), None, True
    own = f"m:{item.message_id}" if item.message_id else None
    return own, (f"s:{subject}" if subject else None), False


def copy_keys(item: Interaction, sent: bool) -> tuple[str | None, tuple[object, ...]]:
    """(a key that makes a copy at any time, keys that make a copy at the same `occurred_at`).

    The same Message-ID (the same message synced through two accounts) is one message. So are
    copies that a client filed again under a new Message-ID (Enron's sent/, _sent_mail/ and
    sent_items/ repeat each other): same Date, same stripped subject, same sorted To, same
    sender (for sent mail the owner, whichever of their addresses the copy shows). The second
    kind only ever matches records with the same time, so the fold keeps them for one moment.
    """
    if item.kind == "meeting":
        # A meeting's id (iCalendar UID) is shared by every occurrence of a recurring series,
        # so it only identifies a copy together with the start.
        keys: list[object] = []
        if item.message_id:
            keys.append(("meeting", item.message_id))
        subject = subject_info(item.subject).stripped
        if subject:
            keys.append(("meeting", item.ended_at, subject))
        return None, tuple(keys)
    to = tuple(sorted([p.address for p in item.participants if p.role == TO]))
    sender = "" if sent else next((p.address for p in item.participants if p.role == "from"), "")
    return item.message_id, ((subject_info(item.subject).stripped, to, sender),)


RECIPIENT_ROLES = frozenset({TO, CC, BCC})
