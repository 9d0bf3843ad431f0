"""The store's party-by-party encoding of `interactions.parties` (cached per participant
object) equals history.encode_parties on the whole tuple, separators in fields included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from touchbase.agent.pipeline import history, rows
from touchbase.connectors.base import Participant, Response, Role

TEXT = st.text(alphabet=["a", "@", ".", " ", "\x1e", "\x1f", "é"], max_size=6)
party = st.builds(
    Participant,
    address=TEXT,
    role=st.sampled_from(list(Role)),
    name=TEXT,
    response=st.one_of(st.none(), st.sampled_from(list(Response))),
    resource=st.booleans(),
    optional=st.booleans(),
    is_self=st.booleans(),
)


def test_the_separator_is_historys() -> None:
    assert rows._PARTY_SEPARATOR == history._PARTY


@settings(max_examples=300, deadline=None)
@given(st.lists(party, max_size=5), st.lists(st.integers(0, 9), max_size=8))
def test_party_by_party_equals_the_whole(parties: list[Participant], picks: list[int]) -> None:
    # Shared objects (as connectors share them) and equal but distinct ones, read twice.
    chosen = [parties[i % len(parties)] for i in picks] if parties else []
    for group in (parties, chosen, [*chosen, *parties]):
        expected = history.encode_parties(group)
        assert rows._encode_parties(group) == expected
        assert rows._encode_parties(tuple(group)) == expected
