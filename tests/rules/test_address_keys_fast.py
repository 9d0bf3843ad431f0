"""merges._address_keys' shortcuts (no split of a mailbox name without separators, the first
letter before the scan for one) give the keys the plain form gives, for any address."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules.merges import GENERIC_LOCALS, MIN_LOCAL, MIN_SURNAME, _address_keys

_PIECES = re.compile(r"[._-]+")


def plain_keys(address: str) -> tuple[str, ...]:
    """_address_keys as first written: every mailbox name split, every letter scanned."""
    keys: list[str] = []
    local, _, domain = address.rpartition("@")
    pieces = [p for p in _PIECES.split(local) if p]
    if len(pieces) >= 2 and pieces[-1].isalpha() and len(pieces[-1]) > 1:
        first, last = pieces[0], pieces[-1]
        if first.isalpha():
            form = "i" if len(first) == 1 else "f"
            keys.append(f"{form}:{first[0]} {last}@{domain}")
            if form == "f":
                keys.append(f"n:{first} {last}@{domain}")
                if len(last) >= MIN_SURNAME:
                    keys.append(f"c:{first[0]}{last}")
    squeezed = "".join(pieces)
    if (
        len(squeezed) >= MIN_LOCAL
        and squeezed not in GENERIC_LOCALS
        and any(c.isalpha() for c in squeezed)
    ):
        keys.append(f"l:{squeezed}")
    return tuple(keys)


LOCAL = st.text(alphabet="abcXYZ019._-+é½", max_size=14)


@given(LOCAL, st.sampled_from(["", "@", "@x.example", "@a@b.example"]))
def test_the_same_keys_as_the_plain_form(local: str, rest: str) -> None:
    address = local + rest
    assert _address_keys.__wrapped__(address) == plain_keys(address)


def test_known_addresses() -> None:
    for address in (
        "person1929@org429.example",
        "jane.doe@x.example",
        "j..doe@x.example",
        "christina.sanchez@x.example",
        "123456@x.example",
        "1a2b3c@x.example",
        "info@x.example",
        "-_.@x.example",
        "@x.example",
        "",
    ):
        assert _address_keys.__wrapped__(address) == plain_keys(address), address
