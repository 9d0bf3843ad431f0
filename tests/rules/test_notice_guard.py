"""topics._NOTICE's guard in front of its alternatives (`(?:^|\\b)`, a speed-up) changes no
match: every alternative starts at the start or at a word boundary anyway."""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]

from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules.topics import _NOTICE

GUARD = r"(?:^|\b)(?:"
BARE = re.compile(_NOTICE.pattern[len(GUARD) : -1], _NOTICE.flags)
WORDS = sorted(set(re.findall(r"[a-z]+", BARE.pattern)))


def test_every_alternative_starts_at_the_start_or_a_word_boundary() -> None:
    assert _NOTICE.pattern.startswith(GUARD) and _NOTICE.pattern.endswith(")")
    [(op, (_none, alternatives))] = parser.parse(BARE.pattern, BARE.flags).data
    assert op is sre.BRANCH and len(alternatives) > 50
    for alternative in alternatives:
        first = next(item for item in alternative.data if item[0] is not sre.ASSERT_NOT)
        assert first in ((sre.AT, sre.AT_BEGINNING), (sre.AT, sre.AT_BOUNDARY)), alternative


PIECES = st.one_of(
    st.from_regex(BARE),  # text around a match of one alternative
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(str.upper),
    st.sampled_from(WORDS).map(str.title),
    st.text(alphabet=" -:#?!_.,'3rdthi0123456789\u00e9\u212a\u017f", max_size=4),
    st.text(max_size=3),
)


@given(st.lists(PIECES, max_size=8).map(lambda ps: "".join(ps) if len(ps) % 2 else " ".join(ps)))
def test_the_guard_changes_no_match(text: str) -> None:
    guarded, bare = _NOTICE.search(text), BARE.search(text)
    assert (guarded and guarded.span()) == (bare and bare.span())


def test_the_guard_changes_no_match_on_known_subjects() -> None:
    for text in (
        "Re: party at the office",
        "third party invoice",
        "Out of office: back Monday",
        "UPDATED: gas volumes",
        "please review the deal",
        "topic 99-13",
        "mtg - friday",
        "unread notice",
    ):
        guarded, bare = _NOTICE.search(text), BARE.search(text)
        assert (guarded and guarded.span()) == (bare and bare.span()), text
