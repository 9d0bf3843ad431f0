"""`touchbase plan` and `people` keep what their evaluation made out of the cyclic collector's
walks (agent/cli/startup.py `kept`): frozen when the console script's start-up froze the
imports, left to the collector as before otherwise, and the collector on again either way."""

from __future__ import annotations

import gc
from types import SimpleNamespace
from typing import Any

import pytest

from touchbase.agent.cli import startup
from touchbase.agent.cli.startup import kept as _kept


def test_the_evaluation_is_frozen_after_a_frozen_start_up_and_the_collector_is_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app: Any = SimpleNamespace(service="the service")
    was = gc.isenabled()
    try:
        gc.enable()
        monkeypatch.setattr(startup, "_froze", False)
        startup.pause()  # the console script's start-up (agent/cli/startup.py)
        startup.settle()
        assert gc.isenabled() and startup._froze
        before = gc.get_freeze_count()
        with _kept(app) as service:
            assert service == "the service"
            assert not gc.isenabled()  # paused to the evaluation's end
            made = [[n] for n in range(5000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(made)

        # No frozen start-up (a test calling main): nothing frozen, the collector as before.
        gc.unfreeze()
        monkeypatch.setattr(startup, "_froze", False)
        with _kept(app):
            more = [[n] for n in range(5000)]
        assert gc.get_freeze_count() == 0 and gc.isenabled() and len(more) == 5000

        # A collector the caller turned off stays off.
        gc.disable()
        with _kept(app):
            pass
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        if was:
            gc.enable()
        else:
            gc.disable()
