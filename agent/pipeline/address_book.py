"""Address book entries synced from a server (CardDAV), written where `contacts import` writes.

Each ContactRecord names one person: its addresses become one person (merged as an import
merges them), with its name, birthday and anniversary (agent/pipeline/identity.apply_contact),
and its organisation and title as the person's company and position. A card whose ORG or TITLE
changed from what the person had is a dated new-role event, decided exactly as a newer LinkedIn
export decides it (agent/pipeline/linkedin.py), which the rules congratulate (issue 18).
Called by the store inside the page's transaction, so the entries and the cursor that passed
them commit together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from touchbase.agent.pipeline import identity, linkedin
from touchbase.connectors.base import ContactRecord

SOURCE = "carddav"


def save_contacts(session: Session, contacts: Iterable[ContactRecord], now: datetime) -> int:
    """Apply each entry to its person; how many were applied."""
    applied = 0
    for contact in contacts:
        person = identity.apply_contact(
            session,
            list(contact.addresses),
            {
                "name": contact.name,
                "birthday": contact.birthday,
                "work_anniversary": contact.anniversary,
            },
            now,
        )
        role = linkedin.Connection(
            where=contact.source_id,
            name=contact.name,
            url="",
            email=contact.addresses[0],
            company=contact.organization,
            position=contact.title,
            connected_on=None,
        )
        # The same test and event for a new role as a LinkedIn import's.
        linkedin.record_role_change(
            session,
            person,
            role,
            f"address book card {contact.source_id} synced {now.date()}",
            SOURCE,
            now,
        )
        person.company = contact.organization or person.company
        person.position = contact.title or person.position
        applied += 1
    return applied
