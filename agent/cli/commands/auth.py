"""`touchbase auth ACCOUNT`: sign in to an account and keep the credential where it belongs.

OAuth accounts (Gmail, Google Calendar, Outlook) run their provider's sign-in through the
connector's `authorize(settings, context)`; the token lands in the keyring or an owner-only file.
Password accounts (IMAP) ask for the password without echo and store it the same way.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from touchbase.agent.app import App
from touchbase.agent.cli.output import console
from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.accounts import account_context, connector_module


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("auth", help="sign in to an account and store its credential")
    parser.add_argument("account", metavar="ACCOUNT", help="the account's name in the config")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="sign in through a local browser instead of a device code (Outlook)",
    )
    parser.set_defaults(func=run)


def run(app: App) -> int:
    account = app.config.account(app.args.account)
    module = connector_module(account)
    context = account_context(account, app.me())
    authorize = getattr(module, "authorize", None)
    if authorize is not None:
        granted = authorize(dict(account.settings), context)
        console.print(
            f"signed in to {account.name}"
            + (f" ({', '.join(granted)})" if isinstance(granted, tuple | list) and granted else "")
        )
        return 0
    connector = module.open_account(dict(account.settings), context)
    sign_in = getattr(connector, "sign_in", None)
    if sign_in is not None:  # Microsoft: device code (or browser) through msal
        sign_in(lambda message: console.print(message, soft_wrap=True), browser=app.args.browser)
        console.print(f"signed in to {account.name}")
        return 0
    if "password" not in account.secrets and account.type != "imap":
        raise UserError(f"account {account.name} ({account.type}) needs no sign-in")
    if not sys.stdin.isatty():
        raise UserError(
            "touchbase auth asks for the password on a terminal",
            advice="run it in a terminal, or point password at { command = ... } or { env = ... }",
        )
    password = getpass.getpass(f"password for {account.name}: ")
    if not password:
        raise UserError("no password given; nothing stored")
    context.secrets.set("password", password)
    console.print(f"stored the password for {account.name}")
    return 0
