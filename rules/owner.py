"""Which addresses are the owner's: found from the mail itself, with the evidence.

The mail in a Sent folder was sent by the owner, so an address that sends a good share of it is
theirs (an old address, a second login, an alias). A few messages from another address there
are more likely an assistant's or a delegate's: offered, not assumed. An address that carries
the owner's own display name, that a large share of the received mail is addressed to, or whose
mailbox name spells the owner's name, is offered too. The owner accepts or declines each offer;
nothing is guessed silently. Pure: counts in, findings out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NamedTuple

from touchbase.rules.addresses import is_automated, normalise
from touchbase.rules.merges import name_key

CLEAR_SHARE = 0.10  # of the Sent folders' mail: an address sending this much is the owner's
CLEAR_MIN = 5  # ...and at least this many messages
OFFER_MIN = 2  # fewer messages from an address in Sent say nothing
RECEIVED_SHARE = 0.10  # of the received mail addressed To one address: probably the owner's
RECEIVED_MIN = 20
NAME_MIN = 4  # a surname shorter than this is too common inside other words


class Evidence(NamedTuple):
    """What the mail says about addresses, counted by the caller.

    `sent_from`: address -> (messages in Sent folders it sent, a display name it used there).
    `sent_total`: messages in Sent folders. `received_to`: address -> received messages (not
    from an owner address) addressed To it alone. `received_total`: all received messages. `named`:
    address -> a display name it carries anywhere. `written_to`: address -> messages the owner
    sent To it.
    """

    sent_from: Mapping[str, tuple[int, str]]
    sent_total: int
    received_to: Mapping[str, int]
    received_total: int
    named: Mapping[str, str]
    written_to: Mapping[str, int]


class Finding(NamedTuple):
    """An address that looks like the owner's: `clear` ones are taken on their own (when the
    owner lets touchbase learn addresses), the others offered with `why`."""

    address: str
    clear: bool
    why: str


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def surname_of(owner_name: str) -> str | None:
    """The owner's surname, lower-cased, when it is long enough to mean something inside a
    mailbox name ("germany" in wdgermanyjr@); None otherwise."""
    key = name_key(owner_name)
    if key is None:
        return None
    last = key.split(" ")[-1]
    return last if len(last) >= NAME_MIN and last.isalpha() else None


def find_owner_addresses(
    evidence: Evidence,
    mine: Collection[str],
    owner_name: str = "",
    declined: Collection[str] = (),
    automated: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Addresses that look like the owner's and are not yet known as theirs (nor declined),
    clear ones first, then the rest by address."""
    known = {normalise(a) for a in (*mine, *declined)}
    found: dict[str, Finding] = {}

    def offer(address: str, clear: bool, why: str) -> None:
        address = normalise(address)
        if address in known or "@" not in address or is_automated(address, automated):
            return
        held = found.get(address)
        if held is None or (clear and not held.clear):
            found[address] = Finding(address, clear, why)

    me_name = name_key(owner_name) if owner_name else None
    for address, (count, name) in evidence.sent_from.items():
        if count < OFFER_MIN:
            continue
        share = count / evidence.sent_total if evidence.sent_total else 0.0
        other_name = bool(me_name and name and name_key(name) not in (None, me_name))
        clear = share >= CLEAR_SHARE and count >= CLEAR_MIN and not other_name
        where = f"sent {count} of the {evidence.sent_total} messages in your Sent folders"
        offer(address, clear, where if clear else f"{where}: yours, or an assistant's?")
    if me_name:
        for address, name in evidence.named.items():
            if name_key(name) == me_name:
                offer(address, False, f'carries your name, "{name}"')
    for address, count in evidence.received_to.items():
        if count >= RECEIVED_MIN and count >= RECEIVED_SHARE * evidence.received_total:
            part = _pct(count, evidence.received_total)
            offer(address, False, f"{part} of the mail you received was addressed to it alone")
    surname = surname_of(owner_name)
    if surname:
        for address, count in evidence.written_to.items():
            local = address.rpartition("@")[0].lower()
            if surname in local and count >= OFFER_MIN:
                offer(address, False, f"its name looks like yours; you wrote to it {count} times")
    return sorted(found.values(), key=lambda f: (not f.clear, f.address))
