"""rules/introductions.py mentions: the index over the subjects' words finds exactly the
threads `mentioned` finds person by person, subject by subject (issue 16), at a bounded cost."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from touchbase.rules.introductions import mentioned, mentions

# Words that overlap in letters, case, accents, apostrophes and digits, so a match can be a
# prefix, a suffix, a word inside another or across punctuation.
WORDS = st.sampled_from(
    [
        "ann", "Ann", "anna", "annabel", "archer", "Archer", "archery", "o'brien", "brien",
        "Zoë", "zoë", "ZOË", "li", "lee", "jo", "jo2", "x_ann", "ann_x", "ann-marie", "marie",
        "İrem", "irem", "straße", "STRASSE", "re:", "fw", "and", "the", "2024", "ﬁnn", "finn",
    ]
)  # fmt: skip
SEPARATORS = st.sampled_from([" ", " ", "-", "_", "'", ", ", ": ", "\n", "/", "", "1"])


@st.composite
def texts(draw: st.DrawFn, most: int) -> str:
    words = draw(st.lists(WORDS, min_size=1, max_size=most))
    out = words[0]
    for word in words[1:]:
        out += draw(SEPARATORS) + word
    return out


def _old(names: dict[str, str], subjects: dict[str, list[str]]) -> dict[str, set[str]]:
    """What suggest computed before: every named person against every thread's subjects."""
    found: dict[str, set[str]] = {}
    for person, name in names.items():
        hits = {k for k, ss in subjects.items() if any(mentioned(name, s) for s in ss)}
        if hits:
            found[person] = hits
    return found


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcdefgh"), texts(3), max_size=6),
    st.dictionaries(
        st.sampled_from(["t1", "t2", "t3", "t4", "t5"]),
        st.lists(st.one_of(texts(6), st.just("")), max_size=3),
        max_size=5,
    ),
)
def test_the_index_finds_what_mentioned_finds(
    names: dict[str, str], subjects: dict[str, list[str]]
) -> None:
    assert mentions(names, subjects) == _old(names, subjects)


def test_known_cases() -> None:
    subjects = {
        "board": ["Numbers from Ann Archer for the board"],
        "club": ["Annual archery day"],
        "both": ["Archer and Ann"],  # last name first: not named
    }
    names = {"a": "Ann Archer", "b": "Cher", "c": "Annual Night"}
    assert mentions(names, subjects) == {"a": {"board"}}


def test_thousands_of_people_and_threads_within_a_generous_limit() -> None:
    """2,000 named people and 20,000 threads: 40 million regex searches the old way (tens of
    minutes); through the index a few seconds at most even on a loaded machine."""
    names = {f"p{i}": f"First{i % 300} Last{i}" for i in range(2000)}
    subjects = {
        f"t{j}": [f"Re: notes from First{j % 300} Last{j % 2500} on plan {j}"]
        for j in range(20_000)
    }
    start = time.process_time()
    found = mentions(names, subjects)
    assert time.process_time() - start < 20
    assert found["p7"] == {f"t{j}" for j in range(20_000) if j % 300 == 7 and j % 2500 == 7}
