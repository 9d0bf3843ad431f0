"""A person's page keeps the cyclic collector off from reading their history to making the view
(agent/service `_person`): the reading and the view's moments make many objects and no
cycle. It is on again after, also when the page fails."""

from __future__ import annotations

import gc
from datetime import timedelta
from typing import Any

import pytest

from tests.agent.draftfixtures import ME, NOW, mail, store_interactions
from touchbase.agent.pipeline import history
from touchbase.agent.pipeline.config import Config
from touchbase.agent.service import Service, views


def test_the_collector_is_off_from_the_read_to_the_view_and_on_after(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Service(Config(me=ME), f"sqlite:///{tmp_path / 'db.sqlite'}", lambda: NOW)
    records = [
        mail(n, NOW - timedelta(days=n + 1), sender=ME.addresses[0], to=["ada@example.com"])
        for n in range(5)
    ]
    store_interactions(service.sessions, records)
    seen: list[tuple[str, bool]] = []
    read, view = history.load_with_threads, views.person_view

    def reading(*args: Any) -> Any:
        seen.append(("read", gc.isenabled()))
        return read(*args)

    def viewing(*args: Any, **kwargs: Any) -> Any:
        seen.append(("view", gc.isenabled()))
        return view(*args, **kwargs)

    monkeypatch.setattr(history, "load_with_threads", reading)
    monkeypatch.setattr(views, "person_view", viewing)
    was = gc.isenabled()
    gc.enable()
    try:
        page = service.person("ada@example.com", NOW)
        assert len(page.history) == 5
        assert seen == [("read", False), ("view", False)]
        assert gc.isenabled()

        def failing(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the view failed")

        monkeypatch.setattr(views, "person_view", failing)
        with pytest.raises(RuntimeError):
            service.person("ada@example.com", NOW)
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()
