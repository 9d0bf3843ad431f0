"""Graph delta sync of mail: paging, tombstones, expiry, throttling, dropped connections, faults."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.contract import drain, interactions, make_spec
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.world import GraphWorld, Store
from touchbase.connectors.errors import AuthError, ConnectorError, TransientError
from touchbase.connectors.graph.http import GraphClient

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world() -> Iterator[GraphWorld]:
    with FakeGraph() as fake:
        world = GraphWorld(fake, settings={"calendar": False})
        yield world
        world.close()
        assert fake.send_attempts() == []


def delta_requests(world: GraphWorld) -> list[str]:
    return [e.path for e in world.fake.log if "/delta" in e.path]


def test_requests_select_metadata_only_and_follow_links_verbatim(world: GraphWorld) -> None:
    world.add([make_spec() for _ in range(5)])
    pages, _ = drain(world.source(), None)
    served = [e for e in world.fake.log if "sentitems" in e.path]
    first = parse_qs(urlsplit(served[0].path).query)
    fields = set(first["$select"][0].split(","))
    assert {"toRecipients", "sentDateTime", "internetMessageId"} <= fields
    assert not fields & {"body", "bodyPreview", "uniqueBody"}
    assert all("odata.maxpagesize=2" in e.prefer for e in served)
    # Each later request is exactly the nextLink the page before it handed out.
    links = [json.loads(p.cursor or "")["streams"]["mail:sentitems"]["link"] for p in pages[:3]]
    assert [world.fake.base + e.path for e in served[1:3]] == links[:2]
    kinds = [json.loads(p.cursor or "")["streams"]["mail:sentitems"]["kind"] for p in pages[:3]]
    assert kinds == ["next", "next", "delta"], "the deltaLink is stored only with the last page"


def test_fake_never_returns_a_body_to_this_client(world: GraphWorld) -> None:
    world.add([make_spec()])
    drain(world.source(), None)
    assert "must never be fetched" not in repr(world.fake.log)  # nothing asked for it
    page = world.fake.delta("sentitems", {"$select": "id,subject"}, "")[1]
    assert set(page["value"][0]) == {"id", "subject", "@odata.type", "@odata.etag"}


def test_tombstones_are_reported_and_updates_keep_their_source_id(world: GraphWorld) -> None:
    world.add([make_spec(), make_spec(), make_spec(sent=False)])
    store = Store()
    store.sync(world.source())
    sent = list(world.fake.mailbox.folder("sentitems").items)
    world.fake.mailbox.remove("sentitems", sent[0])
    world.fake.mailbox.update("sentitems", sent[1], subject="Edited")
    pages, _ = drain(world.source(), store.cursor)
    assert [r for p in pages for r in p.removed] == [sent[0]]
    assert [(i.source_id, i.subject) for i in interactions(pages)] == [(sent[1], "Edited")]
    store.sync(world.source())
    # Mail once seen stays counted (issue 15.4): the tombstone is reported, the store keeps it.
    assert sent[0] in store.items and store.items[sent[1]].subject == "Edited"
    assert len(store.items) == 3


def test_mid_round_cursor_that_expired_means_one_full_resync(world: GraphWorld) -> None:
    world.add([make_spec() for _ in range(6)])
    pages, _ = drain(world.source(), None)
    everything = {i.source_id for i in interactions(pages)}
    world.expire_cursors()
    again, cursor = drain(world.source(), pages[1].cursor)
    assert again[0].resync and not any(p.resync for p in again[1:])
    assert {i.source_id for i in interactions(again)} == everything
    assert interactions(drain(world.source(), cursor)[0]) == []


def test_a_fresh_round_that_expires_too_fails_the_run_instead_of_looping(world: GraphWorld) -> None:
    world.add([make_spec() for _ in range(4)])
    one = {"mail_folders": ["sentitems"]}  # one stream: the scripted faults land in order
    _, cursor = drain(world.account(**one), None)
    world.fake.inject("expire", "ok", "expire")  # the deltaLink, then the resync's second page
    with pytest.raises(ConnectorError, match="fresh delta round expired"):
        drain(world.account(**one), cursor)


def test_unreadable_cursor_means_a_recorded_full_resync(world: GraphWorld) -> None:
    world.add([make_spec(), make_spec()])
    pages, _ = drain(world.source(), "not json")
    assert pages[0].resync and len(interactions(pages)) == 2


def test_throttling_honours_retry_after(world: GraphWorld) -> None:
    world.add([make_spec() for _ in range(3)])
    world.fake.retry_after = "7"
    world.fake.inject("429")
    store = Store()
    store.sync(world.source())
    assert world.waits == [7.0]
    assert len(store.items) == 3 and store.interrupted == 0


def test_dropped_connections_cut_bodies_and_503_are_retried(world: GraphWorld) -> None:
    world.add([make_spec() for _ in range(5)])
    world.fake.inject("drop", "truncate", "503")
    store = Store()
    store.sync(world.source())
    assert len(world.waits) == 3 and len(store.items) == 5
    assert sorted(e.fault for e in world.fake.log if e.fault) == ["503", "drop", "truncate"]


def test_throttling_that_does_not_pass_is_a_transient_error(world: GraphWorld) -> None:
    world.fake.inject(*["429"] * 5)
    world.fake.retry_after = "30"
    with pytest.raises(TransientError) as caught:
        drain(world.account(mail_folders=["sentitems"]), None)
    assert caught.value.retry_after == 30.0


def test_a_refused_token_is_an_auth_error_naming_the_fix(world: GraphWorld) -> None:
    account = world.account()
    account.client.token = lambda: "expired-token"
    with pytest.raises(AuthError) as caught:
        drain(account, None)
    assert "touchbase auth work" in caught.value.advice


def test_at_most_four_requests_in_flight_per_mailbox(world: GraphWorld) -> None:
    world.fake.latency = 0.03
    client = GraphClient(world.fake.url, lambda: "test-token", timeout=(5, 5))
    errors: list[BaseException] = []

    def one() -> None:
        try:
            client.get("me/mailFolders/inbox/messages/delta", params={"$select": "id"})
        except BaseException as exc:  # collected and re-raised by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and client.requests_made == 12
    assert 1 <= world.fake.max_inflight <= 4


def scenario(fake: FakeGraph, step: int) -> None:
    """Mail and meetings arriving, edited and deleted between syncs (the same for every fake)."""
    box = fake.mailbox
    if step == 0:
        for n in range(100):
            box.add_message(
                "sentitems",
                sender="me@example.org",
                to=(f"p{n % 9}@example.com",),
                subject=f"Sent {n}",
                date=T0 + timedelta(hours=n),
                message_id=f"<s{n}@example.org>",
            )
        for n in range(50):
            box.add_message(
                "inbox",
                sender=f"p{n % 7}@example.com",
                to=("me@example.org",),
                subject=f"Got {n}",
                date=T0 + timedelta(hours=n, minutes=5),
                message_id=f"<r{n}@example.com>",
            )
        for n in range(8):
            box.add_event(
                subject=f"Meet {n}",
                start=datetime(2024, 2, 1 + n, 15, tzinfo=UTC),
                end=datetime(2024, 2, 1 + n, 16, tzinfo=UTC),
                organizer="me@example.org",
                is_organizer=True,
                attendees=[
                    {
                        "type": "required",
                        "status": {"response": "accepted"},
                        "emailAddress": {"address": f"p{n}@example.com"},
                    }
                ],
            )
    else:
        sent = list(box.folder("sentitems").items)
        for item_id in sent[:5]:
            box.remove("sentitems", item_id)
        for item_id in sent[10:13]:
            box.update("sentitems", item_id, subject="Edited")
        for n in range(100, 112):
            box.add_message(
                "sentitems",
                sender="me@example.org",
                to=("new@example.com",),
                subject=f"Sent {n}",
                date=T0 + timedelta(hours=n),
            )
        event = next(iter(box.folder("calendar").items))
        box.update("calendar", event, isCancelled=True)


def run(fault_rate: float) -> tuple[Store, FakeGraph]:
    with FakeGraph(fault_rate=fault_rate, seed=11) as fake:
        # Transient faults only: an expired cursor is a documented resync, not a fault, and a
        # fresh round lists what exists without tombstones (see test_mid_round_cursor_...).
        fake.fault_kinds = ("429", "503", "drop", "truncate")
        world = GraphWorld(fake, settings={"page_size": 4})
        store = Store()
        scenario(fake, 0)
        store.sync(world.source())
        scenario(fake, 1)
        store.sync(world.source())
        store.sync(world.source())
        world.close()
        return store, fake


def test_ten_percent_injected_faults_leave_the_same_store_as_a_clean_run() -> None:
    clean, clean_fake = run(0.0)
    faulty, fake = run(0.10)
    assert sum(1 for e in fake.log if e.fault) >= 5, "the faults were not injected"
    assert faulty.items == clean.items
    assert len(clean.items) == 100 + 50 + 8 + 12  # the 5 deleted sent messages stay (15.4)
    assert fake.send_attempts() == [] and clean_fake.send_attempts() == []


def test_a_pull_abandoned_after_one_page_resumes_from_that_page(world: GraphWorld) -> None:
    world.add([make_spec() for _ in range(6)] + [make_spec(sent=False) for _ in range(3)])
    pull = world.account().pull(None)  # a generator, so it can be closed
    first = next(pull)
    pull.close()  # the daemon stopped mid-sync; the prefetched page is thrown away
    rest, _ = drain(world.source(), first.cursor)
    got = [i.source_id for i in first.interactions + interactions(rest)]
    assert len(got) == len(set(got)) == 9
