"""The files connector over real exports: the messy corpus, two Enron mailboxes, 42 calendars."""

from __future__ import annotations

import email.utils
import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import corpus
from tests.contract import drain, interactions
from touchbase.connectors.base import Kind
from touchbase.connectors.files.source import FileSource
from touchbase.connectors.headers import decode_words, parse_addresses, parse_header_block


def test_the_whole_messy_corpus_imports_and_every_unusable_file_is_quarantined() -> None:
    root = corpus("messy")
    pages, cursor = drain(FileSource(root, page_size=100), None)
    items = interactions(pages)
    quarantined = [q for p in pages for q in p.quarantined]
    visible = [
        os.path.relpath(os.path.join(d, f), root)
        for d, _, files in os.walk(root)
        for f in files
        if not f.startswith(".")
    ]
    assert len(items) + len(quarantined) >= len(visible)
    for q in quarantined:
        assert q.reason and q.reason.startswith(q.source_id.split("@")[0]), q
    assert {q.source_id for q in quarantined} >= {"SOURCES.json", "notmuch_corpora/README"}
    assert len(items) > 400
    # A git patch inside a message body is not an mbox separator.
    assert not any("mbox-attachment.eml@" in q.source_id for q in quarantined)
    # `To: unlisted-recipients:;` breaks the stdlib's default policy; here it is just empty.
    lkml = [
        i
        for i in items
        if i.message_id == "<1258471718-6781-2-git-send-email-dottedmag@dottedmag.net>"
    ]
    assert lkml and lkml[0].addresses()
    later, _ = drain(FileSource(root), cursor)
    assert interactions(later) == [] and not any(p.quarantined for p in later)


@pytest.mark.parametrize("owner", ["allen-p", "germany-c"])
def test_an_enron_mailbox_imports_every_message_with_its_message_id(owner: str) -> None:
    root = corpus("enron", "maildir", owner)
    manifest = [
        json.loads(line)
        for line in corpus("enron", "manifest.jsonl").read_text().splitlines()
        if f"/{owner}/" in line
    ]
    pages, _ = drain(FileSource(root), None)
    items = interactions(pages)
    assert not [q for p in pages for q in p.quarantined]
    assert len(items) == len(manifest)  # one interaction per file, copies included
    by_id = Counter(i.message_id for i in items)
    assert by_id == Counter(entry["message_id"] for entry in manifest)
    folders = {i.message_id: i.folder for i in items}
    sent = [e for e in manifest if "/_sent_mail/" in e["file"]]
    assert sent and all(folders[e["message_id"]] == "sent" for e in sent[:50])
    assert all(i.occurred_at.tzinfo is UTC for i in items)


def test_every_calendar_in_the_ics_corpus_imports_without_an_exception() -> None:
    root = corpus("ics")
    now = datetime(2020, 1, 1, tzinfo=UTC)
    horizon = timedelta(days=2 * 365)
    pages, cursor = drain(FileSource(root, now=now, horizon=horizon), None)
    meetings = [i for i in interactions(pages) if i.kind is Kind.MEETING]
    quarantined = [q for p in pages for q in p.quarantined]
    assert len(meetings) > 500
    assert all(now - horizon <= m.occurred_at for m in meetings)
    assert all(m.occurred_at < datetime(2020, 1, 15, tzinfo=UTC) for m in meetings)
    # The broken pieces: an unparseable EXDATE, events without DTSTART, a bad RDATE, and the
    # corpus's SOURCES.json, which is no calendar and no message.
    assert 3 <= len(quarantined) <= 8
    assert all(q.reason for q in quarantined)
    later, _ = drain(FileSource(root, now=now, horizon=horizon), cursor)
    assert interactions(later) == []


def test_the_fast_address_path_agrees_with_getaddresses_on_every_corpus_header() -> None:
    """touchbase.connectors.headers splits plain lists itself; it must match the stdlib's answer."""
    values = set()
    for root in (corpus("messy"), corpus("enron", "maildir", "allen-p")):
        for folder, _, files in os.walk(root):
            for name in files:
                with open(os.path.join(folder, name), "rb") as f:
                    for key, value in parse_header_block(f.read(65536), None):
                        if key.lower() in ("from", "to", "cc", "bcc"):
                            values.add(value)
    assert len(values) > 900
    for value in values:
        assert parse_addresses(value) == _slow_parse_addresses(value), value


def _slow_parse_addresses(value: str) -> list[tuple[str, str]]:
    value = value.strip()
    pairs = []
    for name, address in email.utils.getaddresses([value]) if value else []:
        address = address.strip().strip("'\"").lower()
        if address and not address.endswith(":") and address != ";":
            pairs.append((decode_words(name).strip("'\" ") if name else "", address))
    return pairs
