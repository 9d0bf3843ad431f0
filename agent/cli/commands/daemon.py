"""`touchbase daemon` (the background service) and `touchbase run --once` (for timers, cron)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from touchbase.agent import logs
from touchbase.agent.app import App
from touchbase.agent.daemon.runner import Daemon
from touchbase.agent.daemon.steps import default_steps


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    daemon = commands.add_parser(
        "daemon", help="run in the background: sync on a schedule, draft, push approved drafts"
    )
    _log_options(daemon)
    daemon.set_defaults(func=run_daemon)
    once = commands.add_parser("run", help="run one cycle (sync what is due, draft...) and exit")
    once.add_argument(
        "--once", action="store_true", required=True, help="one cycle, then exit (for timers)"
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
    level = logging.DEBUG if app.args.verbose else logging.INFO
    logs.setup(level, fmt=app.args.log_format)


def run_daemon(app: App) -> int:
    _setup_logging(app)
    return daemon(app).run()


def run_once(app: App) -> int:
    _setup_logging(app)
    return daemon(app, once=True, force=app.args.force).run()


def daemon(app: App, *, once: bool = False, force: bool = False) -> Daemon:
    """The daemon over the command's service, with the cycle's steps built from it."""
    path = Path(app.args.config).expanduser() if app.args.config else None
    service = app.service
    return Daemon(service, default_steps(service), config_path=path, once=once, force=force)
