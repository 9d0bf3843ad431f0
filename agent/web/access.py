"""The review page's link without the web app: its address and the install's access token.

`touchbase serve --url` prints the link and exits; importing Flask and Hypercorn for it was
most of that command's time (about 0.4 s, issue 16). security.py and server.py use these.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from touchbase.agent.service import Service

ACCESS_KEY = "web.access"


def access_token(service: Service) -> str:
    """The install's access token, made on first use and kept in the database."""
    return service.remembered(ACCESS_KEY, lambda: secrets.token_urlsafe(32))


def address(scheme: str, host: str, port: int) -> str:
    """`scheme://host:port/`, a wildcard host shown as loopback, IPv6 in brackets."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}/"
