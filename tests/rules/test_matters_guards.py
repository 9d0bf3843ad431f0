"""matters.named_days and matter_passed skip an expression whose words an ASCII subject does not
hold (no "/", no month's name, no "day", no urgent word): the same days and answers as
searching with every expression, for any subject."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules import matters
from touchbase.rules.matters import matter_passed, named_days


def searched(subject: str, written: datetime) -> list[date]:
    """named_days with every expression searched."""
    near = written.date()
    found: list[date] = []
    for month, day, year in matters._NUMERIC.findall(subject):
        when = matters._day(matters._year(year, near), int(month), int(day))
        if when is not None:
            found.append(when)
    for month, day, year in matters._MONTH_DAY.findall(subject):
        when = matters._day(matters._year(year, near), matters._MONTHS[month.lower()], int(day))
        if when is not None:
            found.append(when)
    for day, month, year in matters._DAY_MONTH.findall(subject):
        when = matters._day(matters._year(year, near), matters._MONTHS[month.lower()], int(day))
        if when is not None:
            found.append(when)
    for name in matters._WEEKDAY.findall(subject):
        target = matters._WEEKDAYS.index(name.lower()[:3])
        found.append(near + timedelta(days=(target - near.weekday()) % 7))
    return found


WORDS = [
    *matters._MONTHS,
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "day",
    "asap", "urgent", "today", "tonight", "tomorrow", "this morning", "this afternoon", "this",
    "st", "nd", "th", "topic",
]  # fmt: skip
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(str.upper),
    st.sampled_from(WORDS).map(str.title),
    st.integers(min_value=0, max_value=2031).map(str),
    st.text(alphabet=" /.,-\u212a\u017f\u0660\u0661", max_size=3),
)
SUBJECTS = st.lists(PIECES, max_size=7).map(lambda ps: "".join(ps) if len(ps) % 2 else " ".join(ps))
WRITTEN = datetime(2001, 5, 3, 12, tzinfo=UTC)


@given(SUBJECTS, st.integers(min_value=0, max_value=40))
def test_the_same_as_searching_every_expression(subject: str, days: int) -> None:
    try:
        expected = searched(subject, WRITTEN)
    except KeyError:  # a month IGNORECASE folded from a non-ASCII letter ("\u017fep"): as before
        with pytest.raises(KeyError):
            named_days(subject, WRITTEN)
        return
    assert named_days(subject, WRITTEN) == expected
    now = WRITTEN + timedelta(days=days)
    urgent = matters._URGENT.search(subject) and now - WRITTEN > matters.URGENT_LIFE
    past = [d for d in expected if d < now.date()]
    want = (
        "it was urgent when you wrote"
        if urgent
        else f"the day it names ({max(past).isoformat()}) has passed"
        if past
        else None
    )
    assert matter_passed(subject, WRITTEN, now) == want


def test_known_subjects() -> None:
    for subject in ("Call on 12/14", "Friday's meeting", "Q2 numbers for 5/4/01", "ASAP please",
                    "Dec 3 deal", "3rd May", "topic 1001-12", "MONDAY", "\u212a"):  # fmt: skip
        assert named_days(subject, WRITTEN) == searched(subject, WRITTEN), subject
