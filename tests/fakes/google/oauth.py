"""The fake Google OAuth 2.0 endpoints: the consent page (a redirect) and the token endpoint.

RFC 6749 4.1 (authorization code) and 6 (refresh); errors as Google answers them: a revoked or
expired refresh token is `400 {"error": "invalid_grant"}`.
"""

from __future__ import annotations

import base64
import secrets
import threading
from urllib.parse import parse_qs, unquote, urlencode

from tests.fakes.google.wire import Call, Reply, json_reply


class FakeOAuth:
    """Knows one client, hands out codes, refresh tokens and access tokens."""

    def __init__(self, client_id: str = "fake-client.apps.googleusercontent.com") -> None:
        self.client_id = client_id
        self.client_secret = "fake-secret"
        self.access_tokens: set[str] = {"test-token"}  # accepted by the API endpoints
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> granted scope string
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (scope, redirect_uri)
        self.granted_scopes: str | None = None  # set to grant less than was asked
        self._lock = threading.Lock()

    def issue_refresh_token(self, scope: str = "") -> str:
        with self._lock:
            token = "1//fake-refresh-" + secrets.token_urlsafe(8)
            self.refresh_tokens[token] = scope
            return token

    def revoke(self, refresh_token: str) -> None:
        with self._lock:
            self.refresh_tokens.pop(refresh_token, None)

    def expire_access_tokens(self) -> None:
        with self._lock:
            self.access_tokens.clear()

    def authorized(self, header: str | None) -> bool:
        if not header or not header.lower().startswith("bearer "):
            return False
        with self._lock:
            return header[7:].strip() in self.access_tokens

    def consent(self, call: Call) -> Reply:
        """GET auth: the person says yes at once; redirect to the loopback with a code."""
        redirect = call.arg("redirect_uri")
        if call.arg("client_id") != self.client_id or not redirect:
            return json_reply({"error": "invalid_client"}, 401)
        scope = self.granted_scopes or call.arg("scope") or ""
        code = "4/fake-code-" + secrets.token_urlsafe(8)
        with self._lock:
            self.codes[code] = (scope, redirect)
        query = urlencode({"code": code, "state": call.arg("state") or "", "scope": scope})
        return Reply(302, b"", {"Location": f"{redirect}?{query}"})

    def token(self, call: Call) -> Reply:
        form = {k: v[0] for k, v in parse_qs(call.body.decode()).items()}
        basic = call.headers.get("authorization", "")
        if basic.lower().startswith("basic "):  # client_secret_basic (RFC 6749 2.3.1)
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", unquote(user))
            form.setdefault("client_secret", unquote(password))
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return json_reply({"error": "invalid_client"}, 401)
        grant = form.get("grant_type")
        with self._lock:
            if grant == "authorization_code":
                found = self.codes.pop(form.get("code", ""), None)
                if found is None or found[1] != form.get("redirect_uri"):
                    return _invalid_grant("Malformed auth code.")
                scope = found[0]
                refresh = "1//fake-refresh-" + secrets.token_urlsafe(8)
                self.refresh_tokens[refresh] = scope
            elif grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                if refresh not in self.refresh_tokens:
                    return _invalid_grant("Token has been expired or revoked.")
                scope = self.refresh_tokens[refresh]
            else:
                return json_reply({"error": "unsupported_grant_type"}, 400)
            access = "ya29.fake-" + secrets.token_urlsafe(8)
            self.access_tokens.add(access)
        body = {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}
        if scope:
            body["scope"] = scope
        if grant == "authorization_code":
            body["refresh_token"] = refresh
        return json_reply(body)


def _invalid_grant(description: str) -> Reply:
    return json_reply({"error": "invalid_grant", "error_description": description}, 400)
