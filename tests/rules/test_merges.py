"""The same display name on a new address is a merge suggestion, never a silent merge."""

from __future__ import annotations

from tests.rules.factory import OWNER, at, policy, received, sent
from touchbase.rules.contacts import fold
from touchbase.rules.merges import name_key, suggest_merges


def test_same_display_name_on_a_new_address_is_suggested_not_merged() -> None:
    items = [
        received(at(1), "bob@old.example", names={"bob@old.example": "Bob Brown"}),
        sent(at(2), "bob.brown@new.example", names={"bob.brown@new.example": "Brown, Bob"}),
        sent(at(3), "other@x.example", names={"other@x.example": "Bob"}),
    ]
    contacts = fold(items, OWNER, policy(received_counts="always"), at(10))
    assert "bob@old.example" in contacts and "bob.brown@new.example" in contacts  # not merged
    (suggestion,) = suggest_merges(contacts.values())
    assert (suggestion.a, suggestion.b) == ("bob@old.example", "bob.brown@new.example")
    assert "bob brown" in suggestion.reason


def test_names_that_say_too_little_suggest_nothing() -> None:
    assert name_key("Bob") is None
    assert name_key("bob@example.com") is None
    assert name_key("'Allen, Phillip K.'") == "phillip k. allen"


def _suggested(*addresses: str) -> set[tuple[str, str]]:
    items = [sent(at(n + 1), a) for n, a in enumerate(addresses)]
    contacts = fold(items, OWNER, policy(received_counts="always"), at(10))
    return {tuple(sorted((s.a, s.b))) for s in suggest_merges(contacts.values())}  # type: ignore[misc]


def test_an_initial_and_surname_pairs_with_the_full_name_it_shortens() -> None:
    pair = ("christina.sanchez@old.example", "csanchez@new.example")
    assert pair in _suggested(*pair)


def test_two_first_names_with_one_initial_are_two_people() -> None:
    # germany-c: jeffrey.hodge@ and john.hodge@ are colleagues, not one person's two addresses;
    # j.hodge@ may be either of them.
    found = _suggested("jeffrey.hodge@enron.example", "john.hodge@enron.example")
    assert found == set()
    both = _suggested(
        "jeffrey.hodge@enron.example", "john.hodge@enron.example", "jhodge@other.example"
    )
    assert ("jeffrey.hodge@enron.example", "john.hodge@enron.example") not in both
    assert ("jeffrey.hodge@enron.example", "jhodge@other.example") in both
