"""Address book entries synced from a server (CardDAV), written where `contacts import` writes.

Each ContactRecord names one person: its addresses become one person (merged as an import
merges them), with its name, birthday and anniversary (agent/pipeline/identity.apply_contact).
Called by the store inside the page's transaction, so the entries and the cursor that passed
them commit together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from touchbase.agent.pipeline import identity
from touchbase.connectors.base import ContactRecord


def save_contacts(session: Session, contacts: Iterable[ContactRecord], now: datetime) -> int:
    """Apply each entry to its person; how many were applied."""
    applied = 0
    for contact in contacts:
        identity.apply_contact(
            session,
            list(contact.addresses),
            {
                "name": contact.name,
                "birthday": contact.birthday,
                "work_anniversary": contact.anniversary,
            },
            now,
        )
        applied += 1
    return applied
