"""agent/pipeline/subject_keys.py: the key of a subject is the hash of strip_subject's answer,
whatever the subject, and fits the column (a signed 32-bit integer on every database)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from touchbase.agent.pipeline.subject_keys import key_of, subject_key
from touchbase.rules.threads import strip_subject

PREFIXES = st.sampled_from(("", "Re: ", "RE:re: ", "Fwd: ", "AW:", "Re[2]: ", " fw : ", "r:"))
SUBJECTS = st.builds(
    lambda prefix, text: prefix + text,
    PREFIXES,
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
    | st.sampled_from(("Budget", "  budget\t for  Lisbon ", "Ünïcode Straße", "", " ")),
)


@given(subject=SUBJECTS | st.none())
def test_the_key_is_the_stripped_subject_hashed(subject: str | None) -> None:
    stripped = strip_subject(subject)
    key = subject_key(subject)
    assert key == (key_of(stripped) if stripped else None)
    assert key is None or -(2**31) <= key < 2**31


def test_subjects_alike_once_stripped_share_a_key() -> None:
    assert subject_key("Re: RE:  Budget  for Lisbon") == subject_key("budget for lisbon")
    assert subject_key("Budget") != subject_key("Budget 2")
    assert subject_key("Re:") is None and subject_key(None) is None
