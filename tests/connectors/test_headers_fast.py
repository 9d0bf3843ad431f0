"""The fast paths of connectors/headers.py give exactly what the general ones do.

parse_date reads the canonical "Wed, 05 Jul 2017 04:28:33 +0000" (a one-digit day and a zone
comment allowed) by slicing and
datetime.fromisoformat; _parse_date (the regex, then email.utils) is the reference for every
string, canonical or not. Records are built through their slots' descriptors; the dataclass's
own constructor is the reference."""

from __future__ import annotations

import email.utils
import pickle
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from touchbase.connectors import headers
from touchbase.connectors.base import Flag, InteractionRecord, Kind, Participant, Role
from touchbase.connectors.errors import BadRecord

DIGITS = "0123456789"
# Characters a hostile Date may hold where the canonical one has a digit, a letter or a
# separator: other scripts' digits (re's \d and int() take them), letters whose case folds
# oddly, whitespace, controls, a replacement character from undecodable bytes.
ODD = "٣੩０²\u00a0\t\x00\ufffdKıſ+-:,. Zz"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "mon", "XYZ", "Mo1"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTHS += ["jan", "DEC", "Foo", "Ju1", "Jüb"]


def digits(n: int, low: int = 0, high: int | None = None) -> st.SearchStrategy[str]:
    top = 10**n - 1 if high is None else high
    return st.integers(low, top).map(lambda v: str(v).zfill(n))


# Zone comments as mailers write them ("-0700 (PDT)"), and ones the general way must judge.
COMMENTS = ["", "", " (PDT)", " (GMT Standard Time)", " ()", "  (PDT)", " (PDT) ", "(PDT)"]
COMMENTS += [" (P(D)T)", " (PDT", " PDT)", " (P)T)", " (\x00)", " (é)"]
canonical = st.builds(
    "{}, {} {} {} {}:{}:{} {}{}{}".format,
    st.sampled_from(WEEKDAYS),
    st.one_of(digits(2, 1, 31), digits(2), st.integers(0, 9).map(str)),
    st.sampled_from(MONTHS),
    st.one_of(digits(4, 1900, 2100), digits(4)),
    st.one_of(digits(2, 0, 23), digits(2)),
    st.one_of(digits(2, 0, 59), digits(2)),
    st.one_of(digits(2, 0, 59), digits(2)),
    st.sampled_from("+-"),
    st.one_of(st.sampled_from(["0000", "0100", "0530", "1200", "1400"]), digits(4)),
    st.sampled_from(COMMENTS),
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A canonical date with a few characters replaced, dropped or added."""
    text = draw(canonical)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        what = draw(st.sampled_from(["replace", "drop", "insert"]))
        char = draw(st.sampled_from(ODD + DIGITS))
        if what == "replace" and at < len(text):
            text = text[:at] + char + text[at + 1 :]
        elif what == "drop":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + char + text[at:]
    return text


dates = st.one_of(canonical, mutated(), st.text(max_size=40))


def same_moment(a: datetime | None, b: datetime | None) -> bool:
    """Equal, and equal the strict way: the same UTC tzinfo object, the same fields."""
    if a is None or b is None:
        return a is b
    return a == b and a.tzinfo is b.tzinfo is UTC and repr(a) == repr(b)


@settings(max_examples=3000, deadline=None)
@given(dates)
@example("Wed, 05 Jul 2017 04:28:33 +0000")
@example("Wed, 05 Jul 2017 04:28:33 -0000")
@example("Wed, 05 Jul 2017 04:28:33 +2400")  # a day off: not a zone
@example("Wed, 05 Jul 2017 04:28:33 +2359")
@example("Wed, 05 Jul 2017 24:00:00 +0000")
@example("Wed, 05 Jul 2017 23:59:60 +0000")  # a leap second: the general way decides
@example("Thu, 29 Feb 2017 10:00:00 +0000")
@example("Sat, 01 Jan 0000 00:00:00 +0000")
@example("Mon, 01 Jan 0001 00:30:00 +0100")  # before datetime.min once in UTC
@example("Fri, 31 Dec 9999 23:59:59 -0100")  # past datetime.max once in UTC
@example("Fri, 31 Dec 2199 23:59:59 -0100")  # past the latest date touchbase keeps
@example("Wed, 05 Jul 2017 04:28:33 +0000 ")
@example("Wed, 05 Jul 2017 04:28:33 +000٣")
@example("Wed, ٠5 Jul 2017 04:28:33 +0000")
@example("Wed, 05 JUL 2017 04:28:33 +0000")
@example("Wed, 05 Jul 0050 04:28:33 +0000")
@example("Mon, 4 Dec 2000 09:15:00 -0800 (PST)")
@example("Mon, 14 May 2001 16:39:00 -0700 (PDT)")
@example("Mon, 14 May 2001 16:39:00 -0700 (P(D)T)")
@example("Mon,  4 Dec 2000 09:15:00 -0800")
@example("Mon, 4  Dec 2000 09:15:00 -0800")
def test_parse_date_is_the_general_reading(value: str) -> None:
    assert same_moment(headers.parse_date(value), headers._parse_date(value))
    assert same_moment(headers.parse_date(value), headers._parse_date(value))  # zone cached


@settings(max_examples=1000, deadline=None)
@given(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30)),
    st.integers(-(23 * 60 + 59), 23 * 60 + 59),
)
def test_canonical_dates_read_as_email_utils_reads_them(local: datetime, minutes: int) -> None:
    sign, zone = ("-" if minutes < 0 else "+"), abs(minutes)
    text = local.strftime("%a, %d %b %Y %H:%M:%S ") + f"{sign}{zone // 60:02d}{zone % 60:02d}"
    assert len(text) == 31
    expected = email.utils.parsedate_to_datetime(text).astimezone(UTC)
    found = headers.parse_date(text)
    if expected < datetime(2200, 1, 1, tzinfo=UTC):
        assert found == expected and found is not None and found.tzinfo is UTC
    else:
        assert found is None


def test_records_are_built_the_fast_way() -> None:
    # InteractionRecord's fields changed (or it grew a __post_init__): _build_record then falls
    # back to the constructor. Correct, but slower: look at _build_record again.
    assert headers._record is not InteractionRecord


texts = st.one_of(st.none(), st.text(max_size=12))
participants = st.lists(
    st.builds(
        Participant,
        st.text(max_size=8),
        st.sampled_from(list(Role)),
        st.text(max_size=8),
    ),
    max_size=3,
).map(tuple)
record_values = st.tuples(
    st.text(max_size=12),
    st.sampled_from(list(Kind)),
    st.datetimes(timezones=st.just(UTC)),
    participants,
    texts,
    st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
    texts,
    texts,
    st.lists(st.text(max_size=6), max_size=3).map(tuple),
    texts,
    texts,
    st.frozensets(st.sampled_from(list(Flag))),
    texts,
)


@settings(max_examples=300, deadline=None)
@given(record_values)
def test_a_fast_built_record_is_the_constructors(values: tuple[object, ...]) -> None:
    fast = headers._record(*values)
    slow = InteractionRecord(*values)  # type: ignore[arg-type]
    assert type(fast) is InteractionRecord
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert pickle.loads(pickle.dumps(fast)) == slow
    assert [getattr(fast, name) for name in InteractionRecord.__slots__] == list(values)


@settings(max_examples=300, deadline=None)
@given(dates, st.sampled_from([None, datetime(2021, 5, 6, tzinfo=UTC)]))
def test_the_record_takes_the_general_reading_of_its_date(
    value: str, fallback: datetime | None
) -> None:
    fields = [("From", "ann@x.org"), ("Date", value), ("Subject", "Hi")]
    expected = headers._parse_date(value) if value else None
    try:
        record = headers.interaction_from_headers(
            fields, source_id="s", folder="inbox", fallback_date=fallback
        )
    except BadRecord:
        assert expected is None and fallback is None
        return
    assert same_moment(record.occurred_at, expected or fallback)
