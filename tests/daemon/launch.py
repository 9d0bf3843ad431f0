"""`python -m tests.daemon.launch ARGS` = `python -m agent ARGS` with the test account types."""

from __future__ import annotations

from tests.daemon.fakes import TYPES
from touchbase.agent.cli.main import run
from touchbase.agent.pipeline.accounts import FACTORIES

FACTORIES.update(TYPES)
run()
