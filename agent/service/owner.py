"""The owner's own addresses, as the service's face of agent.pipeline.owner: the one list every
front end and step uses, what the mail taught, and the owner's word on offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline import owner
from touchbase.rules.addresses import normalise
from touchbase.rules.owner import Finding

if TYPE_CHECKING:
    from touchbase.agent.service import Service


@dataclass(frozen=True)
class OwnerReview:
    """What a look at the mail found: addresses learned as the owner's now, addresses offered
    (with why and the command that accepts each), and how many stored messages the owner sent
    (0: nothing can be counted until an address of theirs is known)."""

    learned: tuple[Finding, ...]
    offered: tuple[Finding, ...]
    sent_by_owner: int


@dataclass(frozen=True)
class OwnerAddresses:
    """Every address of the owner's by where it came from, for `touchbase me`."""

    configured: tuple[str, ...]
    remembered: tuple[str, ...]
    learned: tuple[dict[str, str], ...]
    declined: tuple[str, ...]


class Owner:
    """`service.owner`: whose mail this is."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def addresses(self) -> tuple[str, ...]:
        """The one list: configured, remembered from `import --me`, learned from the mail."""
        with self._service.sessions() as session:
            return owner.addresses(session, self._service.config.me.addresses)

    def sources(self) -> OwnerAddresses:
        with self._service.sessions() as session:
            return OwnerAddresses(
                tuple(normalise(a) for a in self._service.config.me.addresses),
                tuple(owner.remembered(session)),
                tuple(owner.learned(session)),
                tuple(owner.declined(session)),
            )

    def remember(self, addresses: list[str]) -> None:
        """Addresses given with `import --me`."""
        with self._service.sessions.begin() as session:
            owner.remember(session, addresses)

    def review(self) -> OwnerReview:
        """Look at the stored mail for the owner's addresses: clear ones are learned (unless
        `[me] learn_addresses = false`), the rest offered. Cheap: a few grouped counts."""
        me = self._service.config.me
        with self._service.sessions.begin() as session:
            learned, offered = owner.review(
                session, me.addresses, me.name, self._service.now(), learn=me.learn_addresses
            )
            mine = owner.addresses(session, me.addresses)
            sent = owner.sent_by_owner(session, mine)
        return OwnerReview(tuple(learned), tuple(offered), sent)

    def offers(self) -> tuple[Finding, ...]:
        """Addresses that may be the owner's, not yet accepted or declined (nothing learned)."""
        me = self._service.config.me
        with self._service.sessions() as session:
            _learned, offered = owner.review(
                session, me.addresses, me.name, self._service.now(), learn=False
            )
        return tuple(offered)

    def accept(self, address: str) -> str:
        """The owner says `address` is theirs; its normal form."""
        address = _checked(address)
        with self._service.sessions.begin() as session:
            owner.accept(session, address, "you said so (touchbase me add)", self._service.now())
        return normalise(address)

    def decline(self, address: str) -> str:
        """The owner says `address` is not theirs (never offered or counted as theirs again)."""
        address = _checked(address)
        if normalise(address) in {normalise(a) for a in self._service.config.me.addresses}:
            raise UserError(
                f"{address} is in your configuration's [me] addresses",
                advice="remove it there; touchbase does not edit your configuration file",
            )
        with self._service.sessions.begin() as session:
            owner.decline(session, address)
        return normalise(address)


def _checked(address: str) -> str:
    text = address.strip()
    if "@" not in text or any(ch.isspace() for ch in text):
        raise UserError(f"{address!r} is not an e-mail address")
    return text
