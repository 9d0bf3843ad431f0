"""The CalDAV connector against a real Radicale, through the agent's sync and store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from tests.connectors.dav_world import (
    FAST,
    NOW,
    USERS,
    NoSyncProxy,
    all_ids,
    context,
    event,
    live_ids,
    no_sleep,
    radicale_server,
    settings,
    user,
)
from tests.servers.proxy import CutProxy
from tests.servers.radicale import Radicale
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import SyncResult, sync_account
from touchbase.connectors.base import Role
from touchbase.connectors.dav import caldav
from touchbase.connectors.dav.source import dump, load
from touchbase.connectors.files.ics import read_calendar

__all__ = ["radicale_server", "user"]  # fixtures
pytestmark = pytest.mark.servers


def open_store(tmp_path: Path) -> tuple[Store, int]:
    store = Store(open_database(sqlite_url(tmp_path / "t.db")))
    return store, store.ensure_account("cal", "caldav", NOW)


def source(server: Radicale, user: str, **extra: object) -> caldav.CalDavSource:
    port = extra.pop("port", None)
    return caldav.open_account(
        settings(server, user, port, **extra),  # type: ignore[arg-type]
        context(),
        now=lambda: NOW,
        policy=FAST,
        sleep=no_sleep,
    )


def sync(store: Store, account: int, src: caldav.CalDavSource):  # type: ignore[no-untyped-def]
    return sync_account(store, account, "cal", src, clock=lambda: NOW)


WEEKLY = "RRULE:FREQ=WEEKLY;COUNT=10\r\n"


def test_discovery_and_first_sync_store_each_occurrence_once(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    work, home = server.make_calendar("work", user=user), server.make_calendar("home", user=user)
    server.put(f"{work}a.ics", event("a", NOW - timedelta(days=3)), user=user)
    server.put(f"{work}w.ics", event("w", NOW - timedelta(days=21), extra=WEEKLY), user=user)
    server.put(f"{home}b.ics", event("b", NOW + timedelta(days=2), attendees=("bo@x.org",)))
    store, account = open_store(tmp_path)

    first = sync(store, account, source(server, user))

    assert first.status == "ok", first.error
    weekly = [i for i in live_ids(store) if i.startswith(f"{work}w.ics#w/")]
    # Ten weekly occurrences from three weeks ago: 3 past, this week's, and next week's; the
    # one 14 days ahead is the window's end (excluded) and the rest wait until it reaches them.
    assert len(weekly) == 5
    assert {f"{work}a.ics#a", f"{home}b.ics#b"} <= live_ids(store)
    assert first.stored == 7 and first.duplicates == 0

    again = sync(store, account, source(server, user))
    assert again.status == "ok" and (again.stored, again.updated, again.duplicates) == (0, 0, 0)


def test_occurrences_are_those_a_file_import_reads(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    cal = server.make_calendar("work", user=user)
    data = event("s", NOW - timedelta(days=40), extra="RRULE:FREQ=DAILY;COUNT=60\r\n")
    server.put(f"{cal}s.ics", data, user=user)
    src = source(server, user, horizon_days=30, lookahead_days=7)
    pages = list(src.pull(None))
    got = [i for page in pages for i in page.interactions]
    expected, _ = read_calendar(
        data.encode(), start=NOW - timedelta(days=30), end=NOW + timedelta(days=7), where="x"
    )
    assert [i.source_id for i in got] == [f"{cal}s.ics#{i.source_id}" for i in expected]
    assert [i.occurred_at for i in got] == [i.occurred_at for i in expected]
    first = got[0]
    assert first.subject == "Catch-up" and first.folder == "calendar"
    assert [(p.address, p.role) for p in first.participants] == [
        ("me@example.com", Role.ORGANIZER),
        ("ann@example.com", Role.ATTENDEE),
    ]


def test_changes_deletions_and_an_edited_series_are_followed(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    cal = server.make_calendar("work", user=user)
    server.put(f"{cal}a.ics", event("a", NOW - timedelta(days=3)), user=user)
    server.put(f"{cal}b.ics", event("b", NOW - timedelta(days=4)), user=user)
    start = NOW - timedelta(days=21)
    server.put(f"{cal}w.ics", event("w", start, extra=WEEKLY), user=user)
    store, account = open_store(tmp_path)
    assert sync(store, account, source(server, user)).stored == 7

    server.put(f"{cal}a.ics", event("a", NOW - timedelta(days=3), summary="Moved"), user=user)
    server.delete(f"{cal}b.ics", user=user)
    skipped = (start + timedelta(days=7)).strftime("%Y%m%dT%H%M%SZ")
    server.put(f"{cal}w.ics", event("w", start, extra=WEEKLY + f"EXDATE:{skipped}\r\n"), user=user)
    src = source(server, user)
    result = sync(store, account, src)

    assert result.status == "ok" and result.updated == 1 and result.removed == 2
    assert f"{cal}b.ics#b" not in live_ids(store)
    gone = f"{cal}w.ics#w/{(start + timedelta(days=7)).isoformat()}"
    assert gone in all_ids(store) and gone not in live_ids(store)
    assert len(all_ids(store)) == 7  # nothing stored twice


def test_an_expired_sync_token_resyncs_once_and_reconciles(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    cal = server.make_calendar("work", user=user)
    for n in range(5):
        server.put(f"{cal}e{n}.ics", event(f"e{n}", NOW - timedelta(days=n + 1)), user=user)
    store, account = open_store(tmp_path)
    assert sync(store, account, source(server, user)).stored == 5
    # The server forgot our token (Radicale keeps a bounded history of them); meanwhile an event
    # was deleted and one added, which the dead token can no longer tell.
    states, _ = load(store.cursor(account))
    states[cal]["t"] = "http://radicale.org/ns/sync/" + "0" * 64
    with store.sessions.begin() as session:
        from touchbase.agent.pipeline.store import _set_cursor

        _set_cursor(session.connection(), account, dump(states), NOW)
    server.delete(f"{cal}e0.ics", user=user)
    server.put(f"{cal}new.ics", event("new", NOW - timedelta(days=9)), user=user)
    src = source(server, user)

    result = sync(store, account, src)

    assert result.status == "ok" and result.resyncs == 1
    assert (result.stored, result.removed) == (1, 1)
    assert f"{cal}e0.ics#e0" not in live_ids(store) and f"{cal}new.ics#new" in live_ids(store)
    # Only the new event was fetched again: the others' ETags were known.
    assert src.client.requests <= 6
    after = sync(store, account, source(server, user))
    assert after.resyncs == 0 and (after.stored, after.removed) == (0, 0)


def test_a_dropped_connection_loses_nothing_and_doubles_nothing(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    cal = server.make_calendar("work", user=user)
    for n in range(40):
        server.put(f"{cal}e{n}.ics", event(f"e{n}", NOW - timedelta(hours=n + 1)), user=user)
    store, account = open_store(tmp_path)
    proxy = CutProxy(server.port)

    def after_page(progress: SyncResult) -> None:
        if progress.pages == 2:  # from now on every connection is cut mid-answer
            proxy.cut_after = 300

    try:
        src = source(server, user, port=proxy.port, page_size=5)
        cut = sync_account(store, account, "cal", src, clock=lambda: NOW, on_page=after_page)
    finally:
        proxy.close()
    assert cut.status == "transient" and cut.stored == 10, (cut.status, cut.stored)
    assert proxy.cuts >= 1

    done = sync(store, account, source(server, user, page_size=5))
    assert done.status == "ok" and done.duplicates == 0
    assert cut.stored + done.stored == 40 and len(all_ids(store)) == 40


def test_a_refused_login_is_an_auth_error_with_advice(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    store, account = open_store(tmp_path)
    src = caldav.open_account(
        settings(radicale_server, user), context(password="wrong"), policy=FAST, sleep=no_sleep
    )
    result = sync(store, account, src)
    assert result.status == "auth"
    assert f"refused the login of {user!r}" in (result.error or "")
    assert "touchbase auth" in result.advice
    assert "wrong" not in (result.error or "") + result.advice


def test_a_calendar_deleted_on_the_server_is_forgotten(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    work, home = server.make_calendar("work", user=user), server.make_calendar("home", user=user)
    server.put(f"{work}a.ics", event("a", NOW - timedelta(days=3)), user=user)
    server.put(f"{home}b.ics", event("b", NOW - timedelta(days=3)), user=user)
    store, account = open_store(tmp_path)
    assert sync(store, account, source(server, user)).stored == 2

    server.delete(home, user=user)
    result = sync(store, account, source(server, user))

    assert result.status == "ok" and result.removed == 1
    assert live_ids(store) == {f"{work}a.ics#a"}
    assert home not in load(store.cursor(account))[0]


def test_the_window_moving_on_brings_the_next_occurrences(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    cal = server.make_calendar("work", user=user)
    server.put(f"{cal}w.ics", event("w", NOW - timedelta(days=1), extra=WEEKLY), user=user)
    server.put(f"{cal}far.ics", event("far", NOW + timedelta(days=30)), user=user)
    store, account = open_store(tmp_path)
    assert sync(store, account, source(server, user)).stored == 3  # this week's, +6d, +13d

    later = NOW + timedelta(days=21)
    src = caldav.open_account(
        settings(server, user), context(), now=lambda: later, policy=FAST, sleep=no_sleep
    )
    moved = sync_account(store, account, "cal", src, clock=lambda: later)
    assert moved.status == "ok" and moved.stored == 4  # +20d, +27d, +34d and the far one
    assert f"{cal}far.ics#far" in live_ids(store)
    assert len(live_ids(store)) == 7


def _drain(store: Store, account: int, src: caldav.CalDavSource, stop_after: int | None) -> None:
    """Store pages as the agent does, the process 'killed' after `stop_after` pages."""
    run = store.start_run(account, NOW)
    pulled = src.pull(store.cursor(account))
    for n, page in enumerate(pulled):
        if stop_after is not None and n >= stop_after:
            break
        store.save_page(account, run, page, NOW)
    pulled.close()
    src.close()


@examples(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    first_kill=st.integers(0, 6),
    second_kill=st.integers(0, 6),
    deleted=st.sets(st.integers(0, 11), max_size=4),
    edited=st.sets(st.integers(0, 11), max_size=4),
)
def test_killed_anywhere_the_store_ends_as_one_clean_sync_would(
    radicale_server: Radicale,
    tmp_path_factory: pytest.TempPathFactory,
    first_kill: int,
    second_kill: int,
    deleted: set[int],
    edited: set[int],
) -> None:
    """Nothing lost, nothing doubled: a sync killed after any page, an edit on the server, a
    second sync killed anywhere, then one that finishes leave exactly the meetings that one
    uninterrupted sync of the final calendar stores."""
    server, owner = radicale_server, f"user{next(USERS)}"
    cal = server.make_calendar("work", user=owner)
    for n in range(12):
        extra = WEEKLY if n % 4 == 0 else ""
        server.put(
            f"{cal}e{n}.ics", event(f"e{n}", NOW - timedelta(days=n), extra=extra), user=owner
        )
    folder = tmp_path_factory.mktemp("kill")
    store, account = open_store(folder)
    _drain(store, account, source(server, owner, page_size=3), first_kill)
    for n in deleted:
        server.delete(f"{cal}e{n}.ics", user=owner)
    for n in edited - deleted:
        when = NOW - timedelta(days=n, hours=1)
        server.put(f"{cal}e{n}.ics", event(f"e{n}", when, summary="Edited"), user=owner)
    _drain(store, account, source(server, owner, page_size=3), second_kill)
    _drain(store, account, source(server, owner, page_size=3), None)

    (folder / "clean").mkdir()
    clean, clean_account = open_store(folder / "clean")
    _drain(clean, clean_account, source(server, owner, page_size=3), None)
    assert live_ids(store) == live_ids(clean)
    assert len(all_ids(store)) == len(set(all_ids(store)))


def test_status_reads_the_cursor_per_calendar(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    cal = server.make_calendar("work", user=user)
    server.put(f"{cal}a.ics", event("a", NOW - timedelta(days=3)), user=user)
    store, account = open_store(tmp_path)
    assert caldav.describe_cursor(None) == ["no collection synced yet"]
    sync(store, account, source(server, user))
    assert caldav.describe_cursor(store.cursor(account)) == [f"{cal}: 1 entries, synced"]
    assert caldav.describe_cursor("garbage")[0].startswith("unreadable cursor")


def test_names_with_spaces_are_sent_encoded_and_stored_decoded(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    cal = server.make_calendar("team%20cal", user=user)  # the wire form: /userN/team%20cal/
    server.put(f"{cal}ev%201.ics", event("ev1", NOW - timedelta(days=1)), user=user)
    store, account = open_store(tmp_path)
    first = sync(store, account, source(server, user))
    assert first.status == "ok" and first.stored == 1, first.error
    assert live_ids(store) == {f"/{user}/team cal/ev 1.ics#ev1"}
    server.delete(f"{cal}ev%201.ics", user=user)
    assert sync(store, account, source(server, user)).removed == 1


def test_a_server_without_sync_collection_is_listed_and_compared_by_etag(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    cal = server.make_calendar("work", user=user)
    for n in range(3):
        server.put(f"{cal}e{n}.ics", event(f"e{n}", NOW - timedelta(days=n + 1)), user=user)
    store, account = open_store(tmp_path)
    proxy = NoSyncProxy(server.port)
    try:
        first = sync(store, account, source(server, user, port=proxy.port))
        assert first.status == "ok" and first.stored == 3, first.error
        server.delete(f"{cal}e0.ics", user=user)
        server.put(f"{cal}e1.ics", event("e1", NOW - timedelta(days=2), summary="New"), user=user)
        src = source(server, user, port=proxy.port)
        second = sync(store, account, src)
    finally:
        proxy.close()
    assert second.status == "ok" and (second.updated, second.removed) == (1, 1)
    assert proxy.refused  # sync-collection was asked for, refused, and the listing stood in
    assert live_ids(store) == {f"{cal}e1.ics#e1", f"{cal}e2.ics#e2"}
