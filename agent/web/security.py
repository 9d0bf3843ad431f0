"""The review page's defences: CSRF tokens, a Host allow-list, strict security headers.

- CSRF: a random token per browser session (kept in Flask's signed session cookie, signed with
  the install's own random secret from AppState); every POST must echo it in a form field, and
  a cross-site Origin is refused outright. The cookie is SameSite=Strict and HttpOnly.
- Host allow-list: the page answers only to the names it listens on, which stops DNS rebinding
  (a web page in the owner's browser resolving its own domain to 127.0.0.1).
- Content-Security-Policy allows no script at all, styles only from the page itself, and forms
  only back to the page; plus nosniff, no framing, no referrer, no caching.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request, session

from touchbase.agent.service import Service

SECRET_KEY = "web.secret"
CSRF_FIELD = "csrf"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def install_secret(service: Service) -> str:
    """The install's random secret, made on first use and kept in the database."""
    return service.remembered(SECRET_KEY, lambda: secrets.token_urlsafe(32))


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def check_request(allowed_hosts: frozenset[str] | None) -> None:
    """Before every request: the Host is ours; a state change carries our CSRF token."""
    if allowed_hosts is not None and request.host.lower() not in allowed_hosts:
        abort(421)  # Misdirected Request: not a name this page answers to
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        if parts.netloc.lower() != request.host.lower():
            abort(403, "cross-site request refused")
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
        abort(403, "the form has expired or did not come from this page; reload and try again")


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def configure(app: Flask, secret: str, allowed_hosts: frozenset[str] | None) -> None:
    app.secret_key = secret
    app.config.update(
        SESSION_COOKIE_NAME="touchbase_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=256 * 1024,  # a draft is small; refuse anything huge
    )
    app.before_request(lambda: check_request(allowed_hosts))
    app.after_request(add_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


def loopback_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host values to accept when listening on `host`; None (any) for a non-loopback bind,
    which the owner chose explicitly and should put behind a proxy."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        return None
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})
