"""`python -m tests.daemon.launch ARGS` = `python -m agent ARGS` with the test account types."""

from __future__ import annotations

from agent.accounts import FACTORIES
from agent.cli import run
from tests.daemon.fakes import TYPES

FACTORIES.update(TYPES)
run()
