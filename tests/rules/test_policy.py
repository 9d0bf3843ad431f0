"""Policy is validated at load: unknown key, wrong type, bad duration name the key and the fix."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from typing import Any

import pytest

from touchbase.rules.policy import (
    PolicyError,
    default_text,
    load_policy,
    parse_duration,
    policy_from_toml,
)

ERRORS: dict[str, tuple[dict[str, Any], str]] = {
    "an unknown key": (
        {"max_recipent": 3},
        "policy.max_recipent: unknown key in [policy]; did you mean 'max_recipients'?",
    ),
    "a wrong type": ({"max_recipients": "ten"}, "policy.max_recipients must be a whole number"),
    "a negative count": ({"max_drafts_per_run": -1}, "policy.max_drafts_per_run must be at least"),
    "a bool is not a number": ({"max_meeting_size": True}, "policy.max_meeting_size must be"),
    "a bad duration": ({"dormant_after": "2 years"}, "policy.dormant_after must be a duration"),
    "a number where a duration belongs": ({"thank_you_window": 36}, "policy.thank_you_window"),
    "a bad nested duration": (
        {"tiers": {"inner": {"cadence": "monthly"}}},
        'policy.tiers.inner.cadence must be "learned" or a duration',
    ),
    "an unknown key in a tier": (
        {"tiers": {"inner": {"cadense": "30d"}}},
        "policy.tiers.inner.cadense: unknown key in [policy.tiers.inner]; did you mean 'cadence'?",
    ),
    "a new tier missing a bound": (
        {"tiers": {"close": {"min_strength": 0.9}}},
        "policy.tiers.close has no min_cadence",
    ),
    "a tier whose bounds cross": (
        {"tiers": {"inner": {"min_cadence": "90d"}}},
        "policy.tiers.inner: min_cadence must not be longer than max_cadence",
    ),
    "no tier for the weakest": (
        {"tiers": {"wider": {"min_strength": 0.1}}},
        "policy.tiers must have a tier with min_strength = 0",
    ),
    "a per-person cadence that is not a duration": (
        {"cadence": {"a@b.example": 30}},
        "policy.cadence.a@b.example must be a duration",
    ),
    "a fraction out of range": ({"cc_weight": 2}, "policy.cc_weight must be between 0 and 1"),
    "an unknown time zone": ({"timezone": "Mars/Base"}, "policy.timezone must be an IANA"),
    "a received_counts outside the choices": ({"received_counts": "yes"}, '"never", "replies"'),
    "a list of non-strings": ({"ignore_domains": [1]}, "policy.ignore_domains[0] must be"),
    "a string for a list": ({"pinned": "a@b.example"}, "policy.pinned must be a list"),
    "a policy that is not a table": ({"aliases": "x"}, "policy.aliases must be a table"),
}


@pytest.mark.parametrize(("table", "message"), ERRORS.values(), ids=list(ERRORS))
def test_policy_errors_name_the_key_and_what_is_expected(
    table: dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyError) as raised:
        load_policy(table)
    assert message in str(raised.value)
    assert raised.value.advice  # every message says what to write instead


def test_every_shipped_default_is_overridable_and_defaults_match_the_issue() -> None:
    shipped = tomllib.loads(default_text())["policy"]
    policy = load_policy()
    assert (policy.max_recipients, policy.max_meeting_size, policy.follow_up_after) == (10, 6, 5)
    assert policy.thank_you_window == timedelta(hours=36)
    assert policy.dormant_after == timedelta(days=730)
    assert (policy.max_follow_ups, policy.max_drafts_per_run) == (1, 5)
    # Every tier learns each person's rhythm, within floors that leave anyone you were in
    # touch with in the last month or so alone (issue 11).
    days = timedelta(days=1)
    assert [
        (t.name, t.cadence, t.min_cadence / days, t.max_cadence / days) for t in policy.tiers
    ] == [
        ("inner", None, 30, 60),
        ("active", None, 45, 120),
        ("wider", None, 90, 365),
    ]
    assert policy.received_counts == "always"
    for key in shipped:
        load_policy({key: shipped[key]})  # each one is accepted as an override


def test_overrides_merge_key_by_key() -> None:
    policy = policy_from_toml(
        """
        [policy]
        max_recipients = 4
        timezone = "Europe/Paris"
        [policy.tiers.inner]
        cadence = "21d"
        [policy.cadence]
        "Ann@Example.com" = "6w"
        """
    )
    assert policy.max_recipients == 4 and policy.timezone == "Europe/Paris"
    inner = next(t for t in policy.tiers if t.name == "inner")
    assert inner.cadence == timedelta(days=21) and inner.max_cadence == timedelta(days=60)
    assert policy.cadence == {"ann@example.com": timedelta(weeks=6)}


def test_a_config_without_a_policy_table_is_the_default() -> None:
    assert policy_from_toml("[accounts]\n") == load_policy()


def test_invalid_toml_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        policy_from_toml("[policy\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("36h", timedelta(hours=36)),
        ("30d", timedelta(days=30)),
        ("2y", timedelta(days=730)),
        ("6w", timedelta(weeks=6)),
        ("1d12h", timedelta(hours=36)),
        ("90m", timedelta(minutes=90)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_aliases_are_normalised_and_chains_followed() -> None:
    policy = load_policy({"aliases": {"A@x.example": "b@x.example", "b@x.example": "C@x.example"}})
    assert policy.aliases == {"a@x.example": "c@x.example", "b@x.example": "c@x.example"}
