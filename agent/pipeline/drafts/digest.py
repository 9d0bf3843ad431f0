"""The day's digest as a draft to the owner (`[daemon] digest_draft`).

Addressed to the owner alone and made approved, so the push step puts it in their own Drafts
folder; like every draft it is never sent. It belongs to the first configured account that has
a Drafts folder of its own (not exported files), else it goes to the outbox folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.compose.message import new_message_id
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.drafts.lifecycle import APPROVED, format_recipient
from touchbase.agent.pipeline.models import Account, Draft

KIND = "digest"


class DueLine(Protocol):
    """One person in the digest."""

    @property
    def name(self) -> str: ...

    @property
    def address(self) -> str: ...

    @property
    def kind(self) -> str: ...


def write_digest(
    session: Session, config: Config, entries: Sequence[DueLine], now: datetime
) -> int | None:
    """The digest draft's id; None when the owner has no address to write to. Caller commits."""
    if not config.me.addresses:
        return None
    owner = config.me.addresses[0]
    day = now.astimezone(ZoneInfo(config.me.time_zone)).date().isoformat()
    lines = [f"- {entry.name} <{entry.address}>: {entry.kind}" for entry in entries]
    lines += ["", "Review and approve the drafts with `touchbase serve` or `touchbase drafts`."]
    account_id = None
    for configured in config.accounts:
        if configured.type != "files":  # an account with a Drafts folder of its own
            account_id = session.scalar(select(Account.id).where(Account.name == configured.name))
            if account_id is not None:
                break
    draft = Draft(
        kind=KIND,
        status=APPROVED,
        account_id=account_id,
        to_addresses=json.dumps([format_recipient(config.me.name, owner)]),
        subject=f"touchbase: {len(entries)} people are due ({day})",
        body="\n".join(lines),
        reasons=json.dumps([f"daily digest of {day}"]),
        message_id=new_message_id(owner),
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    session.flush()
    return draft.id
