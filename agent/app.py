"""What every command starts from: its arguments, the configuration, the database URL and the
service over them, each made on first use so that `touchbase init` works before any exists.

Each is also imported on first use: every command module imports this one while the parser is
built, and the service alone pulls in SQLAlchemy, alembic and the rules (about 0.6 s), which
`touchbase --help` must not pay for (issue 16; tests/agent/test_cli_startup.py)."""

from __future__ import annotations

import os
from argparse import Namespace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from touchbase.agent.errors import UserError

if TYPE_CHECKING:
    from touchbase.agent.pipeline.config import Config
    from touchbase.agent.service import Service


class App:
    """One command's view of touchbase: `service` is its door to everything else."""

    def __init__(self, args: Namespace) -> None:
        self.args = args

    @cached_property
    def config(self) -> Config:
        from touchbase.agent.pipeline.config import load_config

        path = getattr(self.args, "config", None)
        return load_config(Path(path).expanduser() if path else None)

    @cached_property
    def db_url(self) -> str:
        from touchbase.agent.pipeline.config import default_db_url

        return (
            getattr(self.args, "db", None)
            or os.environ.get("TOUCHBASE_DB")
            or self.config.database_url
            or default_db_url()
        )

    @cached_property
    def service(self) -> Service:
        from touchbase.agent.cli import startup
        from touchbase.agent.cli.output import refold_bar
        from touchbase.agent.service import Service

        startup.settle()  # the imports are done: the collector again, without them
        service = Service(self.config, self.db_url, self.now)
        service.refold_progress = refold_bar()
        return service

    def now(self) -> datetime:
        return datetime.now(UTC)

    def at(self) -> datetime:
        """The moment a command evaluates: `--at ISO-8601` (with its UTC offset), else now."""
        return parse_at(getattr(self.args, "at", None)) or self.now()


def parse_at(raw: str | None) -> datetime | None:
    """`--at` as an aware UTC time; None when not given. Bad input gets advice."""
    if not raw:
        return None
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
