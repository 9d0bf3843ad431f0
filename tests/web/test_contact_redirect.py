"""/contact/ADDRESS of a known person (a Person row: merged, named, imported) redirects to their
page by id without folding their history there (the page it redirects to does: at 1M
interactions the busiest person's fold ran twice); an unknown address with history gets its
page, one with none a 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.agent.draftfixtures import ME, NOW, history, store_interactions
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.models import Person, PersonAddress
from touchbase.agent.service import Service
from touchbase.agent.web.security import access_token
from touchbase.agent.web.site import Site, create_app

JANE = "jane@example.com"
BOB = "bob@example.com"


@pytest.fixture
def service(tmp_path: Path) -> Service:
    service = Service(Config(me=ME), f"sqlite:///{tmp_path / 't.db'}", lambda: NOW)
    store_interactions(service.sessions, [*history(JANE, months=6), *history(BOB, months=6)])
    with service.sessions.begin() as session:
        person = Person(name="Jane Doe", created_at=NOW)
        session.add(person)
        session.flush()
        session.add(PersonAddress(address=JANE, person_id=person.id))
    return service


def owner(service: Service) -> FlaskClient:
    client = create_app(Site(service, at=NOW)).test_client()
    assert client.get(f"/?token={access_token(service)}").status_code == 200
    return client


def interaction_reads(service: Service) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM interactions" in statement:
            seen.append(statement)

    event.listen(service.engine, "before_cursor_execute", note)
    return seen


@pytest.mark.parametrize("asked", [JANE, "Jane@Example.COM"])
def test_a_known_person_is_redirected_by_id_without_a_fold(service: Service, asked: str) -> None:
    client = owner(service)
    person_id = service.person_id(JANE)
    assert person_id is not None
    reads = interaction_reads(service)
    answer = client.get(f"/contact/{asked}")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/people/{person_id}")
    assert reads == []  # no interaction was read to answer the redirect
    page = client.get(f"/contact/{asked}", follow_redirects=True)
    assert page.status_code == 200 and "Jane Doe" in page.get_data(as_text=True)


def test_an_address_without_a_person_row_gets_its_page_and_an_unknown_one_404(
    service: Service,
) -> None:
    client = owner(service)
    assert service.person_id(BOB) is None
    page = client.get(f"/contact/{BOB}")
    assert page.status_code == 200 and BOB in page.get_data(as_text=True)
    assert client.get("/contact/nobody@example.com").status_code == 404
