"""Account types and their connector factories, and opening one configured account.

Each connector module exposes `open_account(settings, context)` (connectors/base.py). Adding an
account type is one line here and one in config.ACCOUNT_TYPES, its settings' table (a test keeps
the two lists equal).
"""

from __future__ import annotations

import difflib
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from touchbase.agent.errors import ConfigError
from touchbase.agent.pipeline.config import AccountConfig, Config, data_dir
from touchbase.agent.pipeline.secrets import AccountSecrets
from touchbase.connectors.base import AccountContext

FACTORIES: dict[str, str] = {
    "files": "touchbase.connectors.files.source",
    "gmail": "touchbase.connectors.google.gmail",
    "gcal": "touchbase.connectors.google.gcal",
    "outlook": "touchbase.connectors.graph.account",
    "imap": "touchbase.connectors.imap.account",
    "caldav": "touchbase.connectors.dav.caldav",
    "carddav": "touchbase.connectors.dav.carddav",
}


def connector_module(account: AccountConfig) -> ModuleType:
    module_name = FACTORIES.get(account.type)
    if module_name is None:
        guess = difflib.get_close_matches(account.type, list(FACTORIES), n=1, cutoff=0.6)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        raise ConfigError(
            f"account {account.name!r}: unknown type {account.type!r}{hint}",
            advice=f"use one of: {', '.join(sorted(FACTORIES))}",
        )
    return importlib.import_module(module_name)


def account_context(
    account: AccountConfig, me: tuple[str, ...], folder: Path | None = None
) -> AccountContext:
    base = folder or data_dir()
    return AccountContext(
        name=account.name,
        secrets=AccountSecrets(account.name, account.secrets, base / "secrets" / account.name),
        me=me,
        data_dir=str(base / "accounts" / account.name),
    )


def open_connector(
    account: AccountConfig, config: Config, me: tuple[str, ...], folder: Path | None = None
) -> Any:
    """The connector object for `account` (a Source, and a DraftSink where it has Drafts)."""
    module = connector_module(account)
    return module.open_account(dict(account.settings), account_context(account, me, folder))
