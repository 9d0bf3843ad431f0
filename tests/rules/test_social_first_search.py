"""social_kind's first search (one look for any listed word before the cleaning) never changes
its answer: for any subject, it agrees with the cleaning and matching alone (`_kind`)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from touchbase.rules import social
from touchbase.rules.social import OCCASIONS, PERSONAL_WORDS, social_kind

# Around one listed word or phrase (any case, its spaces any white space): the cleaning's
# prefixes, tags and markers, the work phrases _NOT_SOCIAL blanks out ("third party" between
# "happy" and "hour"), working nouns beside time off, separators, and non-ASCII letters that
# case-fold onto ASCII ones ("ſ" is "s" to IGNORECASE, "\u212a" the Kelvin sign is "k").
_AROUND = [
    "Re:",
    "RE[2]:",
    "Fwd:",
    "AW:",
    "[list]",
    "URGENT:",
    "- urgent",
    "(fwd)",
    '"',
    "'s",
    "third party",
    "ball game",
    "lunch and learn",
    "capacity",
    "nominations",
    "topic 12-3",
    "Newsletter",
    "ſ",
    "\u212a",
    "é",
    "-",
    "?",
    "!",
    " ",
    "\t",
    "\n",
]
_LISTED = st.sampled_from([*OCCASIONS, *PERSONAL_WORDS])
_CASED = st.tuples(_LISTED, st.sampled_from([str.lower, str.upper, str.title])).map(
    lambda pair: pair[1](pair[0])
)
_SPACED = st.tuples(_CASED, st.sampled_from([" ", "  ", "\t", "\n "])).map(
    lambda pair: pair[0].replace(" ", pair[1])
)
_PIECE = st.one_of(st.sampled_from(_AROUND), st.text(max_size=3), _SPACED)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(_PIECE, max_size=3),
    st.one_of(_SPACED, st.sampled_from(_AROUND)),
    st.lists(_PIECE, max_size=3),
    st.lists(st.sampled_from(["", " ", "-", "'", "_"]), min_size=7, max_size=7),
)
def test_first_search_never_changes_the_kind(
    before: list[str], middle: str, after: list[str], glue: list[str]
) -> None:
    pieces = [*before, middle, *after]
    subject = "".join(p + g for p, g in zip(pieces, glue, strict=False))
    expected = social._kind.__wrapped__(subject) if subject else None
    assert social_kind(subject) == expected, subject


def test_examples_the_first_search_must_not_rule_out() -> None:
    # Words whose listed form only appears after cleaning or across a blanked phrase.
    for subject in [
        "Happy third party hour",
        "RE: [team] LUNCH",
        "FW: FW: Baby shower!!",
        "whats up",
        "Pictures of RJ",
        "Lunch w/ Joan",
        "re: happy\thour",
        "Birthday party for Ann",
        "\u017foftball",  # a long s: IGNORECASE reads "softball", lower() does not
        "\u212aaraoke",  # the Kelvin sign: "karaoke" to IGNORECASE
    ]:
        assert social_kind(subject) == social._kind.__wrapped__(subject)
        assert social._kind(subject) is not None, subject
    assert social_kind("Re: topic 12-3") is None
    assert social_kind("Newsletter") is None


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(sorted(social._FIRST_WORDS)),
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz' -:", max_size=4),
        ),
        max_size=5,
    )
)
def test_the_trie_finds_a_listed_first_word_exactly_when_one_is_in_the_text(
    pieces: list[str],
) -> None:
    # Pieces of words side by side make near misses ("lunc" + "h", "bab" + "ies"); the trie
    # (one alternative per letter) must answer as the plain alternation of the words does.
    text = "".join(pieces)
    expected = any(word in text for word in social._FIRST_WORDS)
    assert (social._ANY_WORD.search(text) is not None) == expected, text
