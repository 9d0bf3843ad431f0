"""The review page shows the rules' numbers: a person's last contact, cadence and due date on
their page equal `touchbase person --json`, tombstoned mail included; `serve --at` reviews an
archive as of its own time."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.agent.draftfixtures import ME, NOW, history, store_interactions
from touchbase.agent.cli.main import EXIT_USER_ERROR, main
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.store import Store
from touchbase.agent.service import Service
from touchbase.agent.web.security import access_token
from touchbase.agent.web.site import Site, create_app
from touchbase.connectors.base import Page

JANE = "jane@example.com"


@pytest.fixture
def service(tmp_path: Path) -> Service:
    """Jane's history, whose latest message the provider has since tombstoned (deleted from
    the mailbox: it still happened, and the rules count it)."""
    service = Service(Config(me=ME), f"sqlite:///{tmp_path / 't.db'}", lambda: NOW)
    records = history(JANE, months=20)
    account = store_interactions(service.sessions, records)
    latest = max(records, key=lambda r: r.occurred_at)
    store = Store(service.sessions)
    run = store.start_run(account, NOW)
    # Mail is no longer tombstoned at all (issue 15.4): the removal is stored and ignored.
    gone = Page(removed=[latest.source_id], cursor="d")
    assert not store.save_page(account, run, gone, NOW).removed
    return service


def owner(service: Service, at: datetime | None = None) -> FlaskClient:
    """A test client of the page that opened the owner's link (it carries the access cookie)."""
    client = create_app(Site(service, at=at)).test_client()
    assert client.get(f"/?token={access_token(service)}").status_code == 200
    return client


def facts(html: str) -> dict[str, str]:
    found = dict(re.findall(r'<dd class="([a-z-]+)">([^<]*)</dd>', html))
    return {k: v.strip() for k, v in found.items()}


def test_the_person_page_and_the_cli_agree(
    service: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[me]\nname = "{ME.name}"\naddresses = {json.dumps(list(ME.addresses))}\n'
        f'time_zone = "{ME.time_zone}"\n'
    )
    args = ["--config", str(config), "--db", service.db_url, "person", JANE, "--json"]
    assert main([*args, "--at", NOW.isoformat()]) == 0
    cli = json.loads(capsys.readouterr().out)
    page = owner(service).get(f"/contact/{JANE}", follow_redirects=True)
    shown = facts(page.get_data(as_text=True))
    latest = max(m.at for m in service.person(JANE, NOW).history)
    assert cli["last_contact"] == latest.isoformat()  # the tombstoned message counted
    assert shown["last-contact"].split()[0] == cli["last_contact"][:10]
    assert shown["cadence"].split()[:3] == ["every", f"{cli['cadence_days']:g}", "days"]
    assert shown["next-due"] == cli["due"][:10]


def test_serve_at_reviews_an_archive_as_of_its_own_time(service: Service) -> None:
    later = Service(service.config, service.db_url, lambda: datetime(2031, 1, 1, tzinfo=UTC))
    then = owner(later, at=NOW).get("/due").get_data(as_text=True)
    now = owner(later).get("/due").get_data(as_text=True)
    assert JANE in then and "check-in" in then  # due in June 2024
    assert JANE not in now  # years later the tie has lapsed: nobody is owed a check-in


def test_serve_at_needs_a_time_with_its_offset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--at", "2024-06-03T09:00:00"]) == EXIT_USER_ERROR
    assert "no UTC offset" in capsys.readouterr().err
