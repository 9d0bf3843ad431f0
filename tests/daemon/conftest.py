"""Fixtures for the daemon's in-process tests: an App on a temp database with a settable clock."""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.daemon.fakes import TYPES, write_mailbox
from tests.daemon.harness import write_config
from touchbase.agent.app import App
from touchbase.agent.pipeline import accounts


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class ClockApp(App):
    """The real App, with `now()` from a test clock."""

    def __init__(self, args: Namespace, clock: Clock) -> None:
        super().__init__(args)
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now


@pytest.fixture(autouse=True)
def _test_account_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "FACTORIES", {**accounts.FACTORIES, **TYPES})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(tmp_path: Path, clock: Clock) -> Iterator[Callable[..., ClockApp]]:
    """make_app(accounts, **config) -> an App whose config lists `accounts` (dicts)."""

    def make(account_list: list[dict[str, object]], sync_every: str = "15m") -> ClockApp:
        config = write_config(tmp_path / "config.toml", account_list, sync_every)
        args = Namespace(config=str(config), db=f"sqlite:///{tmp_path / 'touchbase.db'}")
        return ClockApp(args, clock)

    yield make


@pytest.fixture
def mailbox(tmp_path: Path) -> Path:
    path = tmp_path / "mail.jsonl"
    write_mailbox(path, 50)
    return path
