"""WebDAV over HTTP for CalDAV and CardDAV: PROPFIND and REPORT, multistatus parsed, errors sorted.

A thin layer over requests and the standard library's XML parser. Every request has the
account's timeout; PROPFIND and REPORT are safe methods (RFC 4918 9.1, RFC 3253 3.6), so they are
retried on transient failures (DESIGN.md contract 4). Failures leave here as the kinds of
connectors.errors: 401 is AuthError with advice, a dropped connection, a timeout, 429 or 5xx a
TransientError, a 403/409 carrying DAV:valid-sync-token (RFC 6578 3.2) CursorExpired.
"""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urljoin, urlsplit

import requests

from touchbase.connectors.errors import AuthError, ConnectorError, CursorExpired, TransientError
from touchbase.connectors.retry import RetryPolicy, call_with_retry, parse_retry_after

log = logging.getLogger(__name__)

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
NAMESPACES = {"D": DAV, "C": CALDAV, "CR": CARDDAV}


def tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


class Gone(ConnectorError):
    """The collection asked for is no longer on the server (404 or 410)."""


class Unsupported(ConnectorError):
    """The server does not offer the report asked for (501, or DAV:supported-report refused)."""


@dataclass(frozen=True, slots=True)
class Resource:
    """One `DAV:response` of a multistatus: its path, status and properties (by Clark name)."""

    href: str
    status: int
    props: dict[str, ET.Element] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        element = self.props.get(name)
        return None if element is None else (element.text or "")

    def hrefs(self, name: str) -> list[str]:
        """The DAV:href values inside a property (current-user-principal, *-home-set)."""
        element = self.props.get(name)
        if element is None:
            return []
        return [(h.text or "").strip() for h in element.iter(tag(DAV, "href")) if h.text]

    def types(self) -> set[str]:
        element = self.props.get(tag(DAV, "resourcetype"))
        return set() if element is None else {child.tag for child in element}


@dataclass(frozen=True, slots=True)
class Multistatus:
    resources: list[Resource]
    sync_token: str | None = None


def _status(text: str | None) -> int:
    # "HTTP/1.1 200 OK" (RFC 4918 14.28)
    parts = (text or "").split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def path_of(href: str) -> str:
    """An href as a path, percent-decoding undone, so one resource has one name."""
    return unquote(urlsplit(href).path)


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL ("" for a bare path)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def quoted(path: str) -> str:
    """A decoded path (or absolute URL) percent-encoded again for the wire (RFC 3986)."""
    return quote(path, safe="/:@!$&'()*+,;=~")


def parse_multistatus(body: bytes) -> Multistatus:
    """A 207 Multi-Status body (RFC 4918 13): each response's href, status and 200 properties."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ConnectorError(f"the server answered with XML that does not parse: {exc}") from None
    if root.tag != tag(DAV, "multistatus"):
        raise ConnectorError(f"the server answered {root.tag}, not a DAV:multistatus")
    resources = []
    for response in root.findall("D:response", NAMESPACES):
        href = response.findtext("D:href", default="", namespaces=NAMESPACES).strip()
        props: dict[str, ET.Element] = {}
        status = _status(response.findtext("D:status", namespaces=NAMESPACES))
        for propstat in response.findall("D:propstat", NAMESPACES):
            code = _status(propstat.findtext("D:status", namespaces=NAMESPACES))
            if code == 200:
                status = status or 200
                for prop in propstat.findall("D:prop", NAMESPACES):
                    props.update((child.tag, child) for child in prop)
            else:
                status = status or code
        resources.append(Resource(path_of(href), status, props))
    token = root.findtext("D:sync-token", namespaces=NAMESPACES)
    return Multistatus(resources, token.strip() if token else None)


class DavClient:
    """One account's HTTP session: Basic auth, the account's CA and timeout, retries on reads."""

    def __init__(
        self,
        url: str,
        username: str,
        password: Callable[[], str | None],
        *,
        account: str = "",
        ca_file: str | None = None,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.username = username
        self._password = password
        self.account = account
        self.timeout = (min(10.0, timeout), timeout)
        self.policy = policy or RetryPolicy(attempts=3)
        self.sleep = sleep
        self.session = requests.Session()
        self.session.verify = ca_file or True
        self.session.headers["User-Agent"] = "touchbase"
        self.requests = 0  # counted, for tests and benchmarks

    def _login(self) -> None:
        if self.session.auth is None:
            secret = self._password()
            if not secret:
                raise AuthError(
                    f"no password stored for {self.username} at {self.url}",
                    advice="store it with `touchbase auth ACCOUNT` or give password = "
                    "{ keyring = ... } in the account's table",
                )
            self.session.auth = (self.username, secret)

    def absolute(self, path: str) -> str:
        """The URL of a decoded path on the account's server, or of an absolute URL (a home
        set on another host, as iCloud hands out)."""
        return urljoin(self.url, quoted(path))

    def request(
        self, method: str, path: str, body: str, *, depth: str, what: str = ""
    ) -> requests.Response:
        """One PROPFIND or REPORT, retried while the failure is transient."""
        self._login()
        what = what or f"{method} {path}"
        return call_with_retry(
            lambda: self._once(method, path, body, depth, what),
            self.policy,
            sleep=self.sleep,
            what=what,
        )

    def _once(self, method: str, path: str, body: str, depth: str, what: str) -> requests.Response:
        self.requests += 1
        try:
            response = self.session.request(
                method,
                self.absolute(path),
                data=body.encode("utf-8"),
                headers={"Depth": depth, "Content-Type": 'application/xml; charset="utf-8"'},
                timeout=self.timeout,
                allow_redirects=False,
            )
            response.content  # noqa: B018 (read the whole body here: a cut shows now)
        except requests.exceptions.SSLError as exc:
            raise ConnectorError(
                f"{self.url}: the server's certificate was refused: {exc}",
                advice="give the account's CA bundle as ca_file, or fix the server's certificate",
            ) from None
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,  # cut mid-body
        ) as exc:
            raise TransientError(f"{what}: {type(exc).__name__}: {exc}") from None
        self._check(response, what)
        return response

    def _check(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status == 207 or 200 <= status < 300:
            return
        if status == 401:
            raise AuthError(
                f"{self.url} refused the login of {self.username!r} (HTTP 401)",
                advice="check the username, then store the right password with `touchbase auth "
                "ACCOUNT` (iCloud, Fastmail and Nextcloud with two-step sign-in want an app "
                "password)",
            )
        if status in (403, 409) and b"valid-sync-token" in response.content:
            raise CursorExpired(f"{what}: the server no longer knows the sync token")
        if status == 501 or (status in (400, 403, 415) and b"supported-report" in response.content):
            raise Unsupported(f"{what}: the server does not support it (HTTP {status})")
        if status in (404, 410):
            raise Gone(f"{what}: {status} {response.reason}")
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise TransientError(f"{what}: HTTP {status}", retry_after=retry_after)
        if status in (301, 302, 307, 308):
            raise ConnectorError(
                f"{what}: the server redirects to {response.headers.get('Location')}",
                advice="give that URL as the account's url",
            )
        raise ConnectorError(f"{what}: HTTP {status} {response.reason}: {response.text[:200]}")

    def propfind(self, path: str, props: Iterable[str], *, depth: str = "0") -> Multistatus:
        """PROPFIND (RFC 4918 9.1) for the named properties, e.g. "D:resourcetype"."""
        body = _xml("D:propfind", "<D:prop>" + "".join(f"<{p}/>" for p in props) + "</D:prop>")
        return parse_multistatus(self.request("PROPFIND", path, body, depth=depth).content)

    def report(self, path: str, body: str, *, depth: str, what: str = "") -> Multistatus:
        return parse_multistatus(self.request("REPORT", path, body, depth=depth, what=what).content)

    def close(self) -> None:
        self.session.close()


def _xml(root: str, inner: str) -> str:
    spaces = " ".join(f'xmlns:{p}="{uri}"' for p, uri in NAMESPACES.items())
    return f'<?xml version="1.0" encoding="utf-8"?>\n<{root} {spaces}>{inner}</{root}>'


def xml_body(root: str, inner: str) -> str:
    """A request body with the D, C and CR prefixes declared."""
    return _xml(root, inner)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
