"""Which DraftSink holds a draft: its account's Drafts folder, or the outbox folder of .eml files.

A draft belongs to the account its conversation was seen in (a follow-up must land in the same
mailbox as its thread). Accounts whose connector has no Drafts folder (exported files, imports)
and drafts with no account get the outbox folder in the data folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from touchbase.agent.errors import ConfigError
from touchbase.agent.pipeline.accounts import open_connector
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.models import Account, Draft
from touchbase.connectors.base import DraftSink
from touchbase.connectors.files.outbox import OutboxFolderSink

log = logging.getLogger(__name__)


def sink_for(
    sessions: sessionmaker[Session],
    config: Config,
    me: tuple[str, ...],
    outbox: Path,
    draft: Draft,
) -> DraftSink:
    """The sink for `draft`; the outbox folder when its account has no Drafts folder."""
    if draft.account_id is not None:
        with sessions() as session:
            account = session.get(Account, draft.account_id)
            name = account.name if account else None
        try:
            configured = config.account(name) if name else None
        except ConfigError:
            configured = None  # an import or a removed account: no Drafts folder to use
        if configured is not None:
            connector = open_connector(configured, config, me)
            if isinstance(connector, DraftSink):
                return connector
    return OutboxFolderSink(outbox)
