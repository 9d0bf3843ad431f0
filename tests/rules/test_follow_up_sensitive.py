"""Follow-ups refuse the owner's sensitive phrases as check-ins do (QA, task H7 item 3): the
policy's `sensitive_topics` may hold phrases ("performance review"), and a follow-up read the
list as single words only, so a question about a listed phrase was followed up."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.factory import OWNER, at, policy, sent
from touchbase.rules.contacts import fold
from touchbase.rules.decide import decide

BOB = "bob@example.com"
WORDS = st.sampled_from(["board", "seat", "budget", "offsite", "plan", "draft", "venue", "team"])


def follow_up_kinds(subject: str, sensitive: list[str]) -> list[str]:
    pol = policy(sensitive_topics=sensitive)
    now = at(7, hours=1)
    contacts = fold([sent(at(0), BOB, subject=subject)], OWNER, pol, now)
    return [d.kind for d in decide(contacts.values(), pol, now).decisions if d.person == BOB]


def test_a_question_about_a_listed_phrase_is_not_followed_up() -> None:
    subject = "Can we meet about the performance review?"
    assert follow_up_kinds(subject, []) == ["follow-up"]
    assert follow_up_kinds(subject, ["performance review"]) == []
    assert follow_up_kinds(subject, ["performance reviews"]) == ["follow-up"]  # not in it
    plural = "Can we meet about the performance reviews?"
    assert follow_up_kinds(plural, ["performance review"]) == []


@settings(max_examples=40, deadline=None)
@given(before=st.lists(WORDS, max_size=3), phrase=st.lists(WORDS, min_size=2, max_size=3))
def test_a_listed_phrase_anywhere_in_the_question_refuses_the_follow_up(
    before: list[str], phrase: list[str]
) -> None:
    """Whatever words come before it, a question holding a listed phrase of two or three
    words is never followed up; a list of phrases it does not hold changes nothing."""
    subject = "Can we meet about the " + " ".join([*before, *phrase]) + "?"
    plain = follow_up_kinds(subject, [])
    assert follow_up_kinds(subject, [" ".join(phrase)]) == []
    assert follow_up_kinds(subject, ["zebra crossing", "quarterly numbers"]) == plain
