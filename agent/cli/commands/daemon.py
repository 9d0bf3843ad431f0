"""`touchbase daemon` (the background service, a loop) and `touchbase run` (one cycle, for
timers and cron; `--once` is accepted and means the same)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from touchbase.agent.app import App
from touchbase.agent.cli.commands.accounts import IMPORT_PREFIX
from touchbase.agent.cli.output import errors

if TYPE_CHECKING:
    from touchbase.agent.daemon.runner import Daemon


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    daemon = commands.add_parser(
        "daemon", help="run in the background: sync on a schedule, draft, push approved drafts"
    )
    _log_options(daemon)
    daemon.set_defaults(func=run_daemon)
    once = commands.add_parser(
        "run",
        help="run one cycle (sync what is due, draft...) and exit; `daemon` keeps running",
        description="One cycle of what the daemon does (sync the configured accounts that are "
        "due, draft, push approved drafts), then exit: for systemd timers and cron. "
        "`touchbase daemon` runs the same cycle on a schedule until stopped.",
    )
    once.add_argument(
        "--once", action="store_true", help="one cycle, then exit (the default; kept for timers)"
    )
    once.add_argument(
        "--force", action="store_true", help="sync every account now, ignoring schedule and backoff"
    )
    _log_options(once)
    once.set_defaults(func=run_once)


def _log_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format", choices=("kv", "json"), default="kv", help="key=value (default) or JSON"
    )


def _setup_logging(app: App) -> None:
    from touchbase.agent import logs

    level = logging.DEBUG if app.args.verbose else logging.INFO
    logs.setup(level, fmt=app.args.log_format)


def run_daemon(app: App) -> int:
    _setup_logging(app)
    return daemon(app).run()


def run_once(app: App) -> int:
    _setup_logging(app)
    explain_imports(app)
    return daemon(app, once=True, force=app.args.force).run()


def explain_imports(app: App) -> None:
    """With no configured account but stored imports, say why the cycle will not read them
    (`status` lists them, so "no accounts are configured" alone reads as a contradiction)."""
    if app.config.accounts:
        return
    imported = [
        row["account"]
        for row in app.service.accounts.status()
        if row["account"].startswith(IMPORT_PREFIX)
    ]
    if not imported:
        return
    path = imported[0][len(IMPORT_PREFIX) :]
    errors.print(
        "no accounts are configured, and imports are one-off: a cycle never reads the "
        f"{len(imported)} imported path(s) `touchbase status` lists again (`touchbase import "
        "PATH` does).",
        soft_wrap=True,
    )
    errors.print(
        "to keep a path synced, make it a files account in the configuration:\n"
        f'  [[account]]\n  name = "archive"\n  type = "files"\n  path = {json.dumps(path)}',
        soft_wrap=True,
    )


def daemon(app: App, *, once: bool = False, force: bool = False) -> Daemon:
    """The daemon over the command's service, with the cycle's steps built from it."""
    from touchbase.agent.daemon.runner import Daemon
    from touchbase.agent.daemon.steps import default_steps

    path = Path(app.args.config).expanduser() if app.args.config else None
    service = app.service
    return Daemon(service, default_steps(service), config_path=path, once=once, force=force)
