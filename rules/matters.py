"""Whether a thread's subject asked for an answer, and whether its matter has passed.

A follow-up chases only mail that expected an answer: a question or a request, not an FYI, a
report, a hand-off or a notice; and never after the matter is over: a subject that names a
day that has gone by ("Call on 12/14", "Friday's meeting", "Q2 numbers for 5/4/01"), or an
urgent one ("ASAP", "today") a few days later. Only the subject is known (bodies are never
read), so these judge the words a person chose for it. Pure: text and times in, answers out.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

# Words that ask: a question, a request, something to decide or arrange.
_ASKS = re.compile(
    r"\?|\b(?:question|questions|request|requests|requested|proposal|propose|offer|quote|rfp|"
    r"can you|could you|would you|will you|are you|do you|did you|have you|please|pls|need|"
    r"needed|help|feedback|thoughts|input|opinion|advice|approve|approval|confirm|"
    r"confirmation|available|availability|interested|interest|invite|invitation|interview|"
    r"introduction|intro|meet|meeting|lunch|call|chat|visit|next steps|follow[- ]?up|decision|"
    r"sign|signature|review and|let me know|rsvp)\b",
    re.IGNORECASE,
)
# Words that tell rather than ask: passing something on, reporting, notifying.
_TELLS = re.compile(
    r"\b(?:fyi|f\.y\.i|for your information|attached|attachment|enclosed|here is|here's|"
    r"heres|update|updated|report|reports|minutes|summary|recap|newsletter|notes|notice|"
    r"announcement|reminder|schedule|list|results|numbers|volumes|prices|price sheet)\b",
    re.IGNORECASE,
)
# Words that make a matter short-lived: a follow-up days later makes no sense.
_URGENT = re.compile(
    r"\b(?:asap|urgent|today|tonight|tomorrow|this morning|this afternoon)\b", re.I
)
URGENT_LIFE = timedelta(days=3)
_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
# US month/day[/year] with slashes only: "3.5" is a number, not the fifth of March.
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?(?![\d/.-])")
_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}}))?", re.I
)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\b\.?(?:\s+(\d{{4}}))?", re.I)
# Full weekday names only: "Sun", "Sat" and "Wed" are too often something else.
_WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


_WORDS = re.compile(r"[a-z]+")


def mentions(subject: str | None, words: frozenset[str]) -> bool:
    """The subject holds one of `words` (whole words, case ignored)."""
    return bool(words) and any(w in words for w in _WORDS.findall((subject or "").lower()))


def asks(subject: str | None) -> bool:
    """The subject reads as a question or a request, and not as an FYI or a report."""
    text = subject or ""
    return bool(_ASKS.search(text)) and not _TELLS.search(text)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(raw: str | None, near: date) -> int:
    if not raw:
        return near.year
    value = int(raw)
    return value + 2000 if value < 70 else value + 1900 if value < 100 else value


# What each expression cannot match without, in an ASCII subject's lower case: a month's name
# starts with one of these, every weekday's ends in "day", and an urgent word holds one of the
# last. A subject with none of them is not searched (4 of 6 us per subject in a plan at
# bench/rules.py's 1M, where 2,479 owed subjects are asked); any other text always is.
_MONTH_HEADS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_URGENT_WORDS = ("asap", "urgent", "today", "tonight", "tomorrow", "this")


def _may_hold(lowered: str | None, words: tuple[str, ...]) -> bool:
    """`lowered` (an ASCII text's lower case; None for any other text) may hold one of them."""
    if lowered is None:
        return True
    for word in words:  # noqa: SIM110 (any() over a generator costs more than the searches)
        if word in lowered:
            return True
    return False


def named_days(subject: str, written: datetime) -> list[date]:
    """The days a subject names, read relative to when it was written (US month/day order for
    numeric dates; a weekday is the next one on or after that day)."""
    near = written.date()
    found: list[date] = []
    lowered = subject.lower() if subject.isascii() else None
    for month, day, year in _NUMERIC.findall(subject) if "/" in subject else ():
        when = _day(_year(year, near), int(month), int(day))
        if when is not None:
            found.append(when)
    named = _may_hold(lowered, _MONTH_HEADS)
    for month, day, year in _MONTH_DAY.findall(subject) if named else ():
        when = _day(_year(year, near), _MONTHS[month.lower()], int(day))
        if when is not None:
            found.append(when)
    for day, month, year in _DAY_MONTH.findall(subject) if named else ():
        when = _day(_year(year, near), _MONTHS[month.lower()], int(day))
        if when is not None:
            found.append(when)
    for name in _WEEKDAY.findall(subject) if _may_hold(lowered, ("day",)) else ():
        target = _WEEKDAYS.index(name.lower()[:3])
        found.append(near + timedelta(days=(target - near.weekday()) % 7))
    return found


def matter_passed(subject: str | None, written: datetime, now: datetime) -> str | None:
    """Why the thread's matter is over at `now`, or None: a day it names has gone by, or it was
    urgent and days have passed."""
    text = subject or ""
    lowered = text.lower() if text.isascii() else None
    if _may_hold(lowered, _URGENT_WORDS) and _URGENT.search(text) and now - written > URGENT_LIFE:
        return "it was urgent when you wrote"
    today = now.date()
    past = [d for d in named_days(text, written) if d < today]
    if past:
        return f"the day it names ({max(past).isoformat()}) has passed"
    return None
