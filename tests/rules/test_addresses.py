"""Addresses: the normal form and the machines."""

from __future__ import annotations

import pytest

from touchbase.rules.addresses import is_automated, normalise, resolve_aliases
from touchbase.rules.policy import load_policy

AUTOMATED = load_policy().automated_localparts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bob@Example.COM", "bob@example.com"),
        (" <bob@example.com> ", "bob@example.com"),
        ("John.Smith+news@gmail.com", "johnsmith@gmail.com"),
        ("john.smith@googlemail.com", "johnsmith@gmail.com"),
        ("john.smith+x@outlook.com", "john.smith+x@outlook.com"),  # dots and tags matter there
        ("k..allen@enron.com", "k..allen@enron.com"),
        ("undisclosed-recipients", "undisclosed-recipients"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "address",
    [
        "noreply@x.example",
        "no-reply@x.example",
        "no_reply@x.example",
        "do-not-reply@x.example",
        "donotreply@x.example",
        "mailer-daemon@x.example",
        "postmaster@x.example",
        "notifications@github.com",
        "notifications+abc@github.com",
        "bounce-123-abc@lists.x.example",
        "noreply.billing@x.example",
    ],
)
def test_machines(address: str) -> None:
    assert is_automated(address, AUTOMATED)


@pytest.mark.parametrize(
    "address", ["alertsmith@x.example", "noreen@x.example", "bob@noreply.example", "info@x.example"]
)
def test_people(address: str) -> None:
    assert not is_automated(address, AUTOMATED)


def test_alias_cycles_terminate() -> None:
    assert resolve_aliases({"a@x": "b@x", "b@x": "a@x"}) == {"a@x": "a@x", "b@x": "b@x"}
