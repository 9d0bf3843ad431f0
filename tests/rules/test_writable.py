"""rules/addresses.py is_writable matches a domain whole, in one search: the same answer as a
search per label (each label `^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$`), for any address."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from touchbase.rules.addresses import _DOT_ATOM, is_writable

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def plain_writable(address: str) -> bool:
    """is_writable as first written: the domain split, each label searched alone."""
    local, at, domain = address.rpartition("@")
    return bool(
        at
        and len(address) <= 254
        and len(local) <= 64
        and _DOT_ATOM.match(local)
        and "." in domain
        and all(_LABEL.match(label) for label in domain.split("."))
    )


@given(st.text(alphabet="ab-.@\n\t Z9_é", max_size=14))
def test_the_same_answer_as_a_search_per_label(address: str) -> None:
    assert is_writable(address) == plain_writable(address)


@given(st.lists(st.text(alphabet="ab-\n9", max_size=5), min_size=1, max_size=4))
def test_domains_of_any_labels(labels: list[str]) -> None:
    address = "ann@" + ".".join(labels)
    assert is_writable(address) == plain_writable(address)


def test_known_addresses() -> None:
    for address, writable in (
        ("ann@x.example", True),
        ("k..allen@enron.com", False),
        (".shemin@x.example", False),
        ("ann@localhost", False),
        ("ann@-x.example", False),
        ("ann@x-.example", False),
        ("ann@x..example", False),
        ("ann@x.example.", False),
        ("ann@" + "b" * 63 + ".example", True),
        ("ann@" + "b" * 64 + ".example", False),
        ("a" * 64 + "@x.example", True),
        ("a" * 65 + "@x.example", False),
        ("ann@x.example\n", True),  # a label's `$` passes one newline after it
        ("ann@x\n.example", True),
        ("ann@x.example\n\n", False),
        ("ann@x.example" + "e" * 250, False),
    ):
        assert is_writable(address) is writable, address
        assert plain_writable(address) is writable, address
