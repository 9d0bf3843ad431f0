"""Google sign-in: the OAuth installed-app flow; credentials rebuilt from the stored refresh token.

The owner brings an OAuth client of type "Desktop app" (its JSON is `client_file`). Sign-in opens
Google's consent page and receives the code on a loopback redirect (RFC 8252 7.3), then keeps only
the refresh token, through the account's `Secrets` under "refresh_token".

Scopes: gmail.metadata (headers and labels, never bodies), gmail.compose (create drafts; touchbase
never calls send), calendar.readonly. Never gmail.readonly beside gmail.metadata: a token holding
gmail.metadata may not use `q`, whatever else it holds, and touchbase does not need it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from touchbase.connectors.base import AccountContext
from touchbase.connectors.errors import AuthError, ConnectorError, TransientError
from touchbase.connectors.google.http import DEFAULT_TIMEOUT, auth_advice
from touchbase.connectors.google.settings import GoogleSettings

log = logging.getLogger(__name__)

GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
GMAIL_COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
# One grant serves both account types, so a person signs in once per Google login.
SCOPES = (GMAIL_METADATA, GMAIL_COMPOSE, CALENDAR_READONLY)
SECRET = "refresh_token"
CONSENT_WAIT = 300  # seconds to wait for the person to finish on Google's consent page


@dataclass(frozen=True)
class ClientConfig:
    """The parts of a Google OAuth client file that touchbase uses."""

    client_id: str
    client_secret: str
    auth_uri: str
    token_uri: str

    def as_installed(self) -> dict[str, Any]:
        return {
            "installed": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "redirect_uris": ["http://127.0.0.1"],
            }
        }


def load_client(settings: GoogleSettings, account: str) -> ClientConfig:
    """Read `client_file`; say exactly what is wrong with it when it cannot be used."""
    path = Path(settings.client_file).expanduser()
    advice = (
        f"download the OAuth client JSON (type Desktop app) from Google Cloud Console and set "
        f"client_file in the [[account]] named {account} to its path"
    )
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ConnectorError(f"cannot read client_file {path}: {exc}", advice=advice) from exc
    except ValueError as exc:
        raise ConnectorError(f"client_file {path} is not JSON: {exc}", advice=advice) from exc
    if "installed" not in data:
        kind = next(iter(data), "unknown") if isinstance(data, dict) else "unknown"
        raise ConnectorError(
            f"client_file {path} holds a {kind!r} client, not a Desktop app one", advice=advice
        )
    entry = data["installed"]
    try:
        return ClientConfig(
            client_id=str(entry["client_id"]),
            client_secret=str(entry.get("client_secret", "")),
            auth_uri=str(entry.get("auth_uri", "https://accounts.google.com/o/oauth2/auth")),
            token_uri=str(entry.get("token_uri", "https://oauth2.googleapis.com/token")),
        )
    except KeyError as exc:
        raise ConnectorError(f"client_file {path} lacks {exc}", advice=advice) from exc


def credentials_for(settings: GoogleSettings, context: AccountContext) -> Credentials:
    """Credentials from the stored refresh token; the first request fetches an access token."""
    client = load_client(settings, context.name)
    refresh_token = context.secrets.get(SECRET)
    if not refresh_token:
        raise AuthError(
            f"account {context.name} has not signed in to Google",
            advice=auth_advice(context.name).replace("again ", ""),
        )
    return Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=client.token_uri,
        client_id=client.client_id,
        client_secret=client.client_secret,
        scopes=list(SCOPES),
    )


class _TimeoutAdapter(requests.adapters.HTTPAdapter):
    """Gives every request of the flow's session a timeout (requests has no session default)."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        return super().send(request, stream, timeout, verify, cert, proxies)


def authorize(
    settings: GoogleSettings,
    context: AccountContext,
    *,
    open_browser: bool = True,
    port: int = 0,
    wait_seconds: int = CONSENT_WAIT,
    scopes: Sequence[str] = SCOPES,
) -> tuple[str, ...]:
    """Run the installed-app flow, store the refresh token, return the scopes Google granted.

    The consent page may let the person untick scopes; a grant without all of `scopes` is
    refused here (AuthError) rather than failing later in a sync.
    """
    client = load_client(settings, context.name)
    flow = InstalledAppFlow.from_client_config(client.as_installed(), scopes=list(scopes))
    flow.oauth2session.mount("https://", _TimeoutAdapter())
    flow.oauth2session.mount("http://", _TimeoutAdapter())
    try:
        creds = _run_flow(flow, open_browser=open_browser, port=port, wait_seconds=wait_seconds)
    except WSGITimeoutError as exc:
        raise AuthError(
            f"no answer from Google's consent page within {wait_seconds}s",
            advice=auth_advice(context.name),
        ) from exc
    except OAuth2Error as exc:
        raise AuthError(
            f"Google refused the sign-in: {exc.error}", advice=auth_advice(context.name)
        ) from exc
    except requests.RequestException as exc:
        raise TransientError(f"sign-in could not reach Google: {exc}") from exc
    except Warning as exc:  # oauthlib raises "Scope has changed" when boxes were unticked
        raise AuthError(
            f"Google granted other scopes than asked: {exc}",
            advice=auth_advice(context.name) + " and leave every box ticked on the consent page",
        ) from exc
    if not creds.refresh_token:
        raise AuthError("Google answered without a refresh token", advice=auth_advice(context.name))
    granted = tuple(sorted(_granted(creds) or scopes))
    missing = [s for s in scopes if s not in granted]
    if missing:
        raise AuthError(
            f"Google granted less than touchbase needs (missing {', '.join(missing)})",
            advice=auth_advice(context.name) + " and leave every box ticked on the consent page",
        )
    context.secrets.set(SECRET, creds.refresh_token)
    log.info("account %s signed in to Google", context.name)
    return granted


def _run_flow(
    flow: InstalledAppFlow, *, open_browser: bool, port: int, wait_seconds: int
) -> Credentials:
    return flow.run_local_server(
        host="127.0.0.1",
        port=port,
        open_browser=open_browser,
        timeout_seconds=wait_seconds,
        access_type="offline",  # a refresh token, for a daemon that runs unattended
        prompt="consent",  # Google hands a refresh token again only on a fresh consent
        authorization_prompt_message="Open this address to let touchbase in: {url}",
        success_message="touchbase is signed in. You can close this tab.",
    )


def _granted(creds: Credentials) -> list[str]:
    granted = creds.granted_scopes or []
    if isinstance(granted, str):
        return granted.split()
    return list(granted)
