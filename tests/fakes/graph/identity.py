"""A fake Microsoft identity platform (v2.0 endpoints) good enough for msal's real flows.

Serves the tenant's openid-configuration, the device authorization endpoint (RFC 8628) and the
token endpoint (device_code, refresh_token grants). Token responses carry what msal needs to fill
its cache: `client_info` (base64url JSON uid/utid) and an unsigned `id_token` (alg none) whose
`iss` matches the configuration's issuer (TESTING.md).

msal insists on https authorities, so tests hand it `LoopbackSession`, which sends requests for
`PUBLIC_BASE` to the local fake instead.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

PUBLIC_BASE = "https://login.fake.test"
# msal asks Microsoft's instance discovery about authorities it does not know; that lands here too.
DISCOVERY_BASE = "https://login.microsoftonline.com"
TENANT = "fake-tenant"
USER_OID = "00000000-0000-0000-0000-0000000000a1"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass
class Identity:
    """The identity endpoint's state: issued tokens, pending device codes, what was asked."""

    username: str = "me@example.org"
    expires_in: int = 3600
    pending_polls: int = 1  # device-code polls answered authorization_pending before success
    access_tokens: set[str] = field(default_factory=lambda: {"test-token"})
    refresh_tokens: set[str] = field(default_factory=set)
    grants: list[str] = field(default_factory=list)  # grant_type of every token request
    _codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code: (nonce, scope)
    _devices: dict[str, tuple[int, str]] = field(default_factory=dict)  # code: (polls, scope)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issuer(self) -> str:
        return f"{PUBLIC_BASE}/{TENANT}/v2.0"

    def handle(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        tail = path.split("/", 2)[2] if path.count("/") >= 2 else ""
        if method == "GET" and path == "/common/discovery/instance":
            return 200, self.discovery()
        if method == "GET" and tail == "v2.0/.well-known/openid-configuration":
            return 200, self.configuration()
        if method == "POST" and tail == "oauth2/v2.0/devicecode":
            return self.device_code(form)
        if method == "POST" and tail == "oauth2/v2.0/token":
            return self.token(form)
        if method == "GET" and tail == "oauth2/v2.0/authorize":
            return self.authorize(form)
        return 404, {"error": "not_found", "error_description": path}

    def discovery(self) -> dict[str, Any]:
        """Instance discovery's answer (the shape login.microsoftonline.com gives)."""
        host = PUBLIC_BASE.removeprefix("https://")
        return {
            "tenant_discovery_endpoint": f"{self.issuer()}/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [
                {"preferred_network": host, "preferred_cache": host, "aliases": [host]},
            ],
        }

    def configuration(self) -> dict[str, Any]:
        base = f"{PUBLIC_BASE}/{TENANT}"
        return {
            "issuer": self.issuer(),
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "tenant_region_scope": "EU",
        }

    def device_code(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            n = next(self._counter)
            code = f"device-{n}"
            self._devices[code] = (self.pending_polls, form.get("scope", ""))
        return 200, {
            "user_code": f"FAKE{n:04d}",
            "device_code": code,
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900,
            "interval": 0,  # poll at once: tests must not sleep
            "message": f"To sign in, open https://microsoft.com/devicelogin and enter FAKE{n:04d}.",
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The sign-in page, already signed in: hands back a code (RFC 6749 4.1.2).

        msal asks for `response_mode=form_post`, so like Microsoft's page this answers with a
        form the browser posts to the redirect URI (OAuth 2.0 Form Post Response Mode).
        """
        with self._lock:
            code = f"code-{next(self._counter)}"
            self._codes[code] = (query.get("nonce", ""), query.get("scope", ""))
        fields = {"code": code, "state": query.get("state", ""), "client_info": ""}
        return 200, {"form_post": query["redirect_uri"], "fields": fields}

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type", "")
        scope = form.get("scope", "")
        with self._lock:
            self.grants.append(grant)
            if grant == DEVICE_GRANT:
                code = form.get("device_code", "")
                if code not in self._devices:
                    return 400, {"error": "expired_token", "error_description": "unknown code"}
                polls, scope = self._devices[code]  # the device grant names no scope itself
                if polls > 0:
                    self._devices[code] = (polls - 1, scope)
                    return 400, {"error": "authorization_pending", "error_description": "wait"}
                del self._devices[code]
            elif grant == "authorization_code":
                if form.get("code") not in self._codes:
                    return 400, {"error": "invalid_grant", "error_description": "unknown code"}
                nonce, scope = self._codes.pop(form["code"])
                return 200, self._issue(form.get("client_id", ""), scope, nonce)
            elif grant == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70000"}
                self.refresh_tokens.discard(form["refresh_token"])
            else:
                return 400, {"error": "unsupported_grant_type", "error_description": grant}
            return 200, self._issue(form.get("client_id", ""), scope)

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self.refresh_tokens.clear()

    def _issue(self, client_id: str, scope: str, nonce: str = "") -> dict[str, Any]:
        n = next(self._counter)
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        now = int(time.time())
        claims = {
            "iss": self.issuer(),
            "aud": client_id,
            "exp": now + 3600,
            "iat": now,
            "nbf": now,
            "oid": USER_OID,
            "sub": "fake-subject",
            "tid": TENANT,
            "preferred_username": self.username,
            "name": "Fake Owner",
            "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        id_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
        return {
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": self.expires_in,
            "ext_expires_in": self.expires_in,
            "access_token": access,
            "refresh_token": refresh,
            "id_token": id_token,
            "client_info": _b64({"uid": USER_OID, "utid": TENANT}),
        }


class LoopbackSession(requests.Session):
    """A requests session that sends `PUBLIC_BASE` URLs to the local fake (msal's http_client)."""

    def __init__(self, local_base: str) -> None:
        super().__init__()
        self.local_base = local_base.rstrip("/")

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = url.decode() if isinstance(url, bytes) else url
        for public in (PUBLIC_BASE, DISCOVERY_BASE):
            if text.startswith(public):
                text = self.local_base + text[len(public) :]
        kwargs.setdefault("timeout", 10)
        return super().request(method, text, *args, **kwargs)
