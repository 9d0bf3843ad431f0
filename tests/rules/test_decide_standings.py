"""rules/decide.py takes the standings an evaluation already assessed (issue 16: assessing every
person again was 24 of 28 s of a cProfiled decide at 10,000 people)."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from hypothesis import given

from tests.rules.factory import OWNER
from tests.rules.test_properties import FAST, NOW, POLICIES, histories
from touchbase.rules import standing as standing_module
from touchbase.rules.contacts import fold
from touchbase.rules.decide import decide
from touchbase.rules.policy import Policy
from touchbase.rules.standing import assess
from touchbase.rules.types import Interaction


@FAST
@given(histories, POLICIES)
def test_the_plan_with_standings_given_is_the_plan_without(
    history: list[Interaction], pol: Policy
) -> None:
    contacts = list(fold(history, OWNER, pol, NOW).values())
    standings = {c.person: assess(c, pol, NOW) for c in contacts}
    assert decide(contacts, pol, NOW, standings=standings) == decide(contacts, pol, NOW)
    # a person left out of the standings is assessed by decide itself
    some = dict(list(standings.items())[: len(standings) // 2])
    assert decide(contacts, pol, NOW, standings=some) == decide(contacts, pol, NOW)


def _assess_calls(run: Any) -> int:
    """How many times rules/standing.py assess runs during `run()` (observed, not replaced)."""
    calls = [0]
    code = standing_module.assess.__code__

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        if event == "call" and frame.f_code is code:
            calls[0] += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return calls[0]


@FAST
@given(histories, POLICIES)
def test_decide_assesses_nobody_again_when_given_standings(
    history: list[Interaction], pol: Policy
) -> None:
    contacts = list(fold(history, OWNER, pol, NOW).values())
    standings = {c.person: assess(c, pol, NOW) for c in contacts}
    assert _assess_calls(lambda: decide(contacts, pol, NOW, standings=standings)) == 0
    assert _assess_calls(lambda: decide(contacts, pol, NOW)) == len(contacts)
