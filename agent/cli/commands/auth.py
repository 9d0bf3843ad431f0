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
from touchbase.agent.cli.commands.completion import account_names
from touchbase.agent.cli.output import console
from touchbase.agent.errors import UserError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("auth", help="sign in to an account and store its credential")
    account = parser.add_argument(
        "account", metavar="ACCOUNT", help="the account's name in the config"
    )
    account.completer = account_names  # type: ignore[attr-defined]
    parser.add_argument(
        "--browser",
        action="store_true",
        help="sign in through a local browser instead of a device code (Outlook)",
    )
    parser.set_defaults(func=run)


def run(app: App) -> int:
    message = app.service.accounts.authorize(
        app.args.account,
        say=lambda text: console.print(text, soft_wrap=True),
        ask_password=ask_password,
        browser=app.args.browser,
    )
    console.print(message)
    return 0


def ask_password(prompt: str) -> str:
    """The password, typed without echo; only on a terminal."""
    if not sys.stdin.isatty():
        raise UserError(
            "touchbase auth asks for the password on a terminal",
            advice="run it in a terminal, or point password at { command = ... } or { env = ... }",
        )
    return getpass.getpass(prompt)
