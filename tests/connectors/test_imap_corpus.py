"""The real messy corpus in a Dovecot Sent folder: unusable messages quarantined, the rest kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import corpus
from tests.connectors.imap_world import ImapWorld
from tests.contract import drain, interactions
from tests.servers.dovecot import Dovecot
from touchbase.connectors.errors import BadRecord
from touchbase.connectors.headers import interaction_from_bytes, message_ids, parse_header_block

pytestmark = pytest.mark.servers
ARRIVED = datetime(2020, 6, 1, 12, 0, tzinfo=UTC)  # the INTERNALDATE of every corpus message


def expected(raws: list[bytes]) -> tuple[set[str], set[str], int]:
    """Source ids of usable / unusable messages with a Message-ID, and how many have none."""
    good: set[str] = set()
    bad: set[str] = set()
    without_id = 0
    for raw in raws:
        ids = [message_ids(v) for n, v in parse_header_block(raw) if n.lower() == "message-id"]
        first = ids[0][0] if ids and ids[0] else None
        if first is None:
            without_id += 1
            continue
        try:
            interaction_from_bytes(raw, source_id="x", folder="sent", fallback_date=ARRIVED)
            good.add(f"sent:{first}")
        except BadRecord:
            bad.add(f"sent:{first}")
    return good, bad, without_id


def test_messy_corpus_syncs_with_unusable_mail_quarantined(dovecot: Dovecot) -> None:
    files = sorted(p for p in corpus("messy").rglob("*") if p.is_file() and p.suffix != ".json")
    raws = [p.read_bytes() for p in files]
    world = ImapWorld(dovecot, extra={"page_size": 50})
    dovecot.write_messages(world.user, "Sent", ((raw, ARRIVED) for raw in raws))
    pages, cursor = drain(world.source(), None)
    got = interactions(pages)
    quarantined = [q for page in pages for q in page.quarantined]
    good, bad, without_id = expected(raws)

    def named(ids: set[str]) -> set[str]:
        return {s for s in ids if not s.startswith("sent:sha256:")}

    kept = {i.source_id for i in got}
    held = {q.source_id for q in quarantined}
    assert named(kept) == good, "a usable message was lost, or an unusable one kept"
    assert bad - good <= named(held) <= bad, "an unusable message was not quarantined"
    assert all(q.reason and "UID" in q.reason for q in quarantined)
    assert 0 < len(kept - named(kept)) + len(held - named(held)) <= without_id
    assert len(kept) == len(got), "a source id repeated within one pull"
    for item in got:
        assert item.occurred_at.tzinfo is not None
        assert item.participants
    # The LKML message with `To: unlisted-recipients:;` (email.policy.default raises on it).
    lkml = [r for r in raws if b"To: unlisted-recipients:;" in r]
    assert lkml
    headers = parse_header_block(lkml[0])
    (lkml_ids,) = [message_ids(v) for n, v in headers if n.lower() == "message-id"]
    assert f"sent:{lkml_ids[0]}" in kept
    again, _ = drain(world.source(), cursor)
    assert interactions(again) == []
    world.close_all()
