"""topics._NOTICE's guard in front of its alternatives (`\\b(?=\\w)`, a speed-up: the alternatives
carry no `\\b` of their own) changes no match: each alternative behind its own `\\b`, as they were
written before, matches the same spans. And topics.Caseless (an ASCII text searched in lower
case without IGNORECASE) answers as the IGNORECASE expression does, for every one in use."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules import replies, topics
from touchbase.rules.topics import Caseless, _notice

_NOTICE = _notice.expression  # compiled with IGNORECASE

GUARD = r"\b(?=\w)(?:"


def _alternatives(body: str) -> list[str]:
    """The top-level alternatives of an expression's text."""
    found, depth, current, i = [], 0, "", 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            current += body[i : i + 2]
            i += 2
            continue
        depth += ch == "("
        depth -= ch == ")"
        if ch == "|" and depth == 0:
            found.append(current)
            current = ""
        else:
            current += ch
        i += 1
    return [*found, current]


ALTERNATIVES = _alternatives(_NOTICE.pattern[len(GUARD) : -1])
# As written before the guard: each alternative behind its own word boundary, no guard.
BARE = re.compile("|".join(rf"\b{a}" for a in ALTERNATIVES), _NOTICE.flags)
WORDS = sorted(set(re.findall(r"[a-z]+", _NOTICE.pattern)))


def _starts_with_a_letter(text: str) -> bool:
    """The expression's text can match only from a letter on: it starts with one, or with a
    group whose every alternative does (lookbehinds and the start, `^`, aside)."""
    text = re.sub(r"^(?:\^|\(\?<![^)]*\))+", "", text)
    if text.startswith("(?:"):
        depth = 0
        for end, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                return all(_starts_with_a_letter(a) for a in _alternatives(text[3:end]))
    return text[:1].isalpha()


def test_every_alternative_starts_with_a_letter() -> None:
    assert _NOTICE.pattern.startswith(GUARD) and _NOTICE.pattern.endswith(")")
    assert len(ALTERNATIVES) > 50
    for alternative in ALTERNATIVES:
        assert _starts_with_a_letter(alternative), alternative
    assert not _starts_with_a_letter(r"\bparty") and not _starts_with_a_letter("(?:x|-y)")


PIECES = st.one_of(
    st.from_regex(BARE),  # text around a match of one alternative
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(str.upper),
    st.sampled_from(WORDS).map(str.title),
    st.text(alphabet=" -:#?!_.,'3rdthi0123456789\u00e9\u212a\u017f\u0130", max_size=4),
    st.text(max_size=3),
)
TEXTS = st.lists(PIECES, max_size=8).map(lambda ps: "".join(ps) if len(ps) % 2 else " ".join(ps))


@given(TEXTS)
def test_the_guard_changes_no_match(text: str) -> None:
    guarded, bare = _NOTICE.search(text), BARE.search(text)
    assert (guarded and guarded.span()) == (bare and bare.span())


KNOWN = (
    "Re: party at the office",
    "third party invoice",
    "Out of office: back Monday",
    "UPDATED: gas volumes",
    "please review the deal",
    "topic 99-13",
    "mtg - friday",
    "unread notice",
    "\u212aelvin's auto-reply",  # the Kelvin sign: IGNORECASE folds it to k
    "Out \u017fick today",  # the long s: IGNORECASE folds it to s
)


def test_the_guard_changes_no_match_on_known_subjects() -> None:
    for text in KNOWN:
        guarded, bare = _NOTICE.search(text), BARE.search(text)
        assert (guarded and guarded.span()) == (bare and bare.span()), text


IN_USE = [
    _notice,
    topics._forward_suffix,
    replies._TELLS,
    replies._GRAVE,
    replies._URL,
    replies._THANKS,
]
CASELESS_WORDS = sorted(
    {w for c in IN_USE for w in re.findall(r"[a-z]+", c.expression.pattern)} | {"k", "s", "i"}
)
CASELESS_PIECES = st.one_of(
    st.sampled_from(CASELESS_WORDS),
    st.sampled_from(CASELESS_WORDS).map(str.upper),
    st.sampled_from(CASELESS_WORDS).map(str.title),
    st.text(alphabet=" -:@?._'\u212a\u017f\u0130\u0131K", max_size=3),
    st.text(max_size=3),
)


@pytest.mark.parametrize("caseless", IN_USE, ids=lambda c: c.expression.pattern[:24])
@given(text=st.lists(CASELESS_PIECES, max_size=8).map(" ".join))
def test_caseless_answers_as_ignorecase_does(caseless: Caseless, text: str) -> None:
    assert caseless.search(text) == (caseless.expression.search(text) is not None)


def test_caseless_on_known_subjects() -> None:
    for caseless in IN_USE:
        for text in (*KNOWN, "FYI: report", "Funeral", "www.x.com", "Fw: link", "\u212a"):
            assert caseless.search(text) == bool(caseless.expression.search(text)), text


def test_caseless_wants_an_expression_written_in_lower_case() -> None:
    with pytest.raises(ValueError):
        Caseless(r"\bFYI\b")
    assert topics.Caseless("fyi").search("FYI")


def test_caseless_compiles_its_ignorecase_expression_when_first_asked() -> None:
    """Only a text that is not ASCII is searched with IGNORECASE: compiled then, not before."""
    caseless = Caseless(r"\bfyi\b")
    assert caseless._expression is None
    assert caseless.search("FYI") and caseless._expression is None
    assert caseless.search("FYI \u212a")
    assert caseless.expression.flags & re.IGNORECASE
    assert caseless.expression.pattern == caseless.lowered.pattern == r"\bfyi\b"
    assert not caseless.lowered.flags & re.IGNORECASE


MARK_PIECES = st.one_of(
    st.sampled_from(sorted(set(re.findall(r"[a-z]+", topics._MARKER)))),
    st.sampled_from(sorted(set(re.findall(r"[a-z]+", topics._MARKER)))).map(str.upper),
    st.text(alphabet=" -:!.*()\u2013\u212a\u017f\u0130\t\u00a0\u2003", max_size=3),
    st.text(max_size=3),
)


@given(
    st.lists(MARK_PIECES, max_size=8).map(lambda ps: "".join(ps) if len(ps) % 2 else " ".join(ps))
)
def test_no_marker_word_no_marker(text: str) -> None:
    """topics._may_mark (the words every marker holds) is False only where neither marker
    expression matches; and _squeeze squeezes white space as re's \\s+ does."""
    if not topics._may_mark(text):
        assert not topics._MARK_HEAD.search(text) and not topics._MARK_TAIL.search(text)
    assert topics._squeeze(text) == re.sub(r"\s+", " ", text).strip()


def test_every_marker_holds_a_marker_word() -> None:
    alternatives = _alternatives(topics._MARKER[3:-1])
    assert len(alternatives) == 10
    for alternative in alternatives:
        for text in {alternative.replace("[- ]", " "), alternative.replace("[- ]", "-")}:
            assert topics._MARK_TAIL.search(f"Deal - {text.upper()}"), text
            assert topics._may_mark(text), text


@given(st.text(max_size=6))
def test_a_word_character_but_underscore_is_alphanumeric(text: str) -> None:
    """replies.subject_refusal's test for a subject with something to answer under."""
    assert (replies._WORD.search(text) is None) == (not any(ch.isalnum() for ch in text))
