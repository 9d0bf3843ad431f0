"""Fixtures for the daemon's in-process tests: a Service on a temp database with a settable
clock, and the cycle's steps built from it (as the daemon builds them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.daemon.fakes import TYPES, write_mailbox
from tests.daemon.harness import write_config
from touchbase.agent.daemon.cycle import CycleContext, CycleResult, Step, run_cycle
from touchbase.agent.daemon.steps import default_steps
from touchbase.agent.pipeline import accounts
from touchbase.agent.pipeline.config import load_config
from touchbase.agent.service import Service


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        return self.now


def cycle(service: Service, steps: list[Step] | None = None, **options: object) -> CycleResult:
    """One cycle of `steps` (default: the daemon's own list) on the service's clock."""
    context = CycleContext(service.clock, **options)  # type: ignore[arg-type]
    return run_cycle(context, default_steps(service) if steps is None else steps)


@pytest.fixture(autouse=True)
def _test_account_types(monkeypatch: pytest.MonkeyPatch) -> None:
    # The registry of account types is configuration, not a cycle global: tests add theirs.
    monkeypatch.setattr(accounts, "FACTORIES", {**accounts.FACTORIES, **TYPES})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_service(tmp_path: Path, clock: Clock) -> Callable[..., Service]:
    """make_service(accounts, sync_every) -> a Service whose config lists `accounts`."""

    def make(account_list: list[dict[str, object]], sync_every: str = "15m") -> Service:
        config = write_config(tmp_path / "config.toml", account_list, sync_every)
        return Service(load_config(config), f"sqlite:///{tmp_path / 'touchbase.db'}", clock)

    return make


@pytest.fixture
def mailbox(tmp_path: Path) -> Path:
    path = tmp_path / "mail.jsonl"
    write_mailbox(path, 50)
    return path
