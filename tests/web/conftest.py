"""The review page in a real browser: Debian's Chromium driven by Playwright, one per session."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

from tests.agent.draftfixtures import ME, NOW, history, make_drafts, request, store_interactions
from tests.conftest import need
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.models import Person, PersonAddress
from touchbase.agent.service import Service
from touchbase.agent.web.security import access_token
from touchbase.agent.web.server import Server, make_server
from touchbase.agent.web.site import Site
from touchbase.connectors.memory import MemorySink

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need(CHROMIUM.exists(), "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@dataclass
class World:
    """A seeded database, a memory sink and the page serving them."""

    service: Service
    sink: MemorySink
    server: Server
    ids: dict[str, int]

    @property
    def url(self) -> str:
        """The page's clean address: it answers 403 until the browser has opened `link`."""
        return self.server.url

    @property
    def token(self) -> str:
        return access_token(self.service)

    @property
    def link(self) -> str:
        """What `touchbase serve` prints: the address with the access token."""
        return f"{self.server.url}?token={self.token}"

    def client(self) -> requests.Session:
        """A client (requests) that opened the link, so it carries the access cookie."""
        client = requests.Session()
        assert client.get(self.link, timeout=10).status_code == 200
        return client

    def open(self, page: Any) -> None:
        """Open the link in the browser, as the owner does, and wait for the clean address."""
        page.goto(self.link)
        page.wait_for_url(self.url)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.service.sessions


def seed(sessions: sessionmaker[Session], extra: list[Any] | None = None) -> dict[str, int]:
    store_interactions(sessions, history("jane@example.com", months=20))
    with sessions.begin() as session:
        person = Person(name="Dr. Jane Q. Smith", created_at=NOW, cadence_days=45)
        person.addresses.append(PersonAddress(address="jane@example.com", source="contacts"))
        session.add(person)
    requests = [
        request(
            reasons=("last contact 27 Mar 2024 (received)", "your cadence with Jane is 45 days"),
            due=NOW - timedelta(days=23),
        ),
        request(address="bob@example.com", name="Bob Stone", reasons=("met on 1 Jun",)),
        request(address="cy@example.com", name="Cy Young", reasons=("no reply for 6 days",)),
        *(extra or []),
    ]
    made = make_drafts(sessions, requests)
    from touchbase.agent.pipeline.drafts.lifecycle import addresses, get_draft

    with sessions() as session:
        return {addresses(get_draft(session, i))[0]: i for i in made}


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Any]:
    running: list[tuple[Server, threading.Thread]] = []

    def start(extra: list[Any] | None = None, **site_options: Any) -> World:
        sink = MemorySink()
        service = Service(
            Config(me=ME),
            f"sqlite:///{tmp_path / 'touchbase.db'}",
            lambda: NOW,
            sinks=lambda draft: sink,
            sleep=lambda s: None,
        )
        ids = seed(service.sessions, extra)
        server = make_server(Site(service, **site_options), "127.0.0.1", 0)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        return World(service, sink, server, ids)

    yield start
    for server, thread in running:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()
