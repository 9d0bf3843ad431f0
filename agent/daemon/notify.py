"""sd_notify(3) without a dependency: READY=1, STATUS=, WATCHDOG=1, STOPPING=1 to systemd.

The protocol is one AF_UNIX datagram of newline-separated KEY=VALUE lines sent to the socket
named by $NOTIFY_SOCKET; a name starting with "@" is in the abstract namespace (a leading NUL
byte). Outside systemd the variable is unset and every call is a cheap no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def _address() -> str | None:
    path = os.environ.get("NOTIFY_SOCKET")
    if not path or path[0] not in "/@":
        return None
    return "\0" + path[1:] if path[0] == "@" else path


def notify(*lines: str) -> bool:
    """Send `lines` (e.g. "READY=1", "STATUS=syncing") as one datagram; True when sent."""
    address = _address()
    if address is None or not lines:
        return False
    payload = "\n".join(lines).encode("utf-8", "replace")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(payload, address)
    except OSError as exc:
        # systemd going away must never take the daemon with it.
        log.debug("sd_notify failed: %s", exc)
        return False
    return True


def ready(status: str = "") -> bool:
    return notify("READY=1", *([f"STATUS={status}"] if status else []))


def status(text: str) -> bool:
    return notify(f"STATUS={text}")


def stopping(text: str = "") -> bool:
    return notify("STOPPING=1", *([f"STATUS={text}"] if text else []))


def reloading() -> bool:
    # systemd 253+ wants MONOTONIC_USEC beside RELOADING=1 (Type=notify-reload); older ignore it.
    usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify("RELOADING=1", f"MONOTONIC_USEC={usec}")


class Watchdog:
    """Pings WATCHDOG=1 at most every half of $WATCHDOG_USEC (sd_watchdog_enabled(3)).

    Only the main loop calls `ping`, so a hung loop stops the pings and systemd restarts it.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.interval = self._interval()
        self.last = float("-inf")

    @staticmethod
    def _interval() -> float | None:
        usec = os.environ.get("WATCHDOG_USEC")
        pid = os.environ.get("WATCHDOG_PID")
        if not usec or (pid and pid != str(os.getpid())):
            return None
        try:
            return int(usec) / 1_000_000 / 2
        except ValueError:
            return None

    @property
    def enabled(self) -> bool:
        return self.interval is not None

    def ping(self) -> None:
        if self.interval is None:
            return
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            notify("WATCHDOG=1")
