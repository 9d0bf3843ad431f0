"""dates.add_business_days counts as a walk a day at a time does (each weekday one), in any
zone, from any day of the week, for any number of days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules.dates import add_business_days

ZONES = [ZoneInfo(z) for z in ("UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu")]


def walked(start: datetime, days: int, zone: ZoneInfo) -> datetime:
    local = start.astimezone(zone)
    day = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return datetime.combine(day, local.time(), tzinfo=zone)


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=-3, max_value=40),
    st.sampled_from(ZONES),
)
def test_as_a_walk_a_day_at_a_time(start: datetime, days: int, zone: ZoneInfo) -> None:
    counted, walk = add_business_days(start, days, zone), walked(start, days, zone)
    assert counted == walk and counted.utcoffset() == walk.utcoffset()


def test_every_weekday_and_count() -> None:
    monday = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
    for offset in range(7):
        for days in range(0, 16):
            start = monday + timedelta(days=offset)
            assert add_business_days(start, days, ZONES[0]) == walked(start, days, ZONES[0])
