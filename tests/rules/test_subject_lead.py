"""threads.subject_info reads a prefixed subject with one match (_LEAD): whether it is a reply or
a forward, and what is left, as strip_subject, is_reply_subject and is_forward_subject say,
including the cases where the first prefix's word decides (a counter makes no forward, a
Unicode case match makes a reply) and repeated prefixes of either kind."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from touchbase.rules.threads import (
    SubjectInfo,
    is_forward_subject,
    is_reply_subject,
    strip_subject,
    subject_info,
)


def _expected(subject: str) -> SubjectInfo:
    return SubjectInfo(
        strip_subject(subject), is_reply_subject(subject), is_forward_subject(subject)
    )


@pytest.mark.parametrize(
    ("subject", "info"),
    [
        ("Fw[2]: Budget", SubjectInfo("budget", False, False)),  # _FORWARD takes no counter
        ("fw : Budget", SubjectInfo("budget", False, True)),
        ("Fwd: RE: Budget", SubjectInfo("budget", False, True)),
        ("Re: Fwd: Budget", SubjectInfo("budget", True, False)),
        ("res:x", SubjectInfo("x", True, False)),
        ("\u017fv: Budget", SubjectInfo("budget", True, False)),  # long s: IGNORECASE's "s"
        ("tr: re[3] :  A\u00a0B", SubjectInfo("a b", False, True)),
        ("Re Budget", SubjectInfo("re budget", False, False)),
        # read_subject's short cuts: no ":" at all, and one "Re: " with no ":" after it.
        ("topic 9138-9", SubjectInfo("topic 9138-9", False, False)),
        ("rE:   Topic  1-2 ", SubjectInfo("topic 1-2", True, False)),
        ("Re: Re: x", SubjectInfo("x", True, False)),
        ("Re: at 10:30", SubjectInfo("at 10:30", True, False)),
        ("Re:\tx", SubjectInfo("x", True, False)),
        (" Re: x", SubjectInfo("x", True, False)),
    ],
)
def test_prefixes(subject: str, info: SubjectInfo) -> None:
    assert subject_info.__wrapped__(subject) == info == _expected(subject)


_PREFIXES = st.sampled_from(
    [
        "Re:", "RE :", "re[2]:", "Fwd:", "FW:", "fw [2]:", "Fw[3]:", "AW:", "Sv:", "tr:", "r:",
        "res:", "enc:", "\u017fv:", "rEs :", "wg:", "Antw:", "RIF:", "re", "fwd", "[", "[3]",
    ]
)  # fmt: skip
_REST = st.sampled_from(
    [" ", "\t", "\u2003", "\x85", "Budget", "topic 1-2", ":", "İ", "ß", "Re: ", "RE: "]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(_PREFIXES, _REST, st.text(max_size=2)), min_size=1, max_size=7))
def test_one_match_agrees(pieces: list[str]) -> None:
    subject = "".join(pieces)
    assert subject_info.__wrapped__(subject) == _expected(subject), repr(subject)
