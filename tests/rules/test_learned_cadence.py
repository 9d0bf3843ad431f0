"""rules/standing.py learned_cadence from the fold's gaps between contact days (issue 16: it
runs for every person at every evaluation) equals the median gap between distinct contact
dates it always was."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from statistics import median

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.factory import policy
from tests.rules.test_counted_summary import counted
from touchbase.rules.policy import Policy
from touchbase.rules.standing import learned_cadence

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-11)), timezone(timedelta(hours=13))])


def _as_it_was(times: list[datetime], pol: Policy) -> timedelta | None:
    days = sorted({x.date() for x in times})
    gaps = [(b - a).days for a, b in pairwise(days)]
    if len(gaps) < max(pol.learned_min_gaps, 1):
        return None
    return timedelta(days=pol.learned_factor * median(gaps))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.datetimes(
            min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES
        ),
        max_size=40,
    ),
    st.integers(0, 6),
    st.floats(0.25, 4),
)
def test_learned_cadence_is_the_median_gap_between_contact_days(
    times: list[datetime], min_gaps: int, factor: float
) -> None:
    pol = replace(policy(), learned_min_gaps=min_gaps, learned_factor=factor)
    contact = counted(sorted(times))
    assert learned_cadence(contact, pol) == _as_it_was(times, pol)
