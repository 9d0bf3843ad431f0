"""msal's real device-code, silent and refresh flows against the fake identity endpoint."""

from __future__ import annotations

import html
import re
import threading
import webbrowser
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.contract import drain
from tests.fakes.graph import FakeGraph
from tests.fakes.graph.identity import DEVICE_GRANT
from tests.fakes.graph.world import MemorySecrets
from touchbase.connectors.base import AccountContext
from touchbase.connectors.errors import AuthError
from touchbase.connectors.graph.account import open_account
from touchbase.connectors.graph.msal_auth import CACHE_SECRET, MsalAuth


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        yield fake


def auth(fake: FakeGraph, secrets: MemorySecrets) -> MsalAuth:
    return MsalAuth(
        account="work",
        client_id="test-client",
        authority=fake.authority,
        secrets=secrets,
        http_client=fake.http_client(),
    )


def signed_in(fake: FakeGraph) -> MemorySecrets:
    secrets = MemorySecrets()
    shown: list[str] = []
    assert auth(fake, secrets).sign_in_with_device_code(shown.append) == "me@example.org"
    assert "FAKE" in shown[0], "the person is not told which code to enter"
    return secrets


def test_device_code_flow_polls_until_approved_and_saves_the_cache(fake: FakeGraph) -> None:
    secrets = signed_in(fake)
    assert fake.identity.grants == [DEVICE_GRANT, DEVICE_GRANT]  # one authorization_pending
    assert secrets.writes == 1 and "refresh" in secrets[CACHE_SECRET]
    assert any("openid-configuration" in p for p in fake.paths())


def test_silent_after_restart_uses_the_cache_and_writes_nothing(fake: FakeGraph) -> None:
    secrets = signed_in(fake)
    grants, writes = list(fake.identity.grants), secrets.writes
    token = auth(fake, secrets).silent()  # a new process: the cache comes from secrets
    assert token in fake.identity.access_tokens
    assert fake.identity.grants == grants, "a cached token was fetched again"
    assert secrets.writes == writes, "an unchanged cache was written"


def test_silent_refreshes_a_token_about_to_expire_and_saves_the_new_cache(fake: FakeGraph) -> None:
    fake.identity.expires_in = 60  # msal refreshes tokens with under 5 minutes left
    secrets = signed_in(fake)
    before = secrets[CACHE_SECRET]
    token = auth(fake, secrets).silent()
    assert fake.identity.grants[-1] == "refresh_token"
    assert token in fake.identity.access_tokens
    assert secrets[CACHE_SECRET] != before and secrets.writes == 2


def test_a_revoked_refresh_token_is_an_auth_error_with_the_fix(fake: FakeGraph) -> None:
    fake.identity.expires_in = 60
    secrets = signed_in(fake)
    fake.identity.revoke_refresh_tokens()
    with pytest.raises(AuthError) as caught:
        auth(fake, secrets).silent()
    assert "touchbase auth work" in caught.value.advice


def test_never_signed_in_is_an_auth_error_with_the_fix(fake: FakeGraph) -> None:
    with pytest.raises(AuthError) as caught:
        auth(fake, MemorySecrets()).silent()
    assert "touchbase auth work" in caught.value.advice


def test_an_account_signs_in_then_syncs_with_msal_tokens(fake: FakeGraph) -> None:
    fake.identity.access_tokens.discard("test-token")  # only tokens msal obtained are accepted
    fake.mailbox.add_message(
        "sentitems",
        sender="me@example.org",
        to=("a@example.com",),
        subject="Hi",
        date=datetime(2024, 1, 1, tzinfo=UTC),
    )
    secrets = MemorySecrets()
    settings = {"client_id": "test-client", "authority": fake.authority, "graph_url": fake.url}
    first = open_account(settings, AccountContext("work", secrets), http_client=fake.http_client())
    first.sign_in(lambda message: None)
    account = open_account(
        settings, AccountContext("work", secrets), http_client=fake.http_client()
    )
    pages, cursor = drain(account, None)
    assert [i.subject for p in pages for i in p.interactions] == ["Hi"] and cursor
    assert all(e.status == 200 for e in fake.log if e.path.startswith("/v1.0"))


def test_interactive_sign_in_completes_through_a_browser_redirect(
    fake: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """msal's real authorization-code flow: its local redirect server receives the code."""
    session = fake.http_client()
    opened: list[str] = []

    def submit(uri: str) -> None:
        # The "browser": load the sign-in page, then post its form to msal's local listener.
        page = session.get(uri, timeout=10).text
        action = html.unescape(re.search(r'action="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
        session.post(action, data=fields, timeout=10)

    def browser(uri: str, *args: object, **kwargs: object) -> bool:
        opened.append(uri)
        threading.Thread(target=submit, args=(uri,), daemon=True).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    secrets = MemorySecrets()
    assert auth(fake, secrets).sign_in_interactively() == "me@example.org"
    assert opened and opened[0].startswith("https://login.fake.test/")
    assert fake.identity.grants == ["authorization_code"]
    assert auth(fake, secrets).silent() in fake.identity.access_tokens
