"""Time-off words beside working nouns are scheduling, not warmth (issue 11, judgment round 4):
a pipeline scheduler's daily "Capacity for the Weekend" notice made a transactional tie "warm"
and earned it a check-in. "Weekend" and "vacation" stay personal on their own ("Great
weekend!", "Back from vacation"); an occasion stays an occasion whatever else is said."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules.social import OCCASION, OCCASIONS, PERSONAL, social_kind

WORK = ["Capacity", "Nominations", "Coverage", "Schedule", "Volumes", "Storage", "Deals", "Shift"]
TIME_OFF = ["weekend", "Weekend", "weekends", "vacation", "Vacation"]


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("Capacity for the Weekend", None),
        ("RE: Weekend nominations", None),
        ("Vacation coverage", None),
        ("vacation schedule", None),
        ("Great weekend!", PERSONAL),
        ("Back from vacation", PERSONAL),
        ("Pictures from the weekend", PERSONAL),
        ("Golf this weekend?", OCCASION),
        ("Weekend storage report and happy hour", OCCASION),
    ],
)
def test_time_off_words(subject: str, kind: str | None) -> None:
    assert social_kind(subject) == kind


@given(
    work=st.sampled_from(WORK),
    time_off=st.sampled_from(TIME_OFF),
    glue=st.sampled_from([" for the ", " ", " - ", " over the "]),
    first=st.booleans(),
)
def test_a_working_noun_makes_time_off_words_no_warmth(
    work: str, time_off: str, glue: str, first: bool
) -> None:
    subject = f"{work}{glue}{time_off}" if first else f"{time_off}{glue}{work}"
    assert social_kind(subject) is None, subject
    assert social_kind(f"Re: {time_off}") == PERSONAL  # alone it is still personal


@given(work=st.sampled_from(WORK), occasion=st.sampled_from(OCCASIONS))
def test_an_occasion_beside_a_working_noun_is_still_an_occasion(work: str, occasion: str) -> None:
    subject = f"{work} {occasion}"
    if occasion in ("game", "party", "boat", "celebration"):
        return  # ambiguous alone ("game plan", "party A"): rules/social.py judges those
    assert social_kind(subject) == OCCASION, subject
