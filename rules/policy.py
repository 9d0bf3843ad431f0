"""Policy: the `[policy]` TOML table, merged over default.toml, validated into frozen values.

The keys are declared in `POLICY` with the settings schema every table of the file uses
(rules/schema.py), so every mistake is reported by its path with what is expected, e.g.
`policy.tiers.inner.cadence must be "learned" or a duration like "36h", "30d" or "2y", not
"monthly"`. default.toml holds the defaults (a test keeps its keys and POLICY's the same).
Reading files is the caller's business: pass a parsed table or TOML text. The one exception is
`default_text()`, which reads the shipped default.toml from this package.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from touchbase.rules.addresses import normalise, resolve_aliases, squeeze
from touchbase.rules.schema import (
    REQUIRED,
    Choice,
    Duration,
    Either,
    Entry,
    Flag,
    MapOf,
    Number,
    SchemaError,
    Section,
    Strings,
    Table,
    Text,
    Whole,
    ZoneName,
    parse_duration,
    toml,
)


class PolicyError(SchemaError):
    """The policy table has an unknown key, a wrong type or a bad value; the message says which."""


@dataclass(frozen=True, slots=True)
class Tier:
    """A band of relationship strength with its check-in cadence (None: learn it)."""

    name: str
    min_strength: float
    cadence: timedelta | None
    min_cadence: timedelta
    max_cadence: timedelta


@dataclass(frozen=True, slots=True)
class Policy:
    """The validated policy. See default.toml for what each field means."""

    timezone: str
    aliases: Mapping[str, str]
    ignore_addresses: frozenset[str]
    ignore_domains: frozenset[str]
    never_draft: frozenset[str]
    automated_localparts: frozenset[str]
    max_recipients: int
    cc_weight: float
    max_meeting_size: int
    group_meeting_weight: float
    received_counts: str
    relationship_min_sent: int
    relationship_min_received: int
    relationship_min_meetings: int
    pinned: frozenset[str]
    few_recipients: int
    reply_owed_within: timedelta
    checkin_ties: str
    warm_min_social: int
    social_topic_within: timedelta
    near_daily_window: timedelta
    near_daily_min_days: int
    near_daily_horizon: timedelta
    circle_window: timedelta
    left_organisation_quiet: timedelta
    left_organisation_colleagues: int
    thank_you_window: timedelta
    thank_you_for: str
    occasional_gap: timedelta
    follow_up_after: int
    max_follow_ups: int
    follow_up_expires: timedelta
    reply_drafts: bool
    reply_after: int
    out_of_office_pause: timedelta
    rejection_pause: timedelta
    congrats_window: timedelta
    job_change_min_run: timedelta
    personal_domains: frozenset[str]
    dormant_after: timedelta
    learned_factor: float
    learned_min_gaps: int
    offer_call: str
    sensitive_topics: frozenset[str]
    max_drafts_per_run: int
    max_drafts_per_day: int
    introduce_every: timedelta
    cadence: Mapping[str, timedelta]
    tiers: tuple[Tier, ...]  # strongest first

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _addresses(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalise(v) for v in values)


def _domains(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v.lower().lstrip("@") for v in values)


def _aliases(table: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(resolve_aliases(table))


def _cadence(table: Mapping[str, timedelta]) -> Mapping[str, timedelta]:
    return MappingProxyType({normalise(k): v for k, v in table.items()})


LEARN = "learned"  # a tier's cadence learned from each person's rhythm

TIER = Table(
    "a tier",
    (
        Entry("min_strength", Number(0, 1), REQUIRED, "the lowest strength score (0..1) in it"),
        Entry(
            "cadence",
            Either(Choice(LEARN), Duration()),
            LEARN,
            'the check-in cadence of everyone in it, or "learned" from each person\'s rhythm',
        ),
        Entry("min_cadence", Duration(), REQUIRED, "a learned cadence is at least this"),
        Entry(
            "max_cadence",
            Duration(),
            REQUIRED,
            "a learned cadence is at most this (and is this while there is too little history)",
        ),
    ),
)
_COUNT = Whole(0)
_SHARE = Number(0, 1)

# Every key of [policy], in the order of default.toml, which holds the defaults and says more.
POLICY = Table(
    "[policy]",
    (
        Entry("timezone", ZoneName(), REQUIRED, "the owner's time zone (default: [me] time_zone)"),
        Entry(
            "aliases",
            MapOf(Text(hint="an address"), what="addresses"),
            REQUIRED,
            "addresses that are the same person: alias -> canonical address",
            convert=_aliases,
        ),
        Entry("ignore_addresses", Strings(), REQUIRED, "never people", convert=_addresses),
        Entry(
            "ignore_domains", Strings(), REQUIRED, "nobody at these is a person", convert=_domains
        ),
        Entry("never_draft", Strings(), REQUIRED, "tracked, never drafted for", convert=_addresses),
        Entry(
            "automated_localparts",
            Strings(),
            REQUIRED,
            "local parts that mean a machine wrote or reads the mail (separators ignored)",
            convert=lambda v: frozenset(squeeze(s) for s in v),
        ),
        Entry("max_recipients", _COUNT, REQUIRED, "a message to more people resets no cadence"),
        Entry("cc_weight", _SHARE, REQUIRED, "how much Cc counts (To counts 1)"),
        Entry(
            "max_meeting_size", _COUNT, REQUIRED, "larger meetings (owner included) do not count"
        ),
        Entry("group_meeting_weight", _SHARE, REQUIRED, "how much a small group meeting counts"),
        Entry(
            "received_counts",
            Choice("never", "replies", "always"),
            REQUIRED,
            "whether received mail resets the check-in cadence",
        ),
        Entry("relationship_min_sent", _COUNT, REQUIRED, "days the owner wrote to them, at least"),
        Entry(
            "relationship_min_received", _COUNT, REQUIRED, "days they wrote to the owner, at least"
        ),
        Entry("relationship_min_meetings", _COUNT, REQUIRED, "or this many small meetings"),
        Entry("pinned", Strings(), REQUIRED, "always relationships", convert=_addresses),
        Entry("few_recipients", _COUNT, REQUIRED, "a message to at most this many is direct"),
        Entry("reply_owed_within", Duration(), REQUIRED, "an unanswered direct message is owed"),
        Entry(
            "checkin_ties",
            Choice("warm", "any"),
            REQUIRED,
            'which relationships are owed check-ins: "warm" ones (social signals, a small '
            'meeting, pinned, moved) or "any"',
        ),
        Entry(
            "warm_min_social",
            Whole(1),
            REQUIRED,
            "shared threads with a social or personal subject that make a tie warm",
        ),
        Entry(
            "social_topic_within",
            Duration(),
            REQUIRED,
            "a check-in recalls a shared occasion only this recent",
        ),
        Entry(
            "near_daily_window",
            Duration(),
            REQUIRED,
            "how far before the last exchange a tie's rhythm is read",
        ),
        Entry(
            "near_daily_min_days",
            Whole(1),
            REQUIRED,
            "days with an exchange in that window that make a tie near-daily",
        ),
        Entry(
            "near_daily_horizon",
            Duration(),
            REQUIRED,
            "a near-daily tie silent for less than this is not a lapse",
        ),
        Entry(
            "circle_window",
            Duration(),
            REQUIRED,
            "small-group mail from a third party with them this recent holds a check-in",
        ),
        Entry(
            "left_organisation_quiet",
            Duration(),
            REQUIRED,
            "a colleague at your own organisation in your mail this recent is a co-worker (no "
            "check-in); silent longer while others there kept writing, they may have left it",
        ),
        Entry(
            "left_organisation_colleagues",
            Whole(0),
            REQUIRED,
            "others at your organisation who must write after that silence to hold a check-in "
            "to the old address (0: neither hold)",
        ),
        Entry("thank_you_window", Duration(), REQUIRED, "after a meeting, for a thank-you"),
        Entry(
            "thank_you_for",
            Choice("every", "occasional", "never"),
            REQUIRED,
            "which meetings earn a thank-you",
        ),
        Entry("occasional_gap", Duration(), REQUIRED, "a meeting after this long is occasional"),
        Entry("follow_up_after", _COUNT, REQUIRED, "business days without a reply"),
        Entry("max_follow_ups", _COUNT, REQUIRED, "follow-ups per thread"),
        Entry("follow_up_expires", Duration(), REQUIRED, "older threads are left to check-ins"),
        Entry(
            "reply_drafts",
            Flag(),
            REQUIRED,
            "draft the reply owed to a person's direct mail, in their thread",
        ),
        Entry("reply_after", _COUNT, REQUIRED, "business days their mail waits for a reply draft"),
        Entry(
            "out_of_office_pause", Duration(), REQUIRED, "an out-of-office reply pauses this long"
        ),
        Entry(
            "rejection_pause", Duration(), REQUIRED, "a rejected draft holds its person this long"
        ),
        Entry("congrats_window", Duration(), REQUIRED, "a birthday or anniversary within this"),
        Entry(
            "job_change_min_run",
            Duration(),
            REQUIRED,
            "mail from one domain this long, then from another: they moved",
        ),
        Entry(
            "personal_domains",
            Strings(),
            REQUIRED,
            "personal mailbox domains: a move to one is a new address, not a new job",
            convert=_domains,
        ),
        Entry(
            "dormant_after", Duration(), REQUIRED, "no check-ins after this long without contact"
        ),
        Entry(
            "learned_factor",
            Number(0, above=True),
            REQUIRED,
            "a learned cadence is this times the median gap",
        ),
        Entry("learned_min_gaps", _COUNT, REQUIRED, "gaps needed before a rhythm is learned"),
        Entry(
            "offer_call",
            Choice("never", "met", "always"),
            REQUIRED,
            "when a draft may offer a call",
        ),
        Entry(
            "sensitive_topics",
            Strings(),
            REQUIRED,
            "subjects with these words are never quoted",
            convert=lambda v: frozenset(w.lower() for w in v),
        ),
        Entry("max_drafts_per_run", _COUNT, REQUIRED, "drafts one run may create"),
        Entry("max_drafts_per_day", _COUNT, REQUIRED, "drafts one day may create"),
        Entry(
            "introduce_every",
            Duration(),
            REQUIRED,
            "at most one new introduction suggestion this often",
        ),
        Entry(
            "cadence",
            MapOf(Duration(), what="durations"),
            REQUIRED,
            'per-person cadence by address: "alice@example.com" = "45d"',
            convert=_cadence,
        ),
        Entry(
            "tiers",
            MapOf(Section(TIER), what="tiers"),
            REQUIRED,
            "bands of strength with their cadence: [policy.tiers.NAME]",
        ),
    ),
)


def _tiers(tables: Mapping[str, Mapping[str, Any]]) -> tuple[Tier, ...]:
    tiers = []
    for name, table in tables.items():
        cadence = table["cadence"]
        tier = Tier(
            name=name,
            min_strength=table["min_strength"],
            cadence=None if cadence == LEARN else cadence,
            min_cadence=table["min_cadence"],
            max_cadence=table["max_cadence"],
        )
        if tier.min_cadence > tier.max_cadence:
            raise PolicyError(
                f"policy.tiers.{name}: min_cadence must not be longer than max_cadence",
                advice=f'swap them, or write min_cadence = "{table["max_cadence"].days}d" or less',
            )
        tiers.append(tier)
    if not any(t.min_strength == 0 for t in tiers):
        raise PolicyError(
            "policy.tiers must have a tier with min_strength = 0, so everyone has a tier",
            advice="set min_strength = 0.0 in the weakest tier",
        )
    return tuple(sorted(tiers, key=lambda t: (-t.min_strength, t.name)))


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@cache
def default_text() -> str:
    """The shipped default.toml (the only file rules/ reads: its own package data)."""
    return resources.files("touchbase.rules").joinpath("default.toml").read_text(encoding="utf-8")


def default_table() -> dict[str, Any]:
    return dict(tomllib.loads(default_text())["policy"])


@cache
def _shipped() -> Mapping[str, Any]:
    """default_table() parsed once: load_policy only reads it (_merge copies what it changes)."""
    return MappingProxyType(default_table())


def load_policy(table: Mapping[str, Any] | None = None) -> Policy:
    """The default policy with `table` (the contents of a `[policy]` table) merged over it."""
    if table is not None and not isinstance(table, Mapping):
        raise PolicyError(f"policy must be a table, not {toml(table)}", advice="write [policy]")
    try:
        values = POLICY.parse(_merge(_shipped(), table or {}), "policy.")
    except SchemaError as exc:
        raise PolicyError(str(exc), advice=exc.advice) from None
    values["tiers"] = _tiers(values["tiers"])
    return Policy(**values)


def policy_from_toml(text: str) -> Policy:
    """The policy from a whole configuration file's text (its `[policy]` table, if any)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy: not valid TOML: {exc}") from None
    return load_policy(document.get("policy"))


__all__ = [
    "Policy",
    "PolicyError",
    "Tier",
    "default_text",
    "load_policy",
    "parse_duration",
    "policy_from_toml",
]
