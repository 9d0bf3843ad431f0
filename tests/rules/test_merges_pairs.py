"""merges._pairs keeps a list only for a key two or more people share (issue 16): the same
pairs, with the same contacts and key, in the same order, as grouping every key in a list."""

from __future__ import annotations

from typing import Any, NamedTuple, cast

from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules.contacts import Contact
from touchbase.rules.merges import _pairs, likely_same_key


class Person(NamedTuple):
    """What _pairs reads of a contact."""

    person: str
    addresses: tuple[str, ...]
    name: str
    name_guessed: bool


def plain_pairs(contacts: list[Any]) -> dict[tuple[str, str], tuple[Any, Any, str]]:
    """_pairs as first written: every key's people in a list, every list looked at."""
    groups: dict[str, list[Any]] = {}
    for contact in contacts:
        for key in dict.fromkeys(likely_same_key(contact)):
            groups.setdefault(key, []).append(contact)
    pairing = []
    for key, group in groups.items():
        form = key[:2]
        if form == "i:":
            partners = groups.get("f:" + key[2:], [])
        elif form == "c:":
            partners = groups.get("l:" + key[2:], [])
        elif form == "f:":
            continue
        else:
            partners = group if len(group) > 1 else []
        if partners:
            pairing.append((key, group, partners))
    pairing.sort(key=lambda p: p[0])
    found: dict[tuple[str, str], tuple[Any, Any, str]] = {}
    for key, group, partners in pairing:
        for a in group:
            for b in partners:
                if a.person != b.person:
                    found.setdefault(tuple(sorted((a.person, b.person))), (a, b, key))
    return found


# Few letters and domains, so that keys meet: jane.doe@, j.doe@, jdoe@, doe.jane@...
LOCALS = st.sampled_from(
    ["jane.doe", "j.doe", "jdoe", "jane_doe", "janedoe", "j-doe", "c.sanchez", "csanchez",
     "christina.sanchez", "info", "sales", "x", "jane", "doejane", "jane.d"]
)  # fmt: skip
DOMAINS = st.sampled_from(["a.example", "b.example"])
ADDRESSES = st.builds(lambda local, domain: f"{local}@{domain}", LOCALS, DOMAINS)
NAMES = st.sampled_from(["", "Jane Doe", "Doe, Jane", "Bob", "Christina Sanchez"])


@st.composite
def people(draw: st.DrawFn) -> list[Person]:
    out = []
    for n, addresses in enumerate(draw(st.lists(st.lists(ADDRESSES, min_size=1, max_size=3)))):
        person = addresses[0] if draw(st.booleans()) else f"p{n}"  # a key twice, now and then
        out.append(Person(person, tuple(addresses), draw(NAMES), draw(st.booleans())))
    return out


@given(people())
def test_the_same_pairs_in_the_same_order(contacts: list[Person]) -> None:
    found = _pairs(cast(list[Contact], contacts))
    assert list(found.items()) == list(plain_pairs(contacts).items())
