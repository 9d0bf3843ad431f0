"""Google sign-in end to end, offline: the real installed-app flow, a stand-in browser, the fake."""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.connectors.test_gmail import headers_of
from tests.contract import drain, interactions, make_spec
from tests.fakes.google import FakeGoogle
from tests.fakes.google.client import DictSecrets, settings
from touchbase.connectors.base import AccountContext
from touchbase.connectors.errors import AuthError, ConnectorError
from touchbase.connectors.google import gcal, gmail
from touchbase.connectors.google.auth import SCOPES
from touchbase.connectors.google.settings import parse_settings


class ConsentingBrowser:
    """Stands in for the person's browser: opens the consent URL, follows Google's redirect."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.threads: list[threading.Thread] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        # The flow serves the loopback redirect only after open() returns: visit it meanwhile.
        thread = threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10})
        thread.start()
        self.threads.append(thread)
        return True


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConsentingBrowser]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake token endpoint is http
    stand_in = ConsentingBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: stand_in)
    yield stand_in
    for thread in stand_in.threads:
        thread.join(timeout=10)


def test_sign_in_stores_a_refresh_token_that_syncs(
    fake: FakeGoogle, browser: ConsentingBrowser, tmp_path: Path
) -> None:
    context = AccountContext(name="work-mail", secrets=DictSecrets())
    granted = gmail.authorize(settings(fake, tmp_path), context, wait_seconds=10)
    assert set(granted) == set(SCOPES)
    assert "gmail.readonly" not in browser.opened[0], "readonly beside metadata breaks q"
    assert "access_type=offline" in browser.opened[0]
    refresh = context.secrets.get("refresh_token")
    assert refresh in fake.oauth.refresh_tokens
    fake.gmail.add_message(headers_of(make_spec()), ("SENT",))
    pages, _ = drain(gmail.open_account(settings(fake, tmp_path), context), None)
    assert len(interactions(pages)) == 1
    assert fake.paths(oauth=True)[:2] == ["GET /o/oauth2/auth", "POST /token"]


def test_one_sign_in_serves_the_calendar_too(
    fake: FakeGoogle, browser: ConsentingBrowser, tmp_path: Path
) -> None:
    context = AccountContext(name="work-calendar", secrets=DictSecrets())
    gcal.authorize(settings(fake, tmp_path), context, wait_seconds=10)
    source = gcal.open_account(settings(fake, tmp_path), context)
    pages, cursor = drain(source, None)
    assert cursor is not None and interactions(pages) == []


def test_a_grant_with_unticked_scopes_is_refused(
    fake: FakeGoogle, browser: ConsentingBrowser, tmp_path: Path
) -> None:
    fake.oauth.granted_scopes = "https://www.googleapis.com/auth/gmail.metadata"
    context = AccountContext(name="work-mail", secrets=DictSecrets())
    with pytest.raises(AuthError) as caught:
        gmail.authorize(settings(fake, tmp_path), context, wait_seconds=10)
    assert "touchbase auth work-mail" in caught.value.advice
    assert context.secrets.get("refresh_token") is None


def test_a_web_client_file_is_refused_with_advice(fake: FakeGoogle, tmp_path: Path) -> None:
    client = tmp_path / "web.json"
    client.write_text('{"web": {"client_id": "x"}}')
    context = AccountContext(name="work-mail", secrets=DictSecrets({"refresh_token": "r"}))
    with pytest.raises(ConnectorError) as caught:
        gmail.open_account({"client_file": str(client)}, context)
    assert "Desktop app" in caught.value.advice


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ({}, "no client_file"),
        ({"client_file": "c.json", "batch_size": 500}, "batch_size must be between 1 and 50"),
        ({"client_file": "c.json", "labels": "SENT"}, "labels must be a list"),
        ({"client_file": "c.json", "api_root": "http://example.com/"}, "api_root must be"),
    ],
)
def test_settings_say_what_to_fix(raw: dict[str, object], complaint: str) -> None:
    with pytest.raises(ConnectorError) as caught:
        parse_settings(raw, account="work-mail", kind="gmail")
    assert complaint in str(caught.value)
    assert "work-mail" in caught.value.advice or "work-mail" in str(caught.value)


def test_calendar_settings_have_their_own_keys() -> None:
    parsed = parse_settings(
        {"client_file": "c.json", "calendar_id": "team@example.com", "past_days": 30},
        account="cal",
        kind="gcal",
    )
    assert (parsed.calendar_id, parsed.past_days, parsed.page_size) == ("team@example.com", 30, 250)
    with pytest.raises(ConnectorError):
        parse_settings({"client_file": "c.json", "page_size": 0}, account="cal", kind="gcal")
