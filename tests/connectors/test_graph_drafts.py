"""Outlook drafts: created in Drafts, replies in their thread, found by key, never sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from tests.contract import sample_draft
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import GraphWorld
from touchbase.connectors.errors import TransientError
from touchbase.connectors.graph.drafts import KEY_PROPERTY
from touchbase.connectors.graph.http import GraphClient


@pytest.fixture
def world() -> Iterator[GraphWorld]:
    with FakeGraph() as fake:
        world = GraphWorld(fake)
        yield world
        world.close()
        assert fake.send_attempts() == []


def drafts(world: GraphWorld) -> dict[str, dict]:
    return world.fake.mailbox.folder("drafts").items


def test_a_draft_lands_in_drafts_with_its_recipients_body_and_key(world: GraphWorld) -> None:
    draft_id = world.sink().push_draft(sample_draft(1))
    stored = drafts(world)[draft_id]
    assert stored["isDraft"] and stored["subject"] == "Checking in 1"
    assert stored["toRecipients"] == [
        {"emailAddress": {"address": "friend@example.com", "name": "Friend"}}
    ]
    assert stored["body"] == {"contentType": "text", "content": "Hi Friend,\r\n"}
    assert stored["internetMessageId"] == "<draft-1.contract@touchbase.test>"
    assert stored["singleValueExtendedProperties"] == [{"id": KEY_PROPERTY, "value": "key-1"}]


def test_a_follow_up_is_a_reply_in_the_original_thread(world: GraphWorld) -> None:
    original = world.fake.mailbox.add_message(
        "sentitems",
        sender="me@example.org",
        to=("friend@example.com",),
        subject="Proposal",
        date=datetime(2024, 1, 1, tzinfo=UTC),
    )
    draft = dataclasses.replace(sample_draft(2), reply_to_source_id=original["id"])
    sink = world.sink()
    draft_id = sink.push_draft(draft)
    wanted = f"/messages/{original['id']}/createReply"
    assert any(unquote(p).endswith(wanted) for p in world.fake.paths())
    assert drafts(world)[draft_id]["conversationId"] == original["conversationId"]
    assert sink.find_draft(draft) == draft_id  # by its key: createReply keeps Outlook's Message-ID


def test_a_follow_up_to_a_vanished_message_becomes_a_new_draft(world: GraphWorld) -> None:
    draft = dataclasses.replace(sample_draft(3), reply_to_source_id="gone-id")
    draft_id = world.sink().push_draft(draft)
    assert draft_id in drafts(world)
    assert [e.status for e in world.fake.log] == [404, 201]


def test_an_ambiguous_push_is_found_afterwards_so_it_is_not_doubled(world: GraphWorld) -> None:
    world.fake.ambiguous_posts = 1
    sink, draft = world.sink(), sample_draft(4)
    with pytest.raises(TransientError):
        sink.push_draft(draft)  # stored, but the answer was lost
    found = sink.find_draft(draft)
    assert found is not None and list(drafts(world)) == [found]
    assert [e.method for e in world.fake.log].count("POST") == 1, "a push was retried blindly"


def test_keys_with_quotes_are_escaped_in_the_filter(world: GraphWorld) -> None:
    draft = dataclasses.replace(sample_draft(5), idempotency_key="it's-5")
    sink = world.sink()
    draft_id = sink.push_draft(draft)
    assert sink.find_draft(draft) == draft_id
    assert (
        sink.find_draft(
            dataclasses.replace(draft, idempotency_key="it's-6", message_id="<other@x>")
        )
        is None
    )


def test_the_client_refuses_send_endpoints_before_any_request(world: GraphWorld) -> None:
    client = GraphClient(world.fake.url, lambda: "test-token")
    for path in ("me/sendMail", "me/messages/abc/send", "me/messages/abc/microsoft.graph.send"):
        with pytest.raises(AssertionError):
            client.post(path, {})
    assert world.fake.log == []
