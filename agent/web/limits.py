"""The review page's listening socket, with a cap on connections per client address.

Hypercorn bounds the time a connection may take to send its request head (agent/web/server.py)
but not how many one client holds open: a host on the network could keep thousands open, each
renewed as it is cut off, until the process runs out of file descriptors and the owner's own
connection is refused. So a client address holds at most `PER_CLIENT` connections; one more is
closed as it is accepted. Loopback clients are not capped: every local user is 127.0.0.1, so a
cap there would let anyone on the machine lock the owner out (3,000 half-open local
connections measured: the owner's request still answered in 0.2 s).
"""

from __future__ import annotations

import functools
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

PER_CLIENT = 32  # a browser opens at most 6 per host; a few tabs and a proxy stay well inside


class _Clients:
    """Open connections per client address."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def take(self, address: str) -> bool:
        with self._lock:
            if self._open[address] >= self.limit:
                return False
            self._open[address] += 1
            return True

    def give(self, address: str) -> None:
        with self._lock:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]


class _Connection(socket.socket):
    """An accepted connection that gives its place back when closed (asyncio closes it)."""

    release: Callable[[], None] | None = None

    def close(self) -> None:
        release, self.release = self.release, None
        if release is not None:
            release()
        super().close()


class Listener(socket.socket):
    """A listening socket whose `accept` (what asyncio calls) drops a client's connections
    beyond the cap."""

    clients: _Clients

    def accept(self) -> tuple[socket.socket, Any]:
        while True:
            fd, address = self._accept()  # type: ignore[attr-defined]  # BlockingIOError: none
            peer = str(address[0])
            capped = not _is_loopback(peer)
            if not capped or self.clients.take(peer):
                connection = _Connection(self.family, self.type, self.proto, fileno=fd)
                if capped:
                    connection.release = functools.partial(self.clients.give, peer)
                return connection, address
            os.close(fd)  # over the cap: refused, and the next one waiting is looked at


def listen(host: str, port: int, backlog: int, per_client: int = PER_CLIENT) -> Listener:
    """A listening socket on `host`:`port` (0: any free port), as Hypercorn makes them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = Listener(family, socket.SOCK_STREAM)
    listener.clients = _Clients(per_client)
    try:
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(backlog)  # now: a connect before the loop starts waits, not refused
    except OSError:
        listener.close()
        raise
    return listener


def _is_loopback(peer: str) -> bool:
    if peer.startswith("::ffff:"):
        peer = peer[7:]
    return peer.startswith("127.") or peer == "::1"
