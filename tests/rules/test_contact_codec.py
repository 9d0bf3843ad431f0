"""The contact state's JSON codec: every Contact comes back equal, and the text is plain data."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields, replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from touchbase.rules.contact_codec import SHAPE, decode, encode
from touchbase.rules.contacts import Contact
from touchbase.rules.contacts_acc import Awaiting, MeetingRef, Trace
from touchbase.rules.life_events import LifeEvent

# Mostly UTC, as the fold keeps them; sometimes another fixed offset, to the second (Python's
# isoformat writes seconds there, which RFC 3339 cannot: decode's slower path).
# (Whole seconds: Python's own fromisoformat drops a fraction of a second from an offset.)
offsets = st.integers(min_value=-(24 * 3600 - 1), max_value=24 * 3600 - 1).map(
    lambda seconds: timezone(timedelta(seconds=seconds))
)
times = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC) | st.just(UTC) | offsets,
)
maybe_time = st.none() | times
text = st.text(max_size=12)
maybe_text = st.none() | text
count = st.integers(min_value=0, max_value=10**6)
weight = st.just(1.0) | st.floats(min_value=0, max_value=1, allow_nan=False)

meetings = st.builds(MeetingRef, count, times, maybe_text, st.booleans())
awaitings = st.builds(
    Awaiting, text, maybe_text, times, times, count, count, maybe_text, maybe_text, text, maybe_text
)
traces = st.builds(Trace, count, times, text, text, weight)
events = st.builds(LifeEvent, text, times, text, st.lists(text, max_size=3).map(tuple))


@st.composite
def contacts(draw: st.DrawFn) -> Contact:
    return Contact(
        person=draw(text),
        address=draw(text),
        addresses=tuple(draw(st.lists(text, max_size=3))),
        name=draw(text),
        name_guessed=draw(st.booleans()),
        excluded=draw(maybe_text),
        last_sent=draw(maybe_time),
        first_sent=draw(maybe_time),
        sent_count=draw(count),
        last_received=draw(maybe_time),
        received_count=draw(count),
        last_met=draw(maybe_time),
        meeting_count=draw(count),
        first_contact=draw(maybe_time),
        last_contact=draw(maybe_time),
        last_contact_kind=draw(maybe_text),
        last_subject=draw(maybe_text),
        topic_subject=draw(maybe_text),
        topic_at=draw(maybe_time),
        counted=draw(count),
        weight=draw(st.floats(min_value=0, max_value=10**6, allow_nan=False)),
        first_counted=draw(maybe_time),
        tie_start=draw(maybe_time),
        day_gaps=tuple(draw(st.lists(st.tuples(count, count), max_size=3))),
        exchanges_out=draw(count),
        exchanges_in=draw(count),
        small_meetings=draw(count),
        one_on_one=draw(count),
        months_in_touch=draw(count),
        last_direct_in=draw(maybe_time),
        last_seen=draw(maybe_time),
        delegate=draw(st.booleans()),
        last_meeting=draw(st.none() | meetings),
        prev_meeting_end=draw(maybe_time),
        awaiting=draw(st.none() | awaitings),
        last_auto_reply=draw(maybe_time),
        next_meeting_end=draw(maybe_time),
        trace=tuple(draw(st.lists(traces, max_size=3))),
        events=tuple(draw(st.lists(events, max_size=3))),
        dead=tuple(draw(st.lists(st.tuples(text, times), max_size=2))),
        near_daily_days=draw(count),
        near_daily_last=draw(maybe_time),
        last_circle=draw(maybe_time),
        social_threads=draw(count),
        social_subject=draw(maybe_text),
        social_at=draw(maybe_time),
    )


# Generation is slow on a loaded machine (every Contact field is drawn): not a failure.
SLOW = settings(suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(contacts())
def test_a_contact_comes_back_equal(contact: Contact) -> None:
    back = decode(encode(contact))
    assert back == contact
    # Equal is not enough for times: they come back aware, in UTC.
    for value in (back.last_contact, back.first_counted, back.tie_start):
        assert value is None or value.utcoffset() is not None


@SLOW
@given(contacts())
def test_the_text_is_plain_json_data(contact: Contact) -> None:
    data = json.loads(encode(contact))
    # A flat list of the fields in order: the person first, every field there.
    assert isinstance(data, list) and data[0] == contact.person
    assert len(data) == len(fields(Contact))


def test_the_shape_names_every_field_and_its_type() -> None:
    """A field added to Contact (or one whose type changes) is another shape by itself: the
    stored state is refolded, never read into the wrong field."""
    for f in fields(Contact):
        assert f"{f.name}:{f.type}" in SHAPE


@pytest.mark.parametrize(
    "text",
    ["{}", "[]", '["p"]', "null", '{"person": "p"}'],
)
def test_text_of_another_shape_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        decode(text)


def test_times_in_utc_are_written_short_and_other_offsets_kept() -> None:
    base = decode(encode(_plain()))
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    elsewhere = datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2)))
    contact = replace(base, last_sent=moment, last_received=elsewhere)
    text = encode(contact)
    assert '"2024-05-06T07:08:09.123456Z"' in text and "+02:00" in text
    back = decode(text)
    assert back == contact
    assert back.last_received is not None and back.last_received.utcoffset() == timedelta(hours=2)


def _plain() -> Contact:
    values: dict[str, object] = {}
    for f in fields(Contact):
        if f.default is not MISSING:
            continue
        kind = str(f.type)
        values[f.name] = (
            ""
            if kind == "str"
            else 0
            if kind == "int"
            else 0.0
            if kind == "float"
            else False
            if kind == "bool"
            else ()
            if kind.startswith("tuple")
            else None
        )
    return Contact(**values)  # type: ignore[arg-type]


def test_a_time_rfc_3339_cannot_write_comes_back_the_same() -> None:
    """An offset with seconds (an old local-mean-time zone) is read by the general path."""
    odd = timezone(timedelta(hours=5, minutes=53, seconds=28))
    moment = datetime(1890, 5, 6, 7, 8, 9, tzinfo=odd)
    contact = replace(decode(encode(_plain())), last_sent=moment, dead=(("a@b.example", moment),))
    back = decode(encode(contact))
    assert back == contact
    assert back.last_sent is not None and back.last_sent.utcoffset() == odd.utcoffset(None)


def test_a_stored_contact_of_the_wrong_types_is_refused() -> None:
    data = json.loads(encode(_plain()))
    data[len(data) // 2] = {"not": "a field"}
    with pytest.raises(ValueError):
        decode(json.dumps(data))
