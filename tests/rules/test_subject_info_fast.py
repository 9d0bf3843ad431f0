"""threads.subject_info's shortcut for a subject without a prefix (str.split for the squeeze,
no reply or forward match) gives what strip_subject, is_reply_subject and is_forward_subject
give, for any subject."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from touchbase.rules.threads import (
    SubjectInfo,
    is_forward_subject,
    is_reply_subject,
    strip_subject,
    subject_info,
)

_PIECES = st.sampled_from(
    [
        "Re:", "RE :", "re[2]:", "Fwd:", "FW:", "AW:", "Sv:", "tr:", "r:", "res:", "enc:",
        "Reply", "Forward", "Budget", "topic 12-3", "ÄÖ", "İ", "ß", ":", "[", "]", "[3]",
        " ", "  ", "\t", "\n", "\x1c", "\x1f", "\u00a0", "\u2003", "\u3000", "\u200b", "\x85",
    ]
)  # fmt: skip


@settings(max_examples=800, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=6))
def test_the_shortcut_agrees(pieces: list[str]) -> None:
    subject = "".join(pieces)
    expected = SubjectInfo(
        strip_subject(subject), is_reply_subject(subject), is_forward_subject(subject)
    )
    assert subject_info.__wrapped__(subject) == expected, repr(subject)


def test_examples() -> None:
    assert subject_info("  Budget \t for\u00a0Q3 ") == SubjectInfo("budget for q3", False, False)
    assert subject_info("RE: Re[2]:  Budget") == SubjectInfo("budget", True, False)
    assert subject_info("Fwd: Budget") == SubjectInfo("budget", False, True)
    assert subject_info(None) == subject_info("") == SubjectInfo("", False, False)
