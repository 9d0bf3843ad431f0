"""The review page in Chromium: approve, edit, reject, snooze; escaping; CSRF; loopback only."""

from __future__ import annotations

import _socket
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.agent.draftfixtures import ME, NOW, request
from tests.conftest import REPO
from touchbase.agent.cli.main import build_parser
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.drafts import lifecycle
from touchbase.agent.service import Service
from touchbase.agent.web.server import make_server
from touchbase.agent.web.site import Site

DOCS = REPO / "docs"


def _status(world: Any, draft_id: int) -> str:
    with world.sessions() as session:
        return lifecycle.get_draft(session, draft_id).status


def test_approve_edit_reject_and_snooze_on_the_page(make_world: Any, page: Any) -> None:
    world = make_world()
    jane, bob, cy = (
        world.ids[a] for a in ("jane@example.com", "bob@example.com", "cy@example.com")
    )
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    world.open(page)
    assert page.locator("article.draft").count() == 3
    card = page.locator(f"#draft-{jane}")
    assert "your cadence with Jane is 45 days" in card.locator(".reasons").inner_text()
    assert card.locator(".history li").count() == 5
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "review.png"), full_page=False)

    card.locator("input[name=subject]").fill("Coffee next week?")
    card.locator("textarea[name=body]").fill("Hi Jane,\n\nCoffee next week?\n\nOlivia\n")
    card.locator("button[name=save]").click()
    assert page.locator(".flash.ok").inner_text() == f"draft {jane} saved"
    with world.sessions() as session:
        draft = lifecycle.get_draft(session, jane)
        assert (draft.subject, draft.edited) == ("Coffee next week?", True)
        assert draft.body == "Hi Jane,\n\nCoffee next week?\n\nOlivia\n"

    page.locator(f"#draft-{jane} button[name=approve]").click()
    assert "is in your Drafts folder" in page.locator(".flash.ok").inner_text()
    assert _status(world, jane) == "pushed"
    (pushed,) = world.sink.drafts.values()
    assert pushed.subject == "Coffee next week?" and b"Coffee next week?" in pushed.raw
    assert page.locator(f"#draft-{jane}").count() == 0

    page.locator(f"#draft-{bob} input[name=reason]").fill("met him yesterday")
    page.locator(f"#draft-{bob} button[name=reject]").click()
    assert _status(world, bob) == "rejected"

    page.locator(f"#draft-{cy} select[name=days]").select_option("30")
    page.locator(f"#draft-{cy} button[name=snooze]").click()
    assert _status(world, cy) == "snoozed"
    assert "until 2024-07-03" in page.locator(f"#snoozed-{cy}").inner_text()
    assert page.locator("article.draft").count() == 0

    assert set(world.sink.calls) == {"push_draft"}  # a push, never a send
    assert all(url.startswith(world.url) for url in seen)  # nothing from the internet


def test_a_script_subject_shows_as_text_and_runs_nothing(make_world: Any, page: Any) -> None:
    evil = request(
        address="eve@example.com",
        name="<img src=x onerror=alert(2)>",
        reasons=("<script>alert(3)</script>",),
    )
    world = make_world([evil])
    draft_id = world.ids["eve@example.com"]
    with world.sessions.begin() as session:
        draft = lifecycle.get_draft(session, draft_id)
        draft.subject = "<script>alert(1)</script>"
        draft.body = "</textarea><script>alert(4)</script>"
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    world.open(page)
    card = page.locator(f"#draft-{draft_id}")
    assert card.locator("input[name=subject]").input_value() == "<script>alert(1)</script>"
    assert card.locator("textarea[name=body]").input_value() == (
        "</textarea><script>alert(4)</script>"
    )
    assert "<script>alert(3)</script>" in card.locator(".reasons").inner_text()
    assert page.evaluate("document.scripts.length") == 0
    assert page.locator("img").count() == 0
    assert dialogs == []
    html = world.client().get(world.url, timeout=5).text
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_state_changes_need_the_csrf_token_and_our_origin(make_world: Any) -> None:
    world = make_world()
    jane = world.ids["jane@example.com"]
    target = f"{world.url}drafts/{jane}/approve"
    assert requests.post(target, timeout=5).status_code == 403
    browser_like = world.client()
    page = browser_like.get(world.url, timeout=5)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    assert browser_like.post(target, data={"csrf": "forged"}, timeout=5).status_code == 403
    cross = browser_like.post(
        target, data={"csrf": token.group(1)}, headers={"Origin": "http://evil.example"}, timeout=5
    )
    assert cross.status_code == 403
    assert _status(world, jane) == "pending" and world.sink.calls == []
    ok = browser_like.post(target, data={"csrf": token.group(1)}, timeout=5, allow_redirects=False)
    assert ok.status_code == 303 and _status(world, jane) == "pushed"


def test_security_headers_and_host_allow_list(make_world: Any) -> None:
    world = make_world()
    response = requests.get(world.link, timeout=5)
    assert 'http-equiv="refresh" content="0; url=/"' in response.text
    assert "SameSite=Strict" in response.headers["Set-Cookie"]
    client = requests.Session()
    response = client.get(world.link, timeout=5)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "SameSite=Strict" in response.headers["Set-Cookie"]  # the CSRF session's cookie
    rebinding = requests.get(world.url, headers={"Host": "evil.example"}, timeout=5)
    assert rebinding.status_code == 421


def _non_loopback_address() -> str | None:
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except OSError:
        return None
    candidates = [a for a in out.split() if "." in a and not a.startswith("127.")]
    return candidates[0] if candidates else None


def test_the_page_is_not_reachable_beyond_loopback_by_default(tmp_path: Path) -> None:
    args = build_parser().parse_args(["serve"])
    host = args.host or Config().web["host"]  # what `serve` does with no --host
    assert host == "127.0.0.1"
    site = Site(Service(Config(me=ME), f"sqlite:///{tmp_path}/t.db", lambda: NOW))
    server = make_server(site, host, 0)
    try:
        assert server.host == "127.0.0.1"
        address = _non_loopback_address()
        if address is None:
            pytest.skip("this machine has no non-loopback address to try")
        probe = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        probe.settimeout(2)
        try:
            # This machine's own LAN address: it stays on the machine, so the base class connect
            # (not the test guard's) is used on purpose.
            with pytest.raises(ConnectionRefusedError):
                _socket.socket.connect(probe, (address, server.port))
        finally:
            probe.close()
    finally:
        server.close()


def test_person_page_charts_the_history_with_cadence_and_next_due(
    make_world: Any, page: Any
) -> None:
    world = make_world()
    world.open(page)
    page.locator(f"#draft-{world.ids['jane@example.com']} .to a").click()
    assert page.locator("h1").inner_text() == "Dr. Jane Q. Smith"
    assert page.locator(".cadence").inner_text() == "every 45 days"
    assert page.locator(".next-due").inner_text() == "2024-05-11"  # last contact 27 Mar + 45 days
    assert page.locator("svg rect.bar").count() >= 20
    assert page.locator("svg .due-marker").count() == 1
    assert page.evaluate("document.scripts.length") == 0
    page.screenshot(path=str(DOCS / "person.png"), full_page=True)
    page.goto(world.url + "due")  # the rules' list: Jane is due, and waits for her open draft
    (row,) = page.locator("table.due tbody tr").all()
    assert "Dr. Jane Q. Smith" in row.inner_text() and "already open" in row.inner_text()


def test_an_account_that_cannot_sync_is_shown_with_its_fix(make_world: Any) -> None:
    from touchbase.agent.pipeline.store import Store

    world = make_world()
    store = Store(world.sessions)
    work = store.ensure_account("work<b>", "gmail", NOW)
    run = store.start_run(work, NOW)
    store.finish_run(run, "auth", NOW, "grant revoked (what to do: touchbase auth work)")
    client = world.client()
    page = client.get(world.url, timeout=10).text
    assert "touchbase auth work" in page and "not syncing (auth)" in page
    assert "work&lt;b&gt;" in page and "work<b>" not in page
    ok = store.start_run(work, NOW)
    store.finish_run(ok, "ok", NOW)
    assert "not syncing" not in client.get(world.url, timeout=10).text
