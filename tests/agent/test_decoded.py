"""Stored texts decoded once per process (agent/pipeline/decoded.py): a reading gives what
decoding every text would, whatever was read before, and reuses a value only for equal text."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from touchbase.agent.pipeline.decoded import Decoded

# Readings of a few keys whose texts change, repeat and disappear between readings.
readings = st.lists(
    st.dictionaries(st.sampled_from("abcd"), st.sampled_from(["[1]", "[2]", "[1,2]", "[]"])),
    max_size=6,
)


@given(readings)
def test_a_reading_equals_decoding_every_text(sequence: list[dict[str, str]]) -> None:
    decoded = Decoded(json.loads)
    for texts in sequence:
        assert decoded.read(texts.items()) == {k: json.loads(t) for k, t in texts.items()}


def test_equal_text_gives_the_value_read_last_and_changed_text_is_decoded_again() -> None:
    calls: list[str] = []

    def decode(text: str) -> list[int]:
        calls.append(text)
        return list(json.loads(text))

    decoded = Decoded(decode)
    first = decoded.read([("a", "[1]"), ("b", "[2]")])
    second = decoded.read([("a", "[1]"), ("b", "[3]")])
    assert second["a"] is first["a"]
    assert second["b"] == [3]
    assert calls == ["[1]", "[2]", "[3]"]
    # A key missing from a reading is forgotten: what is kept is one state's worth.
    decoded.read([("b", "[3]")])
    decoded.read([("a", "[1]")])
    assert calls == ["[1]", "[2]", "[3]", "[1]"]
