"""Who is who: the owner, people (one or more addresses), and addresses that are never people."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from touchbase.rules.addresses import domain_of, is_automated, normalise
from touchbase.rules.policy import Policy

# Why an address is not a person (rule names, as they appear in traces).
IGNORED_ADDRESS = "ignored-address"
IGNORED_DOMAIN = "ignored-domain"
AUTOMATED_ADDRESS = "automated-address"


@dataclass(frozen=True, slots=True)
class Identities:
    """What the caller knows about identity, beyond the policy's aliases.

    `me`: the owner's addresses (from every account). `people`: address -> person key, from
    explicit merges (`touchbase people merge`) and an imported contacts file; an address not in
    it is its own person, keyed by its normal form. `names`: person key -> the name the owner
    set or a contacts file gave, which wins over any name seen in mail.
    """

    me: frozenset[str] = frozenset()
    people: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(
        cls,
        me: object,
        people: Mapping[str, str] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> Identities:
        """Normalise what a caller hands over (any iterable of owner addresses)."""
        owner = frozenset(normalise(a) for a in me if a.strip())  # type: ignore[attr-defined]
        table = {normalise(a): key for a, key in (people or {}).items()}
        return cls(
            me=owner,
            people=MappingProxyType(table),
            names=MappingProxyType({k: v for k, v in (names or {}).items() if v}),
        )


class Who(NamedTuple):
    """An address resolved: its normal form, its person, and why it is not a person (if so)."""

    address: str
    person: str
    excluded: str | None


OWNER = Who("", "", None)  # the owner's own addresses resolve to this one value


class Resolver(dict[str, Who]):
    """Raw address -> Who, as a dict that fills itself: a fold meets the same few thousand
    addresses millions of times, and `resolver[address]` is then one C-level lookup."""

    __slots__ = ("_aliases", "_automated", "_domains", "_ignore", "_me", "_people")

    def __init__(self, identities: Identities, policy: Policy) -> None:
        super().__init__()
        self._me = identities.me
        self._people = identities.people
        self._aliases = policy.aliases
        self._ignore = policy.ignore_addresses
        self._domains = policy.ignore_domains
        self._automated = policy.automated_localparts

    def __missing__(self, raw: str) -> Who:
        found = self[raw] = self._resolve(raw)
        return found

    def _resolve(self, raw: str) -> Who:
        address = normalise(raw)
        address = self._aliases.get(address, address)
        if address in self._me:
            return OWNER
        return Who(address, self._people.get(address, address), self._exclusion(address))

    def _exclusion(self, address: str) -> str | None:
        if address in self._ignore:
            return IGNORED_ADDRESS
        domain = domain_of(address)
        if domain in self._domains or any(domain.endswith("." + d) for d in self._domains):
            return IGNORED_DOMAIN
        if is_automated(address, self._automated):
            return AUTOMATED_ADDRESS
        return None

    def is_owner(self, raw: str) -> bool:
        return self[raw] is OWNER
