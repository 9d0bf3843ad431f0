"""The CardDAV connector against a real Radicale: contacts land where `contacts import` writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import need
from tests.connectors.dav_world import (
    FAST,
    NOW,
    context,
    no_sleep,
    radicale_server,
    settings,
    user,
)
from tests.servers.postgres import PostgresServer, running_postgres
from tests.servers.radicale import Radicale
from touchbase.agent.pipeline.db import open_database, sqlite_url
from touchbase.agent.pipeline.models import Person, PersonAddress, PersonEvent
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.dav import carddav
from touchbase.connectors.dav.source import dump, load

__all__ = ["radicale_server", "user"]  # fixtures
pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer | None]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "sqlite":
        return Store(open_database(sqlite_url(tmp_path / "t.db")))
    server = request.getfixturevalue("postgres")
    need(server is not None, "PostgreSQL is not installed (apt-get install postgresql)")
    return Store(open_database(server.new_database()))


def card(uid: str, name: str, *emails: str, extra: str = "") -> str:
    lines = "".join(f"EMAIL;TYPE=work:{e}\r\n" for e in emails)
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name.split()[-1]};"
        f"{name.split()[0]};;;\r\n{lines}{extra}NOTE:private notes\r\nEND:VCARD\r\n"
    )


def people(store: Store) -> dict[str, tuple[str, date | None, date | None]]:
    """address -> (the person's name, birthday, work anniversary)."""
    with store.sessions() as session:
        rows = session.execute(
            select(PersonAddress.address, Person.name, Person.birthday, Person.work_anniversary)
            .join(Person)
            .order_by(PersonAddress.address)
        )
        return {a: (n, b, w) for a, n, b, w in rows}


def source(server: Radicale, user: str, **extra: object) -> carddav.CardDavSource:
    return carddav.open_account(
        settings(server, user, **extra),  # type: ignore[arg-type]
        context(),
        policy=FAST,
        sleep=no_sleep,
    )


def test_cards_become_people_and_follow_changes(
    radicale_server: Radicale, user: str, store: Store
) -> None:
    server = radicale_server
    book = server.make_addressbook("contacts", user=user)
    server.put(
        f"{book}ann.vcf",
        card(
            "ann",
            "Ann Lee",
            "Ann@Example.com",
            "ann.lee@home.example",
            extra="BDAY:1985-04-12\r\nORG:Acme;Sales\r\nTITLE:Director\r\n",
        ),
        user=user,
    )
    server.put(
        f"{book}bo.vcf", card("bo", "Bo Diaz", "bo@x.org", extra="BDAY:--0703\r\n"), user=user
    )
    server.put(f"{book}phone.vcf", card("phone", "Only Phone", extra="TEL:+1 555\r\n"), user=user)
    account = store.ensure_account("book", "carddav", NOW)

    first = sync_account(store, account, "book", source(server, user), clock=lambda: NOW)

    assert first.status == "ok" and first.quarantined == 0, first.error
    assert people(store) == {
        "ann.lee@home.example": ("Ann Lee", date(1985, 4, 12), None),
        "ann@example.com": ("Ann Lee", date(1985, 4, 12), None),
        "bo@x.org": ("Bo Diaz", date(1, 7, 3), None),
    }

    server.put(
        f"{book}bo.vcf",
        card("bo", "Bo Díaz", "bo@x.org", extra="ANNIVERSARY:20150601\r\n"),
        user=user,
    )
    broken = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:b\r\nFN:x\r\nBDAY:soon\r\nEMAIL:c@x.org\r\n"
    broken += "END:VCARD\r\n"
    server.put(f"{book}broken.vcf", broken, user=user)
    again = sync_account(store, account, "book", source(server, user), clock=lambda: NOW)
    assert again.status == "ok" and again.quarantined == 1
    assert people(store)["bo@x.org"] == ("Bo Díaz", date(1, 7, 3), date(2015, 6, 1))


def test_a_card_is_read_with_org_and_title(radicale_server: Radicale, user: str) -> None:
    server = radicale_server
    book = server.make_addressbook("contacts", user=user)
    server.put(
        f"{book}ann.vcf",
        card("ann", "Ann Lee", "ann@example.com", extra="ORG:Acme;Sales\r\nTITLE:Director\r\n"),
        user=user,
    )
    pages = list(source(server, user).pull(None))
    (contact,) = [c for page in pages for c in page.contacts]
    assert (contact.organization, contact.title) == ("Acme", "Director")
    assert contact.addresses == ("ann@example.com",) and contact.source_id == f"{book}ann.vcf"


def test_an_expired_token_resyncs_and_a_cut_sync_resumes(
    radicale_server: Radicale, user: str, tmp_path: Path
) -> None:
    server = radicale_server
    book = server.make_addressbook("contacts", user=user)
    for n in range(12):
        server.put(f"{book}c{n}.vcf", card(f"c{n}", f"Person N{n}", f"p{n}@x.org"), user=user)
    store = Store(open_database(sqlite_url(tmp_path / "t.db")))
    account = store.ensure_account("book", "carddav", NOW)
    pulled = source(server, user, page_size=5).pull(None)
    page = next(pulled)  # a kill after the first page: only it is stored, with its cursor
    run = store.start_run(account, NOW)
    store.save_page(account, run, page, NOW)
    pulled.close()
    assert len(people(store)) == 5

    states, _ = load(store.cursor(account))
    states[book]["t"] = "http://radicale.org/ns/sync/" + "1" * 64  # a token the server forgot
    store.save_page(account, run, _cursor_only(dump(states)), NOW)
    src = source(server, user, page_size=5)
    done = sync_account(store, account, "book", src, clock=lambda: NOW)

    assert done.status == "ok" and done.resyncs == 1
    assert len(people(store)) == 12
    # The five cards stored before were not fetched again: two multigets for the other seven.
    assert src.client.requests == 3 + 2 + 2  # discovery, two sync-collections, two multigets


def _cursor_only(cursor: str):  # type: ignore[no-untyped-def]
    from touchbase.connectors.base import Page

    return Page(cursor=cursor)


def test_a_changed_org_or_title_is_a_new_role_event(
    radicale_server: Radicale, user: str, store: Store
) -> None:
    server = radicale_server
    book = server.make_addressbook("contacts", user=user)
    path = f"{book}ann.vcf"
    server.put(
        path,
        card("ann", "Ann Lee", "ann@example.com", extra="ORG:Acme;Sales\r\nTITLE:Director\r\n"),
        user=user,
    )
    account = store.ensure_account("book", "carddav", NOW)
    assert (
        sync_account(store, account, "book", source(server, user), clock=lambda: NOW).status == "ok"
    )
    assert events(store) == []  # first sight: nothing to compare with

    server.put(
        path,
        card("ann", "Ann Lee", "ann@example.com", extra="ORG:Globex\r\nTITLE:VP Sales\r\n"),
        user=user,
    )
    later = NOW + timedelta(days=3)
    assert (
        sync_account(store, account, "book", source(server, user), clock=lambda: later).status
        == "ok"
    )

    ((kind, text, evidence, at),) = events(store)
    assert (kind, text) == ("new-role", "moved from Acme to Globex (VP Sales)")
    assert at.replace(tzinfo=UTC) == later
    assert "company: Acme -> Globex" in evidence and f"address book card {path}" in evidence[-1]
    with store.sessions() as session:
        person = session.scalars(select(Person)).one()
        assert (person.company, person.position) == ("Globex", "VP Sales")


def events(store: Store) -> list[tuple[str, str, list[str], datetime]]:
    with store.sessions() as session:
        return [
            (e.kind, e.text, json.loads(e.evidence or "[]"), e.occurred_at)
            for e in session.scalars(select(PersonEvent))
        ]
