"""The review page's defences: an access token, CSRF tokens, a Host allow-list, strict headers.

- Access: a random token per install (in the database, which lives in the owner-only data
  folder), as Jupyter does: `touchbase serve` prints the page's link with `?token=...`; opening
  it sets an HttpOnly, SameSite=Strict cookie carrying the token and redirects to the clean
  address. Any request with neither gets 403 and a short page saying how to get the link, so a
  local user (or anyone on the network) who can reach the port cannot read a page or fetch a
  CSRF token. Compared in constant time; never logged (the server keeps no access log).
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
from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, abort, request, session
from markupsafe import escape

from touchbase.agent.service import Service
from touchbase.agent.web.access import access_token as access_token  # also importable from here

SECRET_KEY = "web.secret"
ACCESS_COOKIE = "touchbase_access"
TOKEN_PARAM = "token"
ACCESS_DAYS = 400  # the longest a browser keeps a cookie (Chrome caps Max-Age at 400 days)
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


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


LOCKED = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>touchbase: open the link</title></head>
<body><h1>This page needs its link</h1>
<p>The review page opens only for its owner. Open the link that <code>touchbase serve</code>
printed when it started (it ends in <code>?token=...</code>), or print it again with
<code>touchbase serve --url</code>.</p></body></html>
"""


_ONWARD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={url}">
<title>touchbase</title></head><body><p><a href="{url}">Open the review page</a></p></body></html>
"""


def check_access(token: str, secure: bool) -> Response | None:
    """The access token, from the link (then set as a cookie and dropped from the address) or
    the cookie; None to go on, else the response to send."""
    given = request.args.get(TOKEN_PARAM)
    if given is not None:
        if not _same(given, token):
            return locked()
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != TOKEN_PARAM]
        clean = request.path + (f"?{urlencode(rest)}" if rest else "")
        # Not a 303: a Strict cookie is withheld from every request of a navigation that
        # started on another site (a link in webmail, the digest), redirects included, so the
        # clean address would answer 403 (seen in Chromium). A page of our own that moves on
        # starts a same-site navigation, which carries the cookie.
        response = Response(_ONWARD.format(url=escape(clean)), status=200, mimetype="text/html")
        response.set_cookie(
            ACCESS_COOKIE,
            token,
            max_age=ACCESS_DAYS * 86400,
            httponly=True,
            samesite="Strict",
            secure=secure,
        )
        return response
    if _same(request.cookies.get(ACCESS_COOKIE, ""), token):
        return None
    return locked()


def locked() -> Response:
    return Response(LOCKED, status=403, mimetype="text/html")


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def check_request(
    allowed_hosts: frozenset[str] | None, token: str, secure: bool
) -> Response | None:
    """Before every request: the Host is ours; the owner's token comes with it; a state change
    carries our CSRF token."""
    if allowed_hosts is not None and request.host.lower() not in allowed_hosts:
        abort(421)  # Misdirected Request: not a name this page answers to
    answer = check_access(token, secure)
    if answer is not None:
        return answer
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        if parts.netloc.lower() != request.host.lower():
            abort(403, "cross-site request refused")
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
        abort(403, "the form has expired or did not come from this page; reload and try again")
    return None


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def configure(
    app: Flask,
    secret: str,
    allowed_hosts: frozenset[str] | None,
    token: str,
    *,
    secure: bool = False,
) -> None:
    app.secret_key = secret
    app.config.update(
        SESSION_COOKIE_NAME="touchbase_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure,
        MAX_CONTENT_LENGTH=256 * 1024,  # a draft is small; refuse anything huge
    )
    app.before_request(lambda: check_request(allowed_hosts, token, secure))
    app.after_request(add_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


def allowed_hosts(host: str, port: int, names: Iterable[str] = ()) -> frozenset[str] | None:
    """The Host values to accept: loopback's names, the address listened on (unless it is a
    wildcard) and the names configured for the page ([web] names), each with the port (and
    bare on the scheme's default port, as browsers send it)."""
    hosts = {"127.0.0.1", "localhost", "[::1]"}
    if host not in ("0.0.0.0", "::", ""):
        hosts.add(f"[{host}]" if ":" in host else host)
    hosts.update(n.lower() for n in names)
    with_port = {f"{h}:{port}" for h in hosts}
    return frozenset(with_port | (hosts if port in (80, 443) else set()))
