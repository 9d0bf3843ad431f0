"""What every command shares: the configuration, the database and the owner's addresses, opened
lazily so that `touchbase init` works before any of them exists."""

from __future__ import annotations

import json
import os
from argparse import Namespace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.config import Config, data_dir, default_db_url, load_config
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import AppState
from touchbase.agent.pipeline.store import Store

EXTRA_ME_KEY = "me.extra_addresses"  # owner addresses given with `import --me`, remembered


class App:
    """One command's view of touchbase."""

    def __init__(self, args: Namespace) -> None:
        self.args = args

    @cached_property
    def config(self) -> Config:
        path = getattr(self.args, "config", None)
        return load_config(Path(path).expanduser() if path else None)

    @cached_property
    def db_url(self) -> str:
        return (
            getattr(self.args, "db", None)
            or os.environ.get("TOUCHBASE_DB")
            or self.config.database_url
            or default_db_url()
        )

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return open_database(self.db_url)

    @cached_property
    def store(self) -> Store:
        return Store(self.sessions)

    @property
    def data_dir(self) -> Path:
        return data_dir()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def at(self) -> datetime:
        """The moment a command evaluates: `--at ISO-8601` (with its UTC offset), else now."""
        raw = getattr(self.args, "at", None)
        if not raw:
            return self.now()
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise UserError(
                f"--at {raw!r} is not an ISO 8601 time",
                advice="e.g. --at 2001-12-31T12:00:00+00:00",
            ) from None
        if value.tzinfo is None:
            raise UserError(f"--at {raw!r} has no UTC offset", advice="add one, e.g. +00:00")
        return value.astimezone(UTC)

    def me(self) -> tuple[str, ...]:
        """The owner's addresses: the config's and those remembered from `import --me`."""
        extra = self.state(EXTRA_ME_KEY)
        remembered = json.loads(extra) if extra else []
        return tuple(dict.fromkeys([*self.config.me.addresses, *remembered]))

    def remember_me(self, addresses: list[str]) -> None:
        current = json.loads(self.state(EXTRA_ME_KEY) or "[]")
        merged = list(dict.fromkeys([*current, *(a.strip().lower() for a in addresses)]))
        self.set_state(EXTRA_ME_KEY, json.dumps(merged))

    def state(self, key: str) -> str | None:
        with self.sessions() as session:
            return session.scalar(select(AppState.value).where(AppState.key == key))

    def set_state(self, key: str, value: str) -> None:
        with self.sessions.begin() as session:
            row = session.get(AppState, key)
            if row is None:
                session.add(AppState(key=key, value=value))
            else:
                row.value = value
