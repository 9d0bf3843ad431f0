"""Serving the review page with waitress (a production WSGI server, pure Python), on loopback
unless the owner explicitly asks for another address."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask
from waitress.server import create_server

from touchbase.agent.web.security import loopback_hosts
from touchbase.agent.web.site import Site, create_app

log = logging.getLogger(__name__)


@dataclass
class Server:
    """A listening review page: `run()` serves until `close()`."""

    wsgi: Any
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    closing: bool = False

    def run(self) -> None:
        try:
            self.wsgi.run()
        except OSError:
            # close() from another thread shuts the socket under the loop's select(), which
            # then fails with EBADF: the stop that was asked for, not an error.
            if not self.closing:
                raise

    def close(self) -> None:
        self.closing = True
        self.wsgi.close()


def make_server(site: Site, host: str = "127.0.0.1", port: int = 0) -> Server:
    """Bind now (so the port is known and errors surface at once); serve with `run()`."""
    deferred = _Deferred()
    wsgi = create_server(deferred, host=host, port=port, threads=4, ident="touchbase")
    bound_host, bound_port = wsgi.effective_host, int(wsgi.effective_port)
    if site.allowed_hosts is None:
        site.allowed_hosts = loopback_hosts(host, bound_port)
    deferred.app = create_app(site)
    if site.allowed_hosts is None:
        log.warning("the review page listens on %s, beyond this machine", bound_host)
    return Server(wsgi, str(bound_host), bound_port)


class _Deferred:
    """The WSGI app, set once the port is bound (the Host allow-list needs the port)."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)
