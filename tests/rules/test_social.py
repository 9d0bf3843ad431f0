"""rules/social.py: which subjects are social occasions or personal, and the occasion's phrase."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules.social import OCCASION, PERSONAL, occasion_topic, phrase, social_kind


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("Steve's Happy Hour", OCCASION),
        ("RE: INGRID'S BABY SHOWER", OCCASION),
        ("Astros game", OCCASION),
        ("Lunch w/ Joan", OCCASION),
        ("Golf this weekend?", OCCASION),
        ("RE: who are you", PERSONAL),
        ("RE: Resume", PERSONAL),
        ("FW: Picture of RJ", PERSONAL),
        ("Big News!", PERSONAL),
        # work: contract numbers, deals, a third party, a lunch-and-learn
        ("Contracts", None),
        ("CGLF k#42789", None),
        ("Iroq/Tenn on Nov 13th", None),
        ("Third party contract", None),
        ("Counterparty credit", None),
        ("Lunch and Learn: risk systems", None),
        ("Game plan for Q3", None),
        ("", None),
        (None, None),
    ],
)
def test_a_subject_is_an_occasion_personal_or_neither(
    subject: str | None, kind: str | None
) -> None:
    assert social_kind(subject) == kind


@pytest.mark.parametrize(
    ("subject", "topic"),
    [
        ("Steve's Happy Hour", "Steve's Happy Hour"),
        ("RE: INGRID'S BABY SHOWER", "INGRID'S BABY SHOWER"),
        ("Re: Re: Astros game", "Astros game"),
        # personal news is never a topic to name back; a forward is somebody else's occasion
        ("RE: Resume", None),
        ("FW: Dan's Happy Hour", None),
        ("Contracts", None),
        # too long to quote, or naming a sensitive word
        ("Lunch " + "and more words " * 6, None),
        ("Lunch to discuss your performance", None),
    ],
)
def test_an_occasion_topic_is_the_cleaned_subject_of_an_occasion(
    subject: str, topic: str | None
) -> None:
    assert occasion_topic(subject, frozenset({"performance"})) == topic


@pytest.mark.parametrize(
    ("topic", "words"),
    [
        ("Steve's Happy Hour", "Steve's happy hour"),
        ("INGRID'S BABY SHOWER", "Ingrid's baby shower"),
        ("Astros game", "the Astros game"),
        ("Lunch w/ Joan", "lunch with Joan"),
        ("Happy hour", "the happy hour"),
        ("Friday Lunch", "the lunch"),
        ("Golf this weekend", "golf"),
        ("Breakfast on Friday", "the breakfast"),
        ("Quarterly numbers", "Quarterly numbers"),  # no occasion: unchanged
    ],
)
def test_the_phrase_names_the_occasion_as_a_noun_phrase(topic: str, words: str) -> None:
    assert phrase(topic) == words


@given(st.text(max_size=80))
def test_any_text_gets_an_answer_and_a_topic_is_short(text: str) -> None:
    kind = social_kind(text)
    assert kind in (None, OCCASION, PERSONAL)
    topic = occasion_topic(text)
    if topic is not None:
        assert kind == OCCASION and 0 < len(topic) <= 60
        assert phrase(topic).strip()
