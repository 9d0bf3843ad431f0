"""Google HTTP: services from the bundled discovery documents, a safe transport, error kinds.

Services are built with `build_from_document` from the discovery documents shipped inside
google-api-python-client, so nothing is fetched at start and `api_root` can point the very same
code at a local fake (`client_options={"api_endpoint": ...}` would leave batches aimed at Google,
googleapis/google-api-python-client#1107).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import google.auth.exceptions
import httplib2
import requests
from google.auth.credentials import Credentials
from google.auth.transport.requests import Request as AuthRequest
from googleapiclient import discovery_cache
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import BatchError, HttpError

from touchbase.connectors.errors import AuthError, ConnectorError, CursorExpired, TransientError
from touchbase.connectors.retry import RetryPolicy, call_with_retry, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0  # seconds per HTTP call; a batch of 50 metadata gets answers in well under 5
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
# Gmail and Calendar also signal rate limits with 403 and these reasons (Gmail "Resolve errors").
RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "concurrentLimitExceeded", "backendError"}
)


# A daily or project quota used up (Gmail "Resolve errors": 403 dailyLimitExceeded; Calendar
# "Handle API errors": 403 quotaExceeded). Waiting seconds will not help; the next cycles, in an
# hour or so, will. Longer than RetryPolicy.retry_after_cap, so the run stops at once.
QUOTA_REASONS = frozenset({"dailyLimitExceeded", "quotaExceeded", "limitExceeded"})
QUOTA_WAIT = 3600.0


class RequestFailed(ConnectorError):
    """A request Google refused for good (400, 404...): `status` says which."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class RateLimited(TransientError):
    """429, or 403 with a rate-limit reason: Google asks this client to slow down."""


def auth_advice(account: str) -> str:
    return f"sign in again with `touchbase auth {account}`"


class GoogleHttp:
    """The `http` object googleapiclient calls: requests underneath, OAuth applied, timeouts.

    Why not httplib2, the library's default: httplib2 silently sends any request again, POST
    included, when a kept-alive connection drops before the answer (Http._conn_request), which
    would duplicate a draft stored just before the drop. requests/urllib3 send nothing twice by
    default, and take a timeout per call. A 401 is answered by one token refresh and one retry
    (nothing was done by a server that refused the token).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        account: str,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.credentials = credentials
        self.account = account
        self.timeout = timeout
        self.session = session or requests.Session()
        self._auth_request = AuthRequest(self.session)

    def ensure_token(self) -> None:
        """Refresh the access token now if it is missing or expired."""
        if not self.credentials.valid:
            self._refresh()

    def _refresh(self) -> None:
        try:
            self.credentials.refresh(self._auth_request)
        except google.auth.exceptions.RefreshError as exc:
            raise AuthError(
                f"Google refused the sign-in for {self.account}: {exc}",
                advice=auth_advice(self.account),
            ) from exc
        except google.auth.exceptions.TransportError as exc:
            raise TransientError(f"token refresh failed: {exc}") from exc

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        redirections: int = 5,
        connection_type: object = None,
    ) -> tuple[httplib2.Response, bytes]:
        for attempt in (1, 2):
            self.ensure_token()
            sent_headers = dict(headers or {})
            self.credentials.apply(sent_headers)
            try:
                resp = self.session.request(
                    method,
                    uri,
                    data=body.encode("utf-8") if isinstance(body, str) else body,
                    headers=sent_headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise TransientError(f"{method} {_path(uri)} failed: {exc}") from exc
            if resp.status_code == 401 and attempt == 1:
                log.debug("401 from %s; refreshing the access token once", _path(uri))
                self._refresh()
                continue
            break
        info = {k.lower(): v for k, v in resp.headers.items()}
        info["status"] = str(resp.status_code)
        response = httplib2.Response(info)
        response.reason = resp.reason or ""
        return response, resp.content

    def close(self) -> None:
        self.session.close()


def _path(uri: str) -> str:
    """The URI without its query (queries can carry ids; never log them at info)."""
    return uri.split("?", 1)[0]


def build_service(api: str, version: str, http: GoogleHttp, api_root: str | None = None) -> Any:
    """A googleapiclient Resource for `api`, from the bundled discovery document."""
    text = discovery_cache.get_static_doc(api, version)
    if text is None:  # pragma: no cover - the document ships with the library
        raise ConnectorError(f"google-api-python-client lacks the {api} {version} document")
    doc = json.loads(text)
    if api_root:
        doc["rootUrl"] = api_root if api_root.endswith("/") else api_root + "/"
    return build_from_document(doc, http=http)


def reason_of(exc: HttpError) -> str:
    """The first `errors[].reason` of a Google JSON error body, or ""."""
    try:
        error = json.loads(exc.content or b"{}").get("error", {})
        errors = error.get("errors") or [{}]
        return str(errors[0].get("reason", "") or error.get("status", ""))
    except (ValueError, AttributeError):
        return ""


def classify(exc: HttpError, account: str, what: str) -> ConnectorError:
    """The error kind for an HTTP error answer (DESIGN.md contract 3)."""
    status = exc.resp.status
    reason = reason_of(exc)
    message = f"{what}: HTTP {status} {reason}".strip()
    retry_after = parse_retry_after(exc.resp.get("retry-after"))
    if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS - {"backendError"}):
        return RateLimited(message, retry_after=retry_after)
    if status in TRANSIENT_STATUS or (status == 403 and reason in RATE_LIMIT_REASONS):
        return TransientError(message, retry_after=retry_after)
    if status == 401 or (status == 403 and reason in ("insufficientPermissions", "authError")):
        return AuthError(message, advice=auth_advice(account))
    if status == 403 and reason in QUOTA_REASONS:
        after = parse_retry_after(exc.resp.get("retry-after")) or 0.0
        return TransientError(
            message,
            retry_after=max(after, QUOTA_WAIT),
            advice="Google's daily quota for this project is used up; touchbase tries again later",
        )
    if status == 410:
        return CursorExpired(message)
    return RequestFailed(message, status)


def refused(error: ConnectorError, what: str) -> TransientError:
    """A refusal of one part of a batch as a reason to stop the run and come back later.

    A quota, permission or server refusal says nothing about the record, so it is never
    quarantined: the page is not stored, its cursor does not move, the next run asks again.
    """
    if isinstance(error, TransientError):
        return error
    return TransientError(f"{what} refused: {error}", retry_after=REFUSED_WAIT)


REFUSED_WAIT = 600.0  # an unknown refusal: try again in ten minutes, not in a tight loop


def execute_once(request: Any, account: str, what: str) -> dict[str, Any]:
    """Execute one request with no retry (for the non-idempotent drafts.create)."""
    try:
        return request.execute(num_retries=0)
    except HttpError as exc:
        raise classify(exc, account, what) from exc
    except BatchError as exc:  # pragma: no cover - only batches raise it
        raise TransientError(f"{what}: {exc}") from exc


def execute(
    make: Callable[[], Any],
    account: str,
    what: str,
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """Execute an idempotent request, retrying transient failures (Retry-After honoured)."""
    return call_with_retry(
        lambda: execute_once(make(), account, what), policy, sleep=sleep, what=what
    )
