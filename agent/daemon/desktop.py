"""The desktop nudge (`[daemon] notify = true`): the daily digest also raises a notification.

A freedesktop Notifications call (org.freedesktop.Notifications.Notify, Desktop Notifications
Specification 1.2) on the user's D-Bus session bus, made with jeepney (pure Python, already there
with keyring on Linux): how many drafts wait, and the review page's address. No session bus (a
headless server, a systemd unit without DBUS_SESSION_BUS_ADDRESS) or no notification daemon is a
logged warning and `False`, never a failure of the digest or the cycle.

(agent/daemon/notify.py is something else: sd_notify, the systemd readiness protocol.)
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

APP = "touchbase"
BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
TIMEOUT = 5.0  # seconds for connect and reply: a wedged bus must not stall the daemon's cycle
DEFAULT_PORT = 8765  # `touchbase serve`'s default


def review_url(web: Mapping[str, Any] | None = None) -> str:
    """The review page as the owner's browser on this machine reaches it (loopback)."""
    web = web or {}
    host = str(web.get("host") or "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{web.get('port') or DEFAULT_PORT}/"


def message(waiting: int, url: str, *, hyperlinks: bool = False) -> tuple[str, str]:
    """The notification's summary and body; the address a link where the server shows links
    (the "body-hyperlinks" capability; the body is then markup, so the address is escaped)."""
    if waiting == 1:
        summary = "touchbase: 1 draft waits for your review"
    else:
        summary = f"touchbase: {waiting} drafts wait for your review"
    if hyperlinks:
        shown = html.escape(url)
        return summary, f'Review them at <a href="{shown}">{shown}</a>'
    return summary, f"Review them at {url}"


def nudge(waiting: int, url: str, *, address: str | None = None) -> bool:
    """Raise the notification; True when the notification server took it.

    `address` is a D-Bus address (tests pass a private bus); by default the session bus from
    DBUS_SESSION_BUS_ADDRESS.
    """
    address = address or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        log.warning("no desktop notification: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS)")
        return False
    try:
        from jeepney import DBusAddress, MessageType, new_method_call
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:  # not on Linux
        log.warning("no desktop notification: jeepney (D-Bus) is not installed")
        return False
    target = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
    try:
        with open_dbus_connection(address, auth_timeout=TIMEOUT) as connection:
            asked = connection.send_and_get_reply(
                new_method_call(target, "GetCapabilities"), timeout=TIMEOUT
            )
            capabilities = (
                asked.body[0] if asked.header.message_type is MessageType.method_return else []
            )
            summary, body = message(waiting, url, hyperlinks="body-hyperlinks" in capabilities)
            call = new_method_call(
                target,
                "Notify",
                "susssasa{sv}i",
                # app_name, replaces_id, app_icon, summary, body, actions, hints,
                # expire_timeout (-1: the server's default)
                (APP, 0, "mail-unread", summary, body, [], {"category": ("s", "email")}, -1),
            )
            reply = connection.send_and_get_reply(call, timeout=TIMEOUT)
    except Exception as exc:  # a refused socket, a bad address, a timeout: all mean "no nudge"
        log.warning("no desktop notification: D-Bus session bus unreachable: %s", exc)
        return False
    if reply.header.message_type is MessageType.error:
        log.warning("no desktop notification: %s answered %s", BUS_NAME, reply.body)
        return False
    return True
