"""Serving the review page with Hypercorn (asyncio; it runs the Flask app in a thread pool).

Why Hypercorn and not waitress (measured in issue 13, tests/web/test_access.py): waitress stops
accepting at its connection limit (100), so 150 connections that each sent half a request line
kept every other request waiting for its 120 s channel timeout; it has no TLS either. Under
Hypercorn a connection that has not sent a whole request head costs a few kilobytes and no
thread, and is closed `HEAD_SECONDS` after it opened (the idle timer runs from the accept and is
not restarted by a trickle of bytes); it serves TLS itself from a certificate and key. A client
beyond loopback holds at most `limits.PER_CLIENT` connections (agent/web/limits.py).

A bind beyond loopback is refused unless TLS is configured or the owner explicitly allows it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config as HyperConfig
from hypercorn.config import Sockets
from hypercorn.utils import wrap_app

from touchbase.agent.errors import UserError
from touchbase.agent.web.access import address
from touchbase.agent.web.limits import listen
from touchbase.agent.web.security import allowed_hosts
from touchbase.agent.web.site import Site, create_app

log = logging.getLogger(__name__)
HEAD_SECONDS = 5  # a request head (line and headers) arrives within this or the socket closes
MAX_BODY = 256 * 1024  # a draft is small; Flask refuses the same above MAX_CONTENT_LENGTH


@dataclass(frozen=True)
class Tls:
    """A certificate chain and its private key, both PEM files."""

    cert: Path
    key: Path


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Server:
    """A bound review page: `run()` serves until `close()` (from any thread)."""

    app: Any
    config: HyperConfig
    sockets: Any
    host: str
    port: int
    scheme: str = "http"
    name: str | None = None
    closing: bool = False
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _stop: asyncio.Event | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The page's address without the access token: by its first configured name, else
        by the address it listens on (loopback for a wildcard: a name the page answers to)."""
        return address(self.scheme, self.name or self.host, self.port)

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        if self.closing:
            return
        await worker_serve(self.app, self.config, sockets=self.sockets, shutdown_trigger=self._wait)

    async def _wait(self) -> None:
        assert self._stop is not None
        await self._stop.wait()

    def close(self) -> None:
        self.closing = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop ended meanwhile: nothing left to stop
                pass
        else:
            for sock in (*self.sockets.secure_sockets, *self.sockets.insecure_sockets):
                sock.close()


def make_server(
    site: Site,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tls: Tls | None = None,
    allow_remote: bool = False,
    names: Iterable[str] = (),
) -> Server:
    """Bind now (so the port is known and errors surface at once); serve with `run()`.

    Beyond loopback only with `tls`, or with `allow_remote` (plain HTTP: anyone on the path
    can read the pages and the access token). The Host allow-list keeps loopback's names, the
    bound address and the configured `names`."""
    remote = not is_loopback(host)
    if remote and tls is None and not allow_remote:
        raise UserError(
            f"refusing to serve the review page on {host}: beyond this machine it needs TLS",
            advice="set tls_cert and tls_key under [web] in the config file, or pass "
            "--allow-remote (or [web] allow_remote = true) to serve plain HTTP on purpose",
        )
    config = HyperConfig()
    config.keep_alive_timeout = HEAD_SECONDS
    config.backlog = 1024  # connections waiting to be accepted in a burst (Hypercorn: 100)
    # No read_timeout: Hypercorn applies it while the app works on a request too, so a due list
    # evaluating for longer (35 s at 200k correspondents) lost its connection with no answer.
    config.wsgi_max_body_size = MAX_BODY
    config.accesslog = None  # never log request lines: a first visit carries the access token
    config.errorlog = log
    config.include_server_header = False
    if tls is not None:
        for path in (tls.cert, tls.key):
            if not path.is_file():
                raise UserError(f"[web] TLS file {path} does not exist")
        config.certfile, config.keyfile = str(tls.cert), str(tls.key)
        config.ssl_handshake_timeout = HEAD_SECONDS  # Hypercorn's 60 s would let them pile up
    try:
        listener = listen(host.strip("[]"), port, config.backlog)
    except socket.gaierror as exc:
        raise UserError(f"cannot listen on {host}: {exc.strerror}") from exc
    sockets = Sockets([listener] if tls else [], [] if tls else [listener], [])
    bound = listener.getsockname()
    bound_host, bound_port = str(bound[0]), int(bound[1])
    site.tls = tls is not None
    if site.allowed_hosts is None:
        site.allowed_hosts = allowed_hosts(host, bound_port, names)
    if remote and tls is None:
        log.warning(
            "the review page listens on %s WITHOUT TLS: anyone on the network path can read "
            "your drafts and the access token",
            bound_host,
        )
    app = wrap_app(_start_on_empty_body(create_app(site)), MAX_BODY, "wsgi")
    scheme = "https" if tls else "http"
    first = next(iter(names), None)
    return Server(app, config, sockets, bound_host, bound_port, scheme, first)


def _start_on_empty_body(app: Any) -> Any:
    """Hypercorn's WSGI bridge starts a response at its first body chunk, so a response with
    no body (304 Not Modified: a browser revalidating app.css, sent with no-cache) ended in a
    500 and an unstyled page. An empty first chunk starts every response."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            yield b""
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wrapped
