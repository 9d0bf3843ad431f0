"""Outlook bulk signals without bodies (issue 15.8), measured on a generated mailbox.

A mailbox of 40 people (a few of whom Outlook files as Other) and 60 bulk senders (newsletters,
notifications; Outlook files them as Other; 20 have a machine's local part such as noreply@).
A sender "becomes a person" when one of their messages is neither bulk nor automated and their
address is not one the rules' automated_localparts name. Before: what the connector gave without
header look-ups (header_lookups = 0, as before issue 15); after: with them. The figures print
(`pytest -s tests/connectors/test_graph_bulk.py`) and are reported in BENCHMARKS.md's spirit.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.contract import drain, interactions
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import NOW, GraphWorld
from touchbase.connectors.base import Flag, InteractionRecord, Role
from touchbase.connectors.graph.bulk import header_flags
from touchbase.rules.addresses import is_automated
from touchbase.rules.policy import load_policy

ME = "me@example.org"
BULK_HEADERS = (
    (("List-Unsubscribe", "<https://news.example/u/1>"), ("List-Id", "<news.example>")),
    (("Precedence", "bulk"),),
    (("Auto-Submitted", "auto-generated"),),
)


def fill(fake: FakeGraph, seed: int = 15) -> tuple[set[str], set[str]]:
    rng = random.Random(seed)
    people = {f"person{n}@friends{n % 7}.example" for n in range(40)}
    machine = [
        f"{p}@shop{n}.example"
        for n, p in enumerate(["noreply", "newsletter", "notifications", "alerts"] * 5)
    ]
    ordinary = [
        f"{p}@brand{n}.example" for n, p in enumerate(["hello", "team", "anna", "news-team"] * 10)
    ]
    bulk = set(machine) | set(ordinary)
    day = 0
    for sender in sorted(people):
        for _ in range(rng.randint(1, 4)):
            day += 1
            fake.mailbox.add_message(
                "inbox", sender=sender, to=(ME,), subject=f"Hi {day}",
                date=NOW - timedelta(hours=day),
                inference="other" if rng.random() < 0.15 else "focused",
            )  # fmt: skip
    for n, sender in enumerate(sorted(bulk)):
        for _ in range(rng.randint(1, 5)):
            day += 1
            fake.mailbox.add_message(
                "inbox", sender=sender, to=(ME,), subject=f"Offer {day}",
                date=NOW - timedelta(hours=day), headers=BULK_HEADERS[n % 3], inference="other",
            )  # fmt: skip
    return people, bulk


def as_people(items: list[InteractionRecord]) -> set[str]:
    localparts = load_policy().automated_localparts
    found = set()
    for item in items:
        if item.flags & {Flag.BULK, Flag.AUTOMATED}:
            continue
        found |= {a for a in item.addresses(Role.FROM) if not is_automated(a, localparts)}
    return found


@pytest.fixture
def world() -> Iterator[GraphWorld]:
    with FakeGraph() as fake:
        world = GraphWorld(fake, settings={"calendar": False, "page_size": 50})
        yield world
        world.close()


def test_list_headers_of_other_mail_keep_bulk_senders_from_becoming_people(
    world: GraphWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    people, bulk = fill(world.fake)
    before = as_people(interactions(drain(world.account(header_lookups=0), None)[0]))
    world.fake.log.clear()
    after = as_people(interactions(drain(world.account(), None)[0]))
    lookups = sum("/me/messages/" in e.path and "/delta" not in e.path for e in world.fake.log)
    with capsys.disabled():
        print(
            f"\nbulk senders as people: before {len(before & bulk)} of {len(bulk)}, "
            f"after {len(after & bulk)}; people kept: before {len(before & people)}, "
            f"after {len(after & people)} of {len(people)}; header look-ups {lookups}"
        )
    assert before & people == after & people == people, "a person was hidden"
    assert len(before & bulk) == 40  # the 20 noreply@-like ones the rules knew already
    assert after & bulk == set()
    assert lookups <= len(bulk) + len(people), "looked up more than once per sender"


def test_the_look_up_budget_bounds_the_requests(world: GraphWorld) -> None:
    fill(world.fake)
    drain(world.account(header_lookups=7), None)
    lookups = sum("/me/messages/" in e.path and "/delta" not in e.path for e in world.fake.log)
    assert lookups == 7


def test_header_flags_read_what_the_rfcs_say() -> None:
    # List-Id (RFC 2919), List-Unsubscribe (RFC 2369), Precedence: bulk, Auto-Submitted (RFC 3834)
    def flags(*pairs: tuple[str, str]) -> frozenset[Flag]:
        return header_flags([{"name": n, "value": v} for n, v in pairs])

    assert flags(("List-Id", "<x.example>")) == {Flag.BULK}
    assert flags(("precedence", " List ")) == {Flag.BULK}
    assert flags(("Auto-Submitted", "auto-replied")) == {Flag.AUTOMATED}
    assert flags(("Auto-Submitted", "no")) == frozenset()
    assert header_flags(None) == frozenset()
