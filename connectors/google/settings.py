"""Settings of Google accounts (types `gmail`, `gcal`), checked with messages that say what to fix.

An account's TOML table (the agent passes it to `open_account`):

    [[account]]
    name = "work-mail"
    type = "gmail"
    client_file = "~/.config/touchbase/google-client.json"   # required: your OAuth client
    # labels = ["SENT", "INBOX"]     # Gmail labels to read, in order (system label ids)
    # batch_size = 50                # metadata gets per batch request (1-50, as Google advises)
    # quota_units_per_minute = 15000 # pace to Gmail's per-user quota
    # timeout = 30                   # seconds per HTTP request

    [[account]]
    name = "work-calendar"
    type = "gcal"
    client_file = "~/.config/touchbase/google-client.json"
    # calendar_id = "primary"
    # past_days = 730                # how far back the first sync reads
    # page_size = 250                # events per page (1-2500)

`client_file` is the JSON of an OAuth client of type "Desktop app" that you create in Google
Cloud Console (APIs & Services > Credentials) with the Gmail and Calendar APIs enabled.
`api_root` overrides Google's API root URL (tests point it at a local fake; the OAuth endpoints
come from the client file).
The refresh token is not a setting: `touchbase auth ACCOUNT` stores it through the account's
secrets under the name "refresh_token".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from touchbase.connectors.errors import ConnectorError

log = logging.getLogger(__name__)

AGENT_KEYS = frozenset({"type", "name", "enabled", "secrets", "addresses", "me", "schedule"})


@dataclass(frozen=True)
class GoogleSettings:
    """One Google account's settings, validated."""

    client_file: str
    api_root: str | None = None
    timeout: float = 30.0
    quota_units_per_minute: float = 15_000.0
    batch_size: int = 50
    labels: tuple[str, ...] = ("SENT", "INBOX")
    calendar_id: str = "primary"
    past_days: int = 730
    page_size: int = 250


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _number(low: float, high: float) -> Callable[[object], float]:
    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return float(value)

    return check


def _integer(low: int, high: int) -> Callable[[object], int]:
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return check


def _labels(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ValueError('must be a list of Gmail label ids, such as ["SENT", "INBOX"]')
    return tuple(_text(v) for v in value)


def _url(value: object) -> str:
    text = _text(value)
    if not text.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError("must be an https:// URL (or a loopback http:// URL for tests)")
    return text


COMMON: dict[str, Callable[[object], Any]] = {
    "client_file": _text,
    "api_root": _url,
    "timeout": _number(1, 600),
}
BY_TYPE: dict[str, dict[str, Callable[[object], Any]]] = {
    "gmail": {
        "labels": _labels,
        "batch_size": _integer(1, 50),
        "quota_units_per_minute": _number(1, 10_000_000),
    },
    "gcal": {
        "calendar_id": _text,
        "past_days": _integer(0, 36_500),
        "page_size": _integer(1, 2500),
    },
}


def parse_settings(raw: Mapping[str, object], *, account: str, kind: str) -> GoogleSettings:
    """Validate `raw` for an account of type `kind` ("gmail" or "gcal")."""
    table = COMMON | BY_TYPE[kind]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        check = table.get(key)
        if check is None:
            if key not in AGENT_KEYS:
                log.warning("account %s: ignoring unknown %s setting %r", account, kind, key)
            continue
        try:
            values[key] = check(value)
        except ValueError as exc:
            raise ConnectorError(
                f"account {account}: setting {key} {exc}",
                advice=f"fix `{key}` in the [[account]] named {account} in your config",
            ) from exc
    if "client_file" not in values:
        raise ConnectorError(
            f"account {account}: no client_file",
            advice=(
                f'add client_file = "PATH" to the [[account]] named {account}: the JSON of a '
                "Google OAuth client of type Desktop app (Google Cloud Console > APIs & Services "
                "> Credentials)"
            ),
        )
    return GoogleSettings(**values)
