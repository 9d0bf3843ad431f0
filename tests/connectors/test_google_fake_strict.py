"""The fake Google answers as the discovery documents say, and refuses what they forbid.

Sources: the gmail.v1 and calendar.v3 discovery documents bundled with google-api-python-client
(googleapiclient/discovery_cache/documents), read by tests/fakes/google/discovery.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from googleapiclient.errors import HttpError

from tests.fakes.google import FakeGoogle, discovery
from tests.fakes.google.client import settings, signed_in
from tests.fakes.google.wire import Call, Reply, json_reply
from touchbase.connectors.google import gcal, gmail


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


def test_every_route_the_connectors_use_is_a_documented_method() -> None:
    names = {
        (verb, path): (m.name if (m := discovery.method_for(verb, path)) else None)
        for verb, path in [
            ("GET", "/gmail/v1/users/me/profile"),
            ("GET", "/gmail/v1/users/me/messages"),
            ("GET", "/gmail/v1/users/me/messages/18c0"),
            ("GET", "/gmail/v1/users/me/history"),
            ("POST", "/gmail/v1/users/me/drafts"),
            ("GET", "/calendar/v3/calendars/primary/events"),
        ]
    }
    assert None not in names.values()
    assert discovery.method_for("GET", "/gmail/v1/users/me/nothing") is None


def test_a_response_off_the_schema_is_caught() -> None:
    method = discovery.method_for("GET", "/gmail/v1/users/me/history")
    assert method is not None
    good = {"historyId": "12", "history": [{"id": "3", "messages": [{"id": "a", "threadId": "a"}]}]}
    assert discovery.violations(method, good) == []
    bad = {"historyId": 12, "history": [{"id": "3", "messagesAdded": [{"msg": {}}]}]}
    problems = discovery.violations(method, bad)
    assert any("historyId" in p for p in problems)
    assert any("'msg'" in p for p in problems)


def test_the_fake_refuses_to_stop_quietly_after_an_answer_off_the_schema(tmp_path: Path) -> None:
    fake = FakeGoogle().start()
    fake.gmail._profile = lambda: json_reply({"emailAddress": "me@example.org", "historyId": 7})  # type: ignore[method-assign]
    source = gmail.open_account(settings(fake, tmp_path), signed_in(fake))
    try:
        list(source.pull(None))
    except Exception:
        pass  # the connector may or may not cope; the fake must say what it did wrong
    with pytest.raises(AssertionError, match=r"Profile\.historyId"):
        fake.stop()


def _events(fake: FakeGoogle, tmp_path: Path) -> object:
    source = gcal.open_account(settings(fake, tmp_path), signed_in(fake))
    return source._events  # the real googleapiclient resource, pointed at the fake


@pytest.mark.parametrize(
    "extra",
    [
        {"showDeleted": False},
        {"privateExtendedProperty": "touchbase=1"},
        {"timeMin": "2024-01-01T00:00:00Z"},
    ],
)
def test_a_sync_token_with_what_the_document_forbids_is_refused(
    fake: FakeGoogle, tmp_path: Path, extra: dict[str, object]
) -> None:
    events = _events(fake, tmp_path)
    token = events.list(calendarId="primary").execute()["nextSyncToken"]  # type: ignore[attr-defined]
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary", syncToken=token, **extra).execute()  # type: ignore[attr-defined]
    assert caught.value.resp.status == 400


def test_an_unknown_parameter_is_refused(fake: FakeGoogle) -> None:
    call = Call("GET", "/gmail/v1/users/me/messages", {"labelId": ["SENT"]}, {}, b"")
    reply: Reply = fake._route(call, "Bearer test-token")
    assert reply.status == 400 and "labelId" in json.loads(reply.body)["error"]["message"]


@pytest.mark.parametrize("query", [{"q": ["from:x"]}, {"format": ["full"]}])
def test_the_metadata_scope_refuses_q_and_full_bodies(
    fake: FakeGoogle, query: dict[str, list[str]]
) -> None:
    msg = fake.gmail.add_message([("From", "a@b.c")], ("INBOX",))
    path = "/gmail/v1/users/me/messages" + (f"/{msg}" if "format" in query else "")
    reply = fake._route(Call("GET", path, query, {}, b""), "Bearer test-token")
    assert reply.status == 403
