"""`people --json`'s rows written as text (agent/cli/people_json.py) are what json writes for
person_row's dict, character for character, whatever the contact and standing."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.rules.test_contact_codec import SLOW, contacts, text, times
from touchbase.agent.cli import output
from touchbase.agent.cli.commands.people import person_row
from touchbase.agent.cli.people_json import row
from touchbase.rules.contacts import Contact
from touchbase.rules.standing import Standing

ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
# Any zone (isoformat writes the offset), and text with what json escapes (quotes,
# backslashes, controls, lone surrogates) as well as what it does not (non-ASCII).
zoned = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(0))]),
)
odd_text = st.text(alphabet=st.characters(codec=None), max_size=8) | st.sampled_from(
    ['"', "\\", "\x1b[2J", "\ud800", "é", "\u2028"]
)
standings = st.builds(
    Standing,
    st.floats() | st.integers(-3, 3),  # NaN and infinities too: json spells them its way
    odd_text,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3000)),
    text,
    st.none() | zoned,
    st.booleans(),
    st.none() | odd_text,
    st.none() | zoned,
    text,
    st.lists(text, max_size=2).map(tuple),
    st.none() | st.tuples(text, text),
)


@SLOW
@given(
    contact=contacts(),
    standing=st.none() | standings,
    now=times,
    name=st.just("") | odd_text,
    addresses=st.lists(odd_text, max_size=3),
)
def test_a_row_is_the_text_json_writes_for_person_row(
    contact: Contact,
    standing: Standing | None,
    now: datetime,
    name: str,
    addresses: list[str],
) -> None:
    expected = ENCODE(person_row(contact, standing, now, name, addresses))
    assert row(contact, standing, now, name, addresses) == expected


NOW = datetime(2025, 1, 1, tzinfo=UTC)


@SLOW
@given(contact=contacts())
def test_odd_values_are_spelled_as_json_spells_them(contact: Contact) -> None:
    """NaN and infinities, an int or a bool for a float, names with quotes, backslashes and
    controls, a name read back as None: each in every contact, not only when hypothesis
    happens to draw it."""
    nameless = replace(contact, name=cast(Any, None))
    assert row(nameless, None, NOW) == ENCODE(person_row(nameless, None, NOW))
    for strength in (math.nan, math.inf, -math.inf, 0.1, 1, True):
        standing = Standing(strength, 'a "tier"', timedelta(days=1.05), "tier", NOW, False)
        for name in ("", 'Eve "\\" \x00 \u2603'):
            expected = ENCODE(person_row(contact, standing, NOW, name, [name]))
            assert row(contact, standing, NOW, name, [name]) == expected


def test_texts_are_written_as_the_array_of_items_is(capsys: pytest.CaptureFixture[str]) -> None:
    for items in ([{"b": 1, "a": [1, 2]}, {"x": "é"}], []):
        output.print_json_array(iter(items))
        by_items = capsys.readouterr().out
        output.print_json_texts(map(ENCODE, items))
        assert capsys.readouterr().out == by_items
        assert json.loads(by_items) == items
