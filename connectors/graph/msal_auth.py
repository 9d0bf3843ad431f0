"""Microsoft sign-in with msal: device-code and interactive flows, a silent token per sync.

The token cache (msal.SerializableTokenCache) lives in the account's secrets under
`token_cache`; it is written back only when msal says it changed (`has_state_changed`), so a
sync that reuses a cached access token writes nothing. Every failure is an error kind from
`touchbase.connectors.errors`; an AuthError's advice names `touchbase auth ACCOUNT`.

msal fetches the authority's openid-configuration when the application is built, so the
application is built lazily, on first use. Tests hand msal an `http_client` routed to a local
fake identity endpoint (TESTING.md, "Microsoft Graph and msal").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msal
import requests
from msal.oauth2cli.oauth2 import BrowserInteractionTimeoutError

from touchbase.connectors.base import Secrets
from touchbase.connectors.errors import AuthError, ConnectorError, TransientError

log = logging.getLogger(__name__)

DEFAULT_SCOPES = ("Mail.ReadWrite", "Calendars.Read")
CACHE_SECRET = "token_cache"
INTERACTIVE_WAIT = 300  # seconds a person has to finish signing in in the browser
# Ask msal again this long before the access token runs out (msal itself refreshes 5 min early).
EARLY = 300.0
# OAuth errors that only a person can fix (RFC 6749 5.2; Microsoft's AADSTS codes map onto these).
PERSON_MUST_ACT = frozenset(
    {
        "invalid_grant",
        "interaction_required",
        "consent_required",
        "login_required",
        "invalid_client",
        "unauthorized_client",
        "access_denied",
        "expired_token",
    }
)


@dataclass
class MsalAuth:
    """Tokens for one account. Call it (a token provider) for an access token."""

    account: str
    client_id: str
    authority: str
    secrets: Secrets
    scopes: Sequence[str] = DEFAULT_SCOPES
    http_client: Any = None  # tests only: routes msal's HTTP to a local fake
    timeout: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _app: msal.PublicClientApplication | None = field(default=None, init=False, repr=False)
    _cache: msal.SerializableTokenCache | None = field(default=None, init=False, repr=False)
    _token: tuple[str, float] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __call__(self) -> str:
        """An access token, from memory while it is fresh, else silently from msal."""
        with self._lock:
            if self._token is not None and self._token[1] - EARLY > self.clock():
                return self._token[0]
        return self.silent()

    def silent(self) -> str:
        """acquire_token_silent: the cached token, refreshed with the refresh token if needed."""
        app = self.app()
        accounts = self._call(app.get_accounts)
        if not accounts:
            raise AuthError(
                f"account {self.account!r} is not signed in to Microsoft",
                advice=f"run `touchbase auth {self.account}` to sign in",
            )
        result = self._call(app.acquire_token_silent_with_error, list(self.scopes), accounts[0])
        if result is None:
            raise AuthError(
                f"no usable Microsoft token for account {self.account!r}",
                advice=f"run `touchbase auth {self.account}` to sign in again",
            )
        return self._accept(result)

    def sign_in_with_device_code(self, show: Callable[[str], None]) -> str:
        """The device-code flow (RFC 8628): `show` tells the person where to enter the code.

        Returns the signed-in username. Blocks while msal polls the token endpoint.
        """
        app = self.app()
        flow = self._call(app.initiate_device_flow, scopes=list(self.scopes))
        if "user_code" not in flow:
            raise AuthError(
                f"could not start the device-code sign-in: {flow.get('error')}",
                advice="check client_id and tenant, and that the app allows public client flows",
            )
        show(str(flow.get("message") or flow["verification_uri"] + " " + flow["user_code"]))
        result = self._call(app.acquire_token_by_device_flow, flow)
        self._accept(result)
        return str(result.get("id_token_claims", {}).get("preferred_username", ""))

    def sign_in_interactively(self) -> str:
        """The authorization-code flow in a local browser (where one exists)."""
        app = self.app()
        try:
            result = self._call(
                app.acquire_token_interactive, list(self.scopes), timeout=INTERACTIVE_WAIT
            )
        except BrowserInteractionTimeoutError as exc:
            raise AuthError(
                "the browser sign-in was not completed in time",
                advice=f"run `touchbase auth {self.account}` again, or use the device code",
            ) from exc
        self._accept(result)
        return str(result.get("id_token_claims", {}).get("preferred_username", ""))

    def app(self) -> msal.PublicClientApplication:
        """The msal application, built on first use (it fetches the openid-configuration)."""
        if self._app is not None:
            return self._app
        cache = msal.SerializableTokenCache()
        saved = self.secrets.get(CACHE_SECRET)
        if saved:
            try:
                cache.deserialize(saved)
            except ValueError:
                log.warning("account %s: unreadable token cache ignored", self.account)
        kwargs: dict[str, Any] = {"timeout": self.timeout}
        if self.http_client is not None:
            kwargs = {"http_client": self.http_client}
        try:
            self._app = msal.PublicClientApplication(
                self.client_id, authority=self.authority, token_cache=cache, **kwargs
            )
        except requests.RequestException as exc:
            raise TransientError(f"Microsoft sign-in service unreachable: {exc}") from exc
        except ValueError as exc:
            raise ConnectorError(
                f"Microsoft authority {self.authority!r} refused: {exc}",
                advice="check `tenant` / `authority` in this account's settings",
            ) from exc
        self._cache = cache
        return self._app

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except requests.RequestException as exc:
            raise TransientError(f"Microsoft sign-in service: {type(exc).__name__}") from exc

    def _accept(self, result: dict[str, Any]) -> str:
        self._persist()
        if "access_token" not in result:
            error = str(result.get("error") or "unknown_error")
            # error_description can name the user; keep it out of info logs (DESIGN.md #8).
            log.debug(
                "account %s: token error %s: %s",
                self.account,
                error,
                result.get("error_description"),
            )
            if error in PERSON_MUST_ACT or error.startswith("invalid_"):
                raise AuthError(
                    f"Microsoft refused the sign-in for {self.account!r} ({error})",
                    advice=f"run `touchbase auth {self.account}` to sign in again",
                )
            raise TransientError(f"Microsoft token endpoint answered {error}")
        token = str(result["access_token"])
        lifetime = float(result.get("expires_in") or 0)
        with self._lock:
            self._token = (token, self.clock() + lifetime)
        return token

    def _persist(self) -> None:
        """Write the cache back only when msal changed it (a refresh, a new sign-in)."""
        if self._cache is not None and self._cache.has_state_changed:
            self.secrets.set(CACHE_SECRET, self._cache.serialize())
            self._cache.has_state_changed = False
