"""Policy: the `[policy]` TOML table, merged over default.toml, validated into frozen values.

Every mistake is reported by key with what is expected, e.g.
`policy.tiers.inner.cadence: expected a duration like "36h", "30d" or "2y", got "monthly"`.
Reading files is the caller's business: pass a parsed table or TOML text. The one exception is
`default_text()`, which reads the shipped default.toml from this package.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from touchbase.rules.addresses import normalise, resolve_aliases, squeeze


class PolicyError(ValueError):
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
    thank_you_window: timedelta
    thank_you_for: str
    occasional_gap: timedelta
    follow_up_after: int
    max_follow_ups: int
    follow_up_expires: timedelta
    out_of_office_pause: timedelta
    rejection_pause: timedelta
    congrats_window: timedelta
    dormant_after: timedelta
    learned_factor: float
    learned_min_gaps: int
    offer_call: str
    sensitive_topics: frozenset[str]
    max_drafts_per_run: int
    max_drafts_per_day: int
    cadence: Mapping[str, timedelta]
    tiers: tuple[Tier, ...]  # strongest first

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdwy])")
_DURATION_HINT = 'a duration like "36h", "30d" or "2y"'


def parse_duration(text: str) -> timedelta:
    """'36h' -> 36 hours; '1d12h' too. Units s, m (minutes), h, d, w, y (365 days)."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _DURATION.sub("", compact):
        raise ValueError(f"not {_DURATION_HINT}: {text!r}")
    seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(compact))
    return timedelta(seconds=seconds)


def _where(path: str, message: str) -> PolicyError:
    return PolicyError(f"{path}: {message}")


def _got(value: Any) -> str:
    return f"got {value!r} ({type(value).__name__})"


def _int(path: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _where(path, f"expected a whole number >= 0, {_got(value)}")
    return value


def _fraction(path: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _where(path, f"expected a number from 0 to 1, {_got(value)}")
    return float(value)


def _positive(path: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _where(path, f"expected a number > 0, {_got(value)}")
    return float(value)


def _duration(path: str, value: Any) -> timedelta:
    if not isinstance(value, str):
        raise _where(path, f"expected {_DURATION_HINT}, {_got(value)}")
    try:
        return parse_duration(value)
    except ValueError:
        raise _where(path, f"expected {_DURATION_HINT}, got {value!r}") from None


def _strings(path: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _where(path, f"expected a list of strings, {_got(value)}")
    return value


def _addresses(path: str, value: Any) -> frozenset[str]:
    return frozenset(normalise(v) for v in _strings(path, value))


def _domains(path: str, value: Any) -> frozenset[str]:
    return frozenset(v.strip().lower().lstrip("@") for v in _strings(path, value))


def _timezone(path: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _where(path, f"expected an IANA time zone name like 'Europe/Paris', {_got(value)}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        hint = f"expected an IANA time zone name like 'Europe/Paris', got {value!r}"
        raise _where(path, hint) from None
    return value


def _choice(path: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        listed = ", ".join(f'"{c}"' for c in choices)
        raise _where(path, f"expected one of {listed}, got {value!r}")
    return str(value)


def _received(path: str, value: Any) -> str:
    return _choice(path, value, ("never", "replies", "always"))


def _table(path: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _where(path, f"expected a table, {_got(value)}")
    return value


def _aliases(path: str, value: Any) -> Mapping[str, str]:
    table = _table(path, value)
    for key, target in table.items():
        if not isinstance(target, str):
            raise _where(f"{path}.{key}", f"expected an address, {_got(target)}")
    return MappingProxyType(resolve_aliases(table))


def _cadence(path: str, value: Any) -> Mapping[str, timedelta]:
    table = _table(path, value)
    return MappingProxyType({normalise(k): _duration(f"{path}.{k}", v) for k, v in table.items()})


LEARN = "learned"  # a tier's cadence learned from each person's rhythm
_TIER_KEYS = ("min_strength", "cadence", "min_cadence", "max_cadence")


def _tiers(path: str, value: Any) -> tuple[Tier, ...]:
    tiers = []
    for name, raw in _table(path, value).items():
        where = f"{path}.{name}"
        table = _table(where, raw)
        _no_unknown(where, table, _TIER_KEYS)
        for key in _TIER_KEYS:
            if key not in table and key != "cadence":
                raise _where(f"{where}.{key}", "missing; every tier needs it")
        cadence = table.get("cadence", LEARN)
        tier = Tier(
            name=name,
            min_strength=_fraction(f"{where}.min_strength", table["min_strength"]),
            cadence=None if cadence == LEARN else _duration(f"{where}.cadence", cadence),
            min_cadence=_duration(f"{where}.min_cadence", table["min_cadence"]),
            max_cadence=_duration(f"{where}.max_cadence", table["max_cadence"]),
        )
        if tier.min_cadence > tier.max_cadence:
            raise _where(where, "expected min_cadence <= max_cadence")
        tiers.append(tier)
    if not any(t.min_strength == 0 for t in tiers):
        raise _where(path, "expected a tier with min_strength = 0, so everyone has a tier")
    return tuple(sorted(tiers, key=lambda t: (-t.min_strength, t.name)))


_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "timezone": _timezone,
    "aliases": _aliases,
    "ignore_addresses": _addresses,
    "ignore_domains": _domains,
    "never_draft": _addresses,
    "automated_localparts": lambda p, v: frozenset(squeeze(s) for s in _strings(p, v)),
    "max_recipients": _int,
    "cc_weight": _fraction,
    "max_meeting_size": _int,
    "group_meeting_weight": _fraction,
    "received_counts": _received,
    "relationship_min_sent": _int,
    "relationship_min_received": _int,
    "relationship_min_meetings": _int,
    "pinned": _addresses,
    "few_recipients": _int,
    "reply_owed_within": _duration,
    "thank_you_window": _duration,
    "thank_you_for": lambda p, v: _choice(p, v, ("every", "occasional", "never")),
    "occasional_gap": _duration,
    "follow_up_after": _int,
    "max_follow_ups": _int,
    "follow_up_expires": _duration,
    "out_of_office_pause": _duration,
    "rejection_pause": _duration,
    "congrats_window": _duration,
    "dormant_after": _duration,
    "learned_factor": _positive,
    "learned_min_gaps": _int,
    "offer_call": lambda p, v: _choice(p, v, ("never", "met", "always")),
    "sensitive_topics": lambda p, v: frozenset(w.strip().lower() for w in _strings(p, v)),
    "max_drafts_per_run": _int,
    "max_drafts_per_day": _int,
    "cadence": _cadence,
    "tiers": _tiers,
}


def _no_unknown(path: str, table: Mapping[str, Any], known: Any) -> None:
    for key in table:
        if key not in known:
            raise _where(f"{path}.{key}", f"unknown key; expected one of {', '.join(known)}")


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


def load_policy(table: Mapping[str, Any] | None = None) -> Policy:
    """The default policy with `table` (the contents of a `[policy]` table) merged over it."""
    override = _table("policy", table or {})
    _no_unknown("policy", override, _FIELDS)
    merged = _merge(default_table(), override)
    values = {key: check(f"policy.{key}", merged[key]) for key, check in _FIELDS.items()}
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
