"""The Gmail connector against the fake Google, through the real google-api-python-client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.contract import (
    DraftSinkContract,
    FaultContract,
    MessageSpec,
    SourceContract,
    drain,
    interactions,
    make_spec,
    sample_draft,
)
from tests.fakes.google import FakeGoogle, Faults
from tests.fakes.google.client import FakeTime, settings, signed_in
from tests.fakes.google.wire import Call, Reply
from touchbase.connectors.base import Flag, Role
from touchbase.connectors.errors import AuthError, TransientError
from touchbase.connectors.google import gmail
from touchbase.connectors.headers import FIELDS


def headers_of(spec: MessageSpec) -> list[tuple[str, str]]:
    headers = [
        ("From", spec.sender),
        ("To", ", ".join(spec.to)),
        ("Subject", spec.subject),
        ("Date", format_datetime(spec.date)),
        ("Message-ID", spec.message_id),
        ("X-Body-Marker", "never asked for"),
    ]
    if spec.cc:
        headers.append(("Cc", ", ".join(spec.cc)))
    if spec.in_reply_to:
        headers.append(("In-Reply-To", spec.in_reply_to))
    return headers


@dataclass
class GmailWorld:
    fake: FakeGoogle
    folder: Path
    time: FakeTime = field(default_factory=FakeTime)
    extra: dict[str, object] = field(default_factory=dict)

    def add(self, specs: list[MessageSpec]) -> None:
        for spec in specs:
            labels = ("SENT",) if spec.sent else ("INBOX", "UNREAD")
            self.fake.gmail.add_message(headers_of(spec), labels)

    def source(self) -> gmail.GmailAccount:
        return gmail.open_account(
            settings(self.fake, self.folder, **self.extra),
            signed_in(self.fake),
            sleep=self.time.sleep,
            clock=self.time.clock,
        )

    def expire_cursors(self) -> None:
        self.fake.gmail.expire_history()

    def faults(self, rate: float, seed: int) -> None:
        kinds = ("429", "403-user", "403-daily", "500", "503", "drop")
        self.fake.faults = Faults(rate=rate, kinds=kinds, retry_after="1", seed=seed)

    def odd(self) -> None:
        self.fake.gmail.minimal_history = True  # ListHistoryResponse: "typically only id..."

    def sink(self) -> gmail.GmailAccount:
        return self.source()

    def send_attempts(self) -> list[str]:
        return self.fake.send_attempts()


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


@pytest.fixture
def small_world(fake: FakeGoogle, tmp_path: Path) -> GmailWorld:
    """Batches of 2 and list pages as given, so a few messages span many pages."""
    return GmailWorld(fake, tmp_path, extra={"batch_size": 2})


class TestGmailSource(SourceContract):
    @pytest.fixture
    def world(self, small_world: GmailWorld) -> Iterator[GmailWorld]:
        yield small_world
        assert small_world.fake.send_attempts() == []


class TestGmailFaults(FaultContract):
    @pytest.fixture
    def world(self, small_world: GmailWorld) -> Iterator[GmailWorld]:
        yield small_world
        assert small_world.fake.send_attempts() == []


class TestGmailDrafts(DraftSinkContract):
    @pytest.fixture
    def world(self, small_world: GmailWorld) -> Iterator[GmailWorld]:
        yield small_world


def test_full_sync_asks_only_for_metadata_by_label_in_batches(small_world: GmailWorld) -> None:
    fake = small_world.fake
    small_world.add([make_spec() for _ in range(5)] + [make_spec(sent=False)])
    pages, _ = drain(small_world.source(), None)
    got = interactions(pages)
    assert len(got) == 6
    assert {i.folder for i in got} == {"sent", "inbox"}
    served = fake.paths()
    assert served[0] == "GET /gmail/v1/users/me/profile", "historyId is recorded first"
    gets = [s for s in fake.log if s.path.startswith("/gmail/v1/users/me/messages/")]
    assert len(gets) == 6 and sum(s.in_batch for s in gets) == 4
    top = [s for s in fake.log if not s.in_batch and s.path != "/token"]
    assert sum(s.path == "/batch" for s in top) == 2  # 2+2 of 5 sent; a lone get is no batch
    assert all(i.thread_id for i in got)


def test_message_sent_to_oneself_comes_once(small_world: GmailWorld) -> None:
    spec = make_spec(to=("me@example.org",))
    small_world.fake.gmail.add_message(headers_of(spec), ("SENT", "INBOX"))
    pages, _ = drain(small_world.source(), None)
    got = interactions(pages)
    assert [i.folder for i in got] == ["sent"]


def test_unusable_headers_are_quarantined_not_raised(small_world: GmailWorld) -> None:
    small_world.add([make_spec()])
    bad = small_world.fake.gmail.add_message([("Subject", "no addresses at all")], ("SENT",))
    pages, _ = drain(small_world.source(), None)
    quarantined = [q for p in pages for q in p.quarantined]
    assert [q.source_id for q in quarantined] == [bad]
    assert len(interactions(pages)) == 1


def test_bulk_and_auto_reply_headers_become_flags(small_world: GmailWorld) -> None:
    spec = make_spec(sent=False)
    extra = [("List-Id", "<news.example.com>"), ("Auto-Submitted", "auto-replied")]
    small_world.fake.gmail.add_message(headers_of(spec) + extra, ("INBOX",))
    (item,) = interactions(drain(small_world.source(), None)[0])
    assert Flag.BULK in item.flags and Flag.AUTOMATED in item.flags
    assert item.addresses(Role.FROM) == [spec.sender]


def test_no_change_incremental_sync_is_one_request(small_world: GmailWorld) -> None:
    small_world.add([make_spec() for _ in range(4)])
    _, cursor = drain(small_world.source(), None)
    source = small_world.source()
    small_world.fake.reset_log()
    pages, again = drain(source, cursor)
    assert interactions(pages) == []
    assert small_world.fake.paths() == ["GET /gmail/v1/users/me/history"]
    assert again is not None


def test_drafts_and_spam_in_history_are_not_interactions(small_world: GmailWorld) -> None:
    small_world.add([make_spec()])
    source = small_world.source()
    _, cursor = drain(source, None)
    source.push_draft(sample_draft(7))
    small_world.fake.gmail.add_message(headers_of(make_spec(sent=False)), ("SPAM",))
    pages, _ = drain(small_world.source(), cursor)
    assert interactions(pages) == []


def test_a_message_deleted_between_list_and_get_is_skipped(small_world: GmailWorld) -> None:
    small_world.add([make_spec(), make_spec()])
    gone = small_world.fake.gmail.add_message(headers_of(make_spec()), ("SENT",))
    original = small_world.fake.gmail._list_messages

    def list_then_delete(call: Call) -> Reply:
        reply = original(call)
        small_world.fake.gmail.delete_message(gone)
        return reply

    small_world.fake.gmail._list_messages = list_then_delete  # type: ignore[method-assign]
    pages, _ = drain(small_world.source(), None)
    assert gone not in {i.source_id for i in interactions(pages)}
    assert len(interactions(pages)) == 2
    assert not [q for p in pages for q in p.quarantined]


def test_part_failures_are_retried_after_retry_after(tmp_path: Path) -> None:
    with FakeGoogle(faults=Faults(rate=0.0, kinds=("429",), retry_after="7")) as fake:
        world = GmailWorld(fake, tmp_path, extra={"batch_size": 5})
        world.add([make_spec() for _ in range(10)])
        fake.faults.rate = 0.3
        pages, _ = drain(world.source(), None)
        assert len(interactions(pages)) == 10
        assert any(s.status == 429 for s in fake.log)
        assert 7.0 in world.time.sleeps, "Retry-After was not honoured"


def test_a_part_failing_every_time_fails_the_run_as_transient(tmp_path: Path) -> None:
    with FakeGoogle() as fake:
        world = GmailWorld(fake, tmp_path)
        world.add([make_spec(), make_spec()])
        fake.faults = Faults(rate=1.0, kinds=("503",))
        with pytest.raises(TransientError):
            drain(world.source(), None)
        assert len(world.time.sleeps) == 4  # five attempts, four waits


def test_quota_budget_paces_the_sync(tmp_path: Path) -> None:
    with FakeGoogle() as fake:
        world = GmailWorld(fake, tmp_path, extra={"quota_units_per_minute": 60, "batch_size": 2})
        world.add([make_spec() for _ in range(6)])
        drain(world.source(), None)
        # 1 (profile) + 5 (list) + 3 x 10 (gets) + 5 (inbox list) = 41 units at 1 unit/s,
        # of which the first 60 are in the bucket: no wait. A second sync has to wait.
        assert world.time.sleeps == []
        source = world.source()
        source.budget.spend(55)
        drain(source, None)
        assert sum(world.time.sleeps) >= 30


def test_revoked_grant_is_an_auth_error_naming_the_fix(small_world: GmailWorld) -> None:
    context = signed_in(small_world.fake, "work-mail")
    small_world.fake.oauth.revoke(str(context.secrets.get("refresh_token")))
    source = gmail.open_account(settings(small_world.fake, small_world.folder), context)
    with pytest.raises(AuthError) as caught:
        drain(source, None)
    assert "touchbase auth work-mail" in caught.value.advice


def test_expired_access_token_is_refreshed_once(small_world: GmailWorld) -> None:
    small_world.add([make_spec()])
    source = small_world.source()
    _, cursor = drain(source, None)
    small_world.fake.oauth.expire_access_tokens()
    small_world.add([make_spec()])
    pages, _ = drain(source, cursor)
    assert len(interactions(pages)) == 1
    assert [s.status for s in small_world.fake.log].count(401) >= 1
    assert small_world.fake.paths(oauth=True).count("POST /token") == 2


def test_never_signed_in_is_an_auth_error(fake: FakeGoogle, tmp_path: Path) -> None:
    context = signed_in(fake, "fresh")
    context.secrets.values.clear()  # type: ignore[attr-defined]
    with pytest.raises(AuthError) as caught:
        gmail.open_account(settings(fake, tmp_path), context)
    assert "touchbase auth fresh" in caught.value.advice


def test_metadata_headers_requested_are_the_shared_fields(small_world: GmailWorld) -> None:
    small_world.add([make_spec()])
    queries: list[dict[str, list[str]]] = []
    original = small_world.fake.gmail._get_message

    def spy(call: Call, msg_id: str) -> Reply:
        queries.append(call.query)
        return original(call, msg_id)

    small_world.fake.gmail._get_message = spy  # type: ignore[method-assign]
    drain(small_world.source(), None)
    assert queries and all(q["format"] == ["metadata"] for q in queries)
    assert all(q["metadataHeaders"] == gmail.METADATA_HEADERS for q in queries)
    assert gmail.METADATA_HEADERS[: len(FIELDS)] == list(FIELDS)


def test_follow_up_draft_goes_into_the_thread(small_world: GmailWorld) -> None:
    small_world.add([make_spec()])
    source = small_world.source()
    (first,) = interactions(drain(source, None)[0])
    draft = sample_draft(3)
    follow_up = type(draft)(
        idempotency_key=draft.idempotency_key,
        message_id=draft.message_id,
        raw=draft.raw,
        to=draft.to,
        subject=draft.subject,
        thread_id=first.thread_id,
    )
    draft_id = source.push_draft(follow_up)
    stored = small_world.fake.gmail.messages[small_world.fake.gmail.drafts[draft_id]]
    assert stored.thread_id == first.thread_id
    assert stored.label_ids == ["DRAFT"]


def test_history_without_label_ids_still_yields_the_new_mail(small_world: GmailWorld) -> None:
    # ListHistoryResponse.history: "Note that the history messages will typically only have id
    # and threadId populated" (gmail.v1 discovery document bundled with google-api-python-client).
    # Before issue 15 this stored 0 new messages and still advanced the cursor.
    gmail_fake = small_world.fake.gmail
    gmail_fake.minimal_history = True
    small_world.add([make_spec()])
    _, cursor = drain(small_world.source(), None)
    new = [make_spec(), make_spec(sent=False), make_spec()]
    small_world.add(new)
    gmail_fake.add_message(headers_of(make_spec(sent=False)), ("SPAM",))
    pages, after = drain(small_world.source(), cursor)
    assert sorted(i.message_id or "" for i in interactions(pages)) == sorted(
        s.message_id for s in new
    )
    assert {i.folder for i in interactions(pages)} == {"sent", "inbox"}
    assert after != cursor


def test_a_draft_sent_from_another_client_arrives_as_labels_added(small_world: GmailWorld) -> None:
    # A draft sent elsewhere keeps its message id and gains SENT (and loses DRAFT): history
    # reports labelsAdded, not messagesAdded (gmail.v1 History.labelsAdded: "Labels added to
    # messages in this history record").
    gmail_fake = small_world.fake.gmail
    gmail_fake.minimal_history = True
    spec = make_spec()
    draft = gmail_fake.add_message(headers_of(spec), ("DRAFT",))
    _, cursor = drain(small_world.source(), None)
    gmail_fake.change_labels(draft, add=("SENT",), remove=("DRAFT",))
    pages, _ = drain(small_world.source(), cursor)
    assert [(i.source_id, i.folder) for i in interactions(pages)] == [(draft, "sent")]


def test_archiving_is_no_new_interaction_and_no_loss(small_world: GmailWorld) -> None:
    small_world.add([make_spec(sent=False)])
    (first,) = interactions(drain(small_world.source(), None)[0])
    _, cursor = drain(small_world.source(), None)
    small_world.fake.gmail.change_labels(first.source_id, remove=("INBOX",))
    pages, _ = drain(small_world.source(), cursor)
    assert interactions(pages) == [] and not [r for p in pages for r in p.removed]
