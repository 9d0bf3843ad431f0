"""`touchbase sync [--account NAME]`: pull the configured accounts now."""

from __future__ import annotations

import argparse

from touchbase.agent.app import App
from touchbase.agent.cli.commands.completion import account_names
from touchbase.agent.errors import UserError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("sync", help="pull the configured accounts now")
    account = parser.add_argument("--account", metavar="NAME", help="only this account")
    account.completer = account_names  # type: ignore[attr-defined]
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(app: App) -> int:
    from touchbase.agent.cli.syncing import pull_accounts
    from touchbase.agent.daemon.lock import InstanceLock

    config = app.config
    chosen = app.args.account
    accounts = [config.account(chosen)] if chosen else list(config.accounts)
    if not accounts:
        raise UserError(
            "no accounts are configured",
            advice="add an [[account]] to the configuration (`touchbase init` writes a starter), "
            "or use `touchbase import PATH` for exported files",
        )
    # The daemon syncs the same accounts: two writers of one account would race for its cursor.
    with InstanceLock(app.db_url, app.service.engine):
        results = pull_accounts(app, accounts)
    return 0 if all(r.status == "ok" for r in results) else 1
