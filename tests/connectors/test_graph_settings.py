"""Outlook account settings: defaults, and mistakes explained with what to change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.graph.world import MemorySecrets
from touchbase.connectors.base import AccountContext, DraftSink, Source
from touchbase.connectors.errors import ConnectorError
from touchbase.connectors.graph.account import (
    GraphAccount,
    GraphSettings,
    open_account,
    parse_settings,
)


def test_defaults_point_at_microsoft() -> None:
    parsed = parse_settings({"client_id": " abc "})
    assert parsed == GraphSettings(
        client_id="abc", authority="https://login.microsoftonline.com/common"
    )
    assert parse_settings({"client_id": "a", "tenant": "contoso.com"}).authority.endswith(
        "/contoso.com"
    )


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({}, "client_id"),
        ({"client_id": ""}, "client_id"),
        ({"client_id": "a", "tenant": "a/b"}, "tenant"),
        ({"client_id": "a", "graph_url": "http://graph.example.com/v1.0"}, "graph_url"),
        ({"client_id": "a", "authority": "http://127.0.0.1:1/t"}, "authority"),
        ({"client_id": "a", "page_size": 0}, "page_size"),
        ({"client_id": "a", "page_size": True}, "page_size"),
        ({"client_id": "a", "concurrency": 5}, "concurrency"),
        ({"client_id": "a", "mail_folders": []}, "mail_folders"),
        ({"client_id": "a", "calendar": "yes"}, "calendar"),
        ({"client_id": "a", "timeout": 0}, "timeout"),
    ],
)
def test_mistakes_name_the_setting_to_fix(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConnectorError) as caught:
        parse_settings(settings)
    assert key in str(caught.value) + caught.value.advice
    assert caught.value.advice


def test_open_account_gives_a_source_and_a_sink_without_touching_the_network() -> None:
    account = open_account({"client_id": "a"}, AccountContext("work", MemorySecrets()))
    assert isinstance(account, Source) and isinstance(account, DraftSink)
    assert account.auth is not None and account.auth._app is None  # msal is built on first use
    assert not any(hasattr(account, n) for n in ("send", "send_draft", "send_mail"))
    account.close()


def test_the_agent_registry_opens_an_outlook_account(tmp_path: Path) -> None:
    from touchbase.agent.pipeline.accounts import open_connector
    from touchbase.agent.pipeline.config import AccountConfig, Config

    account = open_connector(
        AccountConfig("work", "outlook", {"client_id": "abc", "calendar": False}),
        Config(),
        me=("me@example.org",),
        folder=tmp_path,
    )
    assert isinstance(account, GraphAccount) and account.settings.calendar is False
    account.close()
