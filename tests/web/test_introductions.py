"""Introductions on the review page in Chromium (issue 20): the suggestions section (dismiss,
accept) and the Introduce button on a person page, opened with the install's access token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agent.intro_world import ANNA, BEN, CARL, ME, NOW, mailbox
from touchbase.agent.cli.main import main
from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.service import Service
from touchbase.agent.web.security import access_token
from touchbase.agent.web.server import Server, make_server
from touchbase.agent.web.site import Site


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Service, Server]]:
    url = f"sqlite:///{tmp_path / 'touchbase.db'}"
    config = tmp_path / "config.toml"
    config.write_text(f'[me]\nname = "Olivia Owner"\naddresses = ["{ME}"]\n', encoding="utf-8")
    assert main(["--config", str(config), "--db", url, "import", str(mailbox(tmp_path / "m"))]) == 0
    service = Service(Config(me=Me(name="Olivia Owner", addresses=(ME,))), url, lambda: NOW)
    assert service.introductions.suggest_if_due(NOW) == 1  # as drafts create or the daemon
    server = make_server(Site(service, at=NOW), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield service, server
    server.close()
    thread.join(timeout=5)


def test_suggestions_and_the_introduce_button(served: tuple[Service, Server], page: Any) -> None:
    service, server = served
    page.goto(f"{server.url}?token={access_token(service)}")
    page.wait_for_url(server.url)
    suggestion = page.locator("li.suggestion")
    assert suggestion.count() == 1
    text = suggestion.inner_text()
    assert ANNA in text and BEN in text and "different organisations" in text
    suggestion.locator("button[name=dismiss]").click()
    assert "not suggested again" in page.locator(".flash.ok").inner_text()
    assert page.locator("li.suggestion").count() == 0  # remembered (and paced: one a week)

    # Anna's person page: introduce Ben to her. The ask to Anna appears for review.
    page.goto(f"{server.url}contact/{ANNA}")
    form = page.locator("form.introduce-form")
    form.locator("input[name=b]").fill(BEN)
    form.locator("input[name=note]").fill("Ben runs the same kind of pilot")
    form.locator("button[name=introduce]").click()
    assert "the ask to" in page.locator(".flash.ok").inner_text()
    card = page.locator("article.draft")
    assert card.count() == 1
    assert card.locator(".kind").inner_text() == "introduce-ask"
    assert "Hi Anna," in card.locator("textarea[name=body]").input_value()
    assert "Ben runs the same kind of pilot" in card.locator("textarea[name=body]").input_value()

    # Ben's page: the same pair again is refused with the reason; so is someone not known.
    page.goto(f"{server.url}contact/{BEN}")
    page.locator("form.introduce-form input[name=b]").fill(ANNA)
    page.locator("form.introduce-form button[name=introduce]").click()
    assert "already made" in page.locator(".flash.error").inner_text()
    page.goto(f"{server.url}contact/{CARL}")
    page.locator("form.introduce-form input[name=b]").fill("nobody@nowhere.example")
    page.locator("form.introduce-form button[name=introduce]").click()
    assert "not an address touchbase knows" in page.locator(".flash.error").inner_text()
    assert page.locator("article.draft").count() == 1
