"""Dead addresses over IMAP (issue 18): bounces on a real Dovecot, read by header fields and the
delivery-status part alone (BODY.PEEK[2.MIME], then BODY.PEEK[2] only for that part)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agent.test_life_events_bounces import JANE, SECRET, exchange, gmail, postfix
from tests.conftest import need
from tests.connectors.imap_world import ImapWorld
from tests.servers.dovecot import Dovecot, dovecot_binary
from touchbase.connectors.base import Flag, Role

SPAM = b"""From: Watches <postmaster@promo.example>
To: olivia@owner.example
Subject: Undeliverable: FREE watches
Date: Thu, 7 Mar 2024 10:00:00 +0000
Message-ID: <spam-1@promo.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="zz"

--zz
Content-Type: text/plain

SECRET-BODY-WORDS first
--zz
Content-Type: text/html

<p>SECRET-BODY-WORDS second</p>
--zz--
""".replace(b"\n", b"\r\n")


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    need(dovecot_binary() is not None, "dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot().start()
    yield server
    server.destroy()


def test_imap_bounces_name_their_failed_recipient_and_nothing_of_the_body(
    dovecot: Dovecot,
) -> None:
    world = ImapWorld(dovecot)
    world.append("INBOX", [postfix(), exchange("bob@globex.example"), gmail("carl@x.example")])
    world.append("INBOX", [SPAM])
    try:
        records = [r for page in world.source().pull(None) for r in page.interactions]
    finally:
        world.close_all()
    failed = {
        r.subject: [p.address for p in r.participants if p.role is Role.FAILED] for r in records
    }
    assert failed == {
        "Undelivered Mail Returned to Sender": [JANE],
        "Undeliverable: Lunch next week?": ["bob@globex.example"],
        "Delivery Status Notification (Failure)": ["carl@x.example"],
        "Undeliverable: FREE watches": [],  # looks like one, is not a report: part 2 never read
    }
    assert all(Flag.AUTOMATED in r.flags for r in records if failed[r.subject])
    assert SECRET not in repr(records)
