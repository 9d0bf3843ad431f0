"""What a subject says about a thread: did it ask, and has its matter passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from touchbase.rules.matters import asks, matter_passed, mentions, named_days

WRITTEN = datetime(2001, 12, 10, 15, tzinfo=UTC)  # a Monday

ASKS = {
    "a question mark": ("Lunch next week?", True),
    "a request": ("Request for the Q3 draw", True),
    "please": ("Please send the signed lease", True),
    "a proposal": ("Proposal for Bishops Corner", True),
    "a plain topic asks nothing": ("Contacts", False),
    "an FYI asks nothing, even with a question mark": ("FYI - can you see the volumes?", False),
    "a report asks nothing": ("West desk report", False),
    "an update asks nothing": ("Project update", False),
    "an empty subject asks nothing": ("", False),
}


@pytest.mark.parametrize(("subject", "expected"), ASKS.values(), ids=list(ASKS))
def test_asks(subject: str, expected: bool) -> None:
    assert asks(subject) is expected


PASSED = {
    "a numeric day before now": ("Call on 12/12?", 8, "2001-12-12"),
    "a numeric day with a year": ("California Update 5/4/01", 8, "2001-05-04"),
    "a month and a day": ("Dec 11 dinner?", 8, "2001-12-11"),
    "a day and a month": ("Meeting on 11 December?", 8, "2001-12-11"),
    "a weekday, read as the next one": ("Friday lunch?", 8, "2001-12-14"),
    "urgent, days later": ("Need this ASAP", 8, "urgent"),
    "urgent, the same day": ("Need this ASAP", 0.2, None),
    "a day still ahead": ("Lunch on 12/28?", 8, None),
    "no day at all": ("Budget question", 8, None),
}


@pytest.mark.parametrize(("subject", "days", "why"), PASSED.values(), ids=list(PASSED))
def test_matter_passed(subject: str, days: float, why: str | None) -> None:
    found = matter_passed(subject, WRITTEN, WRITTEN + timedelta(days=days))
    assert (found is None) == (why is None)
    if why is not None:
        assert found is not None and why in found


def test_numbers_that_are_not_dates_name_no_day() -> None:
    assert named_days("Deal 1190691 and 3.5 MMBtu", WRITTEN) == []


def test_mentions_matches_whole_words_only() -> None:
    words = frozenset({"pay", "review"})
    assert mentions("Re: Pay for March", words)
    assert not mentions("Paycheck Protection", words)
    assert not mentions("Budget", frozenset())
