"""A person's page folds that person alone (agent/service `_person`, issue 16): the others on
their mail are not folded to be thrown away, and their contact is the one a fold of everyone
makes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import TypeVar

from tests.agent.draftfixtures import ME, NOW, mail, store_interactions
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.evaluation import contacts_at
from touchbase.agent.service import Service
from touchbase.rules.contacts_acc import Acc

OWNER = ME.addresses[0]
CROWD = [f"guest{n}@example.com" for n in range(150)]
T = TypeVar("T")


def _folded(run: Callable[[], T]) -> tuple[int, T]:
    """How many people's totals a fold opened while `run` ran (observed, not replaced)."""
    opened = [0]
    code = Acc.__init__.__code__

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        if event == "call" and frame.f_code is code:
            opened[0] += 1

    sys.setprofile(profile)
    try:
        out = run()
    finally:
        sys.setprofile(None)
    return opened[0], out


def test_a_person_page_folds_them_alone_and_the_same(db_url: str) -> None:
    service = Service(Config(me=ME), db_url, lambda: NOW)
    start = NOW - timedelta(days=400)
    records = [
        mail(n, start + timedelta(days=n), sender=OWNER, to=["ada@example.com"], subject=f"B {n}")
        if n % 3
        else mail(
            n,
            start + timedelta(days=n),
            sender=OWNER,
            to=["ada@example.com", *CROWD[n % 5 :: 5]],
            subject=f"Team {n}",
        )
        for n in range(300)
    ]
    store_interactions(service.sessions, records)

    opened, view = _folded(lambda: service.person("Ada@Example.com", NOW))

    with service.sessions() as session:
        _policy, everyone = contacts_at(
            session, service.config, service.me(), NOW, touching=["ada@example.com"], trace=True
        )
    assert view.contact == everyone["ada@example.com"]
    assert len(everyone) > len(CROWD)  # what the old page folded: Ada and every guest
    # Ada, plus at most a throwaway for a sender outside `only` (rules/contacts.py).
    assert opened <= 2, opened
