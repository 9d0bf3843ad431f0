"""Microsoft Graph over HTTP: timeouts, error kinds, Retry-After, at most 4 requests per mailbox.

The client knows nothing about mail or calendars. It takes a token provider (a callable returning
an access token) so tests need no msal, follows absolute `@odata.nextLink` / `@odata.deltaLink`
URLs verbatim, and turns every failure into one of the kinds in `touchbase.connectors.errors`:

- 401, 403 -> AuthError (advice names `touchbase auth ACCOUNT`).
- 410 Gone, or an error code syncStateNotFound / resyncRequired -> CursorExpired
  (https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset).
- 429, 500, 502, 503, 504, timeouts, dropped connections -> TransientError with Retry-After
  (https://learn.microsoft.com/graph/throttling).
- anything else -> ConnectorError.

GETs are idempotent and retried (connectors/retry.py). POSTs are sent once: creating a draft is
not idempotent, and the caller looks the draft up by its key before trying again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from touchbase.connectors.errors import AuthError, ConnectorError, CursorExpired, TransientError
from touchbase.connectors.retry import RetryPolicy, call_with_retry, parse_retry_after

log = logging.getLogger(__name__)

TokenProvider = Callable[[], str]

# Outlook allows 4 concurrent requests per app per mailbox; more is answered with 429
# (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits).
MAX_CONCURRENCY = 4
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
EXPIRED_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
# Never requested: touchbase does not send mail (message: send, user: sendMail, and the
# namespaced action form).
SEND_MARKERS = ("/send", "/sendmail", ".send", ".sendmail")


class NotFound(ConnectorError):
    """404: the resource asked for does not exist (a message deleted since it was seen)."""


@dataclass
class GraphClient:
    """One mailbox's connection to Graph. Thread-safe; shared by that account's Source and Sink.

    `base_url` is the service root with its version ("https://graph.microsoft.com/v1.0").
    `timeout` is (connect, read) seconds for every request. `requests_made` counts requests
    sent on the wire (retries included), for benchmarks and logs.
    """

    base_url: str
    token: TokenProvider
    account: str = "ACCOUNT"
    timeout: tuple[float, float] = (10.0, 60.0)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] | None = None
    session: requests.Session = field(default_factory=requests.Session)
    max_concurrency: int = MAX_CONCURRENCY
    requests_made: int = 0
    _gate: threading.BoundedSemaphore = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if not 1 <= self.max_concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"max_concurrency must be 1..{MAX_CONCURRENCY}")
        self._gate = threading.BoundedSemaphore(self.max_concurrency)

    def url(self, path_or_url: str) -> str:
        """An absolute URL: links Graph handed out are used verbatim, paths join the base URL."""
        if urlsplit(path_or_url).scheme:
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def get(
        self,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """GET a JSON resource, retrying transient failures (reads are idempotent)."""
        url = self.url(path_or_url)
        kwargs: dict[str, Any] = {}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        return call_with_retry(
            lambda: self._send("GET", url, params=params, headers=headers),
            self.policy,
            what=f"GET {urlsplit(url).path}",
            **kwargs,
        )

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST JSON once. Not retried: the caller decides after looking the result up."""
        return self._send("POST", self.url(path), json_body=body)

    def close(self) -> None:
        self.session.close()

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        path = urlsplit(url).path.lower()
        if any(path.endswith(marker) for marker in SEND_MARKERS):
            raise AssertionError(f"refusing a send endpoint: {path}")  # DESIGN.md contract 6
        all_headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        all_headers.update(headers or {})
        with self._gate:
            with self._lock:
                self.requests_made += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    headers=all_headers,
                    json=json_body,
                    timeout=self.timeout,
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,  # a body cut short
            ) as exc:
                raise TransientError(
                    f"{method} {urlsplit(url).path}: {type(exc).__name__}"
                ) from exc
            except requests.RequestException as exc:
                raise ConnectorError(f"{method} {urlsplit(url).path}: {exc}") from exc
        return self._decode(method, url, response)

    def _decode(self, method: str, url: str, response: requests.Response) -> dict[str, Any]:
        status = response.status_code
        where = f"{method} {urlsplit(url).path}"
        if 200 <= status < 300:
            if status == 204 or not response.content:
                return {}
            try:
                body = response.json()
            except ValueError as exc:
                # A body cut short by a dropped connection: worth another try.
                raise TransientError(f"{where}: unreadable JSON ({exc})") from exc
            if not isinstance(body, dict):
                raise ConnectorError(f"{where}: expected a JSON object")
            return body
        code, message = _error(response)
        detail = f"{where}: HTTP {status} {code or ''} {message or ''}".rstrip()
        if status == 410 or (code or "").lower() in EXPIRED_CODES:
            expired = CursorExpired(detail)
            # A 410 may name where to start again (delta-query-overview#synchronization-reset).
            expired.location = response.headers.get("Location")  # type: ignore[attr-defined]
            raise expired
        if status in TRANSIENT_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise TransientError(detail, retry_after=retry_after)
        if status in (401, 403):
            fix = f"run `touchbase auth {self.account}` to sign in again"
            if status == 403:
                fix += " and grant Mail.ReadWrite and Calendars.Read (delegated) to the app"
            raise AuthError(detail, advice=fix)
        if status == 404:
            raise NotFound(detail)
        raise ConnectorError(detail)


def _error(response: requests.Response) -> tuple[str | None, str | None]:
    """The `error.code` and `error.message` of a Graph error body, when it has one."""
    try:
        body = json.loads(response.text or "{}")
    except ValueError:
        return None, None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    return error.get("code"), error.get("message")
