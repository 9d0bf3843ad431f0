"""Who people are: names from mail, the owner's own addresses, look-alikes, the address in use."""

from __future__ import annotations

import pytest

from tests.rules.factory import ME, OWNER, at, mail, policy, received, sent
from touchbase.rules.contacts import fold
from touchbase.rules.merges import suggest_merges, twins_of
from touchbase.rules.names import best_name, clean_name, guess_from_address
from touchbase.rules.owner import Evidence, find_owner_addresses
from touchbase.rules.people import Identities

NAMES = {
    "their own display name": ("Jane Doe", "Jane Doe"),
    "quotes come off": ('"Jane Doe"', "Jane Doe"),
    "Last, First is turned round": ("Doe, Jane", "Jane Doe"),
    "an address is not a name": ("jane@example.com", ""),
    "a login is not a name": ("jdoe", ""),
    "a placeholder is not a name": ("e-mail", ""),
    "digits and punctuation are not a name": ("12345", ""),
    "Outlook's (E-mail) tail comes off": ("Leah A. Moss (E-mail)", "Leah A. Moss"),
    "a company in brackets comes off": ("Jo Li (ACME)", "Jo Li"),
    "an apostrophe inside a name stays": ("O'Neil, Pat", "Pat O'Neil"),
    "single quotes round a name come off": ("'Leah Moss'", "Leah Moss"),
    "a bracket alone is no name": ("(E-mail)", ""),
}


@pytest.mark.parametrize(("raw", "clean"), NAMES.values(), ids=list(NAMES))
def test_display_names_are_cleaned(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


GUESSES = {
    "first.last": ("mike.grigsby@enron.com", "Mike Grigsby"),
    "Mc names keep their second capital": ("kirk.mcdaniel@enron.com", "Kirk McDaniel"),
    "first_middle_last with an initial left out": ("jane_q_public@x.example", "Jane Public"),
    "hyphenated first names": ("anne-marie.dupont@x.example", "Anne-Marie Dupont"),
    "an initial first (k..allen) gives nothing": ("k..allen@enron.com", ""),
    "one word (jsmith) gives nothing": ("jsmith@austintx.com", ""),
    "digits give nothing": ("pallen70@hotmail.com", ""),
}


@pytest.mark.parametrize(("address", "name"), GUESSES.values(), ids=list(GUESSES))
def test_names_are_guessed_only_from_addresses_that_spell_one(address: str, name: str) -> None:
    assert guess_from_address(address) == name


def test_their_own_name_beats_others_which_beats_a_guess() -> None:
    assert best_name({"Robert Smith": 2}, {"Bob": 9}, ["bob.smith@x.example"]) == (
        "Robert Smith",
        False,
    )
    assert best_name({}, {"Bob Smith": 1}, ["bob.smith@x.example"]) == ("Bob Smith", False)
    assert best_name({}, {}, ["bob.smith@x.example"]) == ("Bob Smith", True)
    assert best_name({}, {}, ["bsmith@x.example"]) == ("", False)


def test_the_fold_names_people_and_the_owner_set_name_wins() -> None:
    bob, ann = "bob@x.example", "ann.lee@x.example"
    items = [
        sent(at(1), bob, names={bob: "Bobby"}),
        mail(at(2), bob, [ME], names={bob: "Robert Brown"}),
        sent(at(3), ann),
    ]
    contacts = fold(items, OWNER, policy(), at(10))
    assert (contacts[bob].name, contacts[bob].name_guessed) == ("Robert Brown", False)
    assert (contacts[ann].name, contacts[ann].name_guessed) == ("Ann Lee", True)
    named = Identities.of(OWNER.me, {}, {ann: "Annie Lee"})
    assert fold(items, named, policy(), at(10))[ann].name == "Annie Lee"


def test_drafts_go_to_the_address_they_write_from_now() -> None:
    old, new = "bob@old.example", "bob@new.example"
    items = [sent(at(i), old) for i in range(5)] + [received(at(9), new)]
    identities = Identities.of(OWNER.me, {old: "p1", new: "p1"})
    assert fold(items, identities, policy(), at(10))["p1"].address == new


def test_look_alikes_are_offered_with_evidence_and_held_as_twins() -> None:
    items = [
        sent(at(1), "jane.doe@corp.example"),
        sent(at(2), "j..doe@corp.example"),
        sent(at(3), "gthorse@keyad.example"),
        received(at(4), "gthorse@about-cis.example"),
        sent(at(5), "info@one.example"),
        sent(at(6), "info@two.example"),
        sent(at(7), "mary.doe@corp.example"),
    ]
    contacts = fold(items, OWNER, policy(), at(10))
    pairs = {frozenset((s.a, s.b)): s.reason for s in suggest_merges(contacts.values())}
    assert (
        "two spellings of one name"
        in pairs[frozenset(("jane.doe@corp.example", "j..doe@corp.example"))]
    )
    assert (
        "same mailbox name"
        in pairs[frozenset(("gthorse@keyad.example", "gthorse@about-cis.example"))]
    )
    assert frozenset(("info@one.example", "info@two.example")) not in pairs  # generic
    # j..doe could be Jane or Mary: both offered; Jane and Mary are never paired.
    assert frozenset(("jane.doe@corp.example", "mary.doe@corp.example")) not in pairs
    twins = twins_of(contacts.values())
    assert [c.person for c in twins["gthorse@keyad.example"]] == ["gthorse@about-cis.example"]


def evidence(**kw: object) -> Evidence:
    base: dict[str, object] = {
        "sent_from": {},
        "sent_total": 0,
        "received_to": {},
        "received_total": 0,
        "named": {},
        "written_to": {},
    }
    base.update(kw)
    return Evidence(**base)  # type: ignore[arg-type]


def test_an_address_sending_a_good_share_of_the_sent_folders_is_the_owners() -> None:
    found = find_owner_addresses(
        evidence(
            sent_from={
                "me@work.example": (1200, ""),
                "me@old.example": (300, ""),
                "assistant@work.example": (8, "Ina Rangel"),
                "someone@x.example": (1, ""),
            },
            sent_total=1509,
        ),
        ["me@work.example"],
        "Phil Allen",
    )
    assert [(f.address, f.clear) for f in found] == [
        ("me@old.example", True),
        ("assistant@work.example", False),
    ]
    assert "300 of the 1509" in found[0].why and "assistant" in found[1].why


def test_another_persons_name_in_the_sent_folder_is_only_offered() -> None:
    found = find_owner_addresses(
        evidence(sent_from={"boss@x.example": (400, "Ken Lay")}, sent_total=1000),
        ["me@x.example"],
        "Phil Allen",
    )
    assert [(f.address, f.clear) for f in found] == [("boss@x.example", False)]


def test_names_received_shares_and_mailbox_names_are_offered_not_taken() -> None:
    found = find_owner_addresses(
        evidence(
            named={"p.allen@home.example": "Phil Allen", "x@y.example": "Someone Else"},
            received_to={"pallen@work.example": 200, "team@work.example": 5},
            received_total=1000,
            written_to={"pallen70@hotmail.example": 100, "allen.family@x.example": 1},
        ),
        ["phil@work.example"],
        "Phil Allen",
        declined=["allen.family@x.example"],
    )
    assert {f.address: f.clear for f in found} == {
        "p.allen@home.example": False,
        "pallen@work.example": False,
        "pallen70@hotmail.example": False,
    }


def test_declined_and_known_addresses_are_never_offered_again() -> None:
    found = find_owner_addresses(
        evidence(sent_from={"a@x.example": (50, ""), "b@x.example": (50, "")}, sent_total=100),
        ["a@x.example"],
        declined=["B@x.example"],
    )
    assert found == []
