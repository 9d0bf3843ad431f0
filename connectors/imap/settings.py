"""An IMAP account's settings: its TOML table checked once, with messages that say the fix."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from touchbase.connectors.errors import ConnectorError

SECURITY = ("tls", "starttls", "plain")
AUTH = ("password", "xoauth2")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
# Dovecot refuses command lines over 64 KiB (imap_max_line_length); 5,000 UIDs written as a
# set stay far below that even when no two are adjacent.
MAX_PAGE = 5000
KNOWN = frozenset(
    {
        "type",
        "host",
        "port",
        "username",
        "security",
        "allow_plaintext",
        "auth",
        "timeout",
        "ca_file",
        "sent_folder",
        "drafts_folder",
        "received_folders",
        "page_size",
        "keep_subjects",
    }
)


@dataclass(frozen=True, slots=True)
class ImapSettings:
    """See connectors/imap.py for what each key means."""

    host: str
    username: str
    port: int = 993
    security: str = "tls"
    auth: str = "password"
    timeout: float = 30.0
    ca_file: str | None = None
    sent_folder: str | None = None
    drafts_folder: str | None = None
    received_folders: tuple[str, ...] = ("INBOX",)
    page_size: int = 2000
    keep_subjects: bool = True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bad(key: str, problem: str, advice: str) -> ConnectorError:
    return ConnectorError(f"IMAP setting {key!r} {problem}", advice=advice)


def _text(table: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            raise _bad(key, "is missing", f'add {key} = "..." to the account\'s settings')
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(key, f"must be a non-empty string, not {value!r}", f'write {key} = "..."')
    return value.strip()


def _choice(table: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    value = table.get(key, default)
    if value not in choices:
        listed = ", ".join(f'"{c}"' for c in choices)
        raise _bad(key, f"is {value!r}", f"use one of {listed}")
    return str(value)


def _number(table: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _bad(key, f"is {value!r}", f"use a number from {low:g} to {high:g}")
    return float(value)


def _flag(table: Mapping[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise _bad(key, f"is {value!r}", f"write {key} = true or {key} = false")
    return value


def parse_settings(table: Mapping[str, Any]) -> ImapSettings:
    """Validate an account's TOML table; raise ConnectorError naming the key and the fix."""
    unknown = sorted(set(table) - KNOWN)
    if unknown:
        raise _bad(
            unknown[0], "is not an IMAP setting", "known settings: " + ", ".join(sorted(KNOWN))
        )
    host = _text(table, "host", required=True)
    username = _text(table, "username", required=True)
    assert host is not None and username is not None
    security = _choice(table, "security", SECURITY, "tls")
    allow_plaintext = _flag(table, "allow_plaintext", False)
    if security == "plain" and not (is_loopback(host) or allow_plaintext):
        raise _bad(
            "security",
            f'is "plain" for {host}, which would send the password unencrypted',
            'use security = "tls" (port 993) or "starttls" (port 143); if the network is '
            "trusted, add allow_plaintext = true",
        )
    port = _number(table, "port", 1, 65535)
    if port is not None and port != int(port):
        raise _bad("port", f"is {port!r}", "use a whole number such as 993")
    received = table.get("received_folders", ["INBOX"])
    if not isinstance(received, list | tuple) or not all(
        isinstance(f, str) and f for f in received
    ):
        raise _bad(
            "received_folders", f"is {received!r}", 'use a list of folder names, e.g. ["INBOX"]'
        )
    page_size = _number(table, "page_size", 1, MAX_PAGE)
    if page_size is not None and page_size != int(page_size):
        raise _bad("page_size", f"is {page_size!r}", f"use a whole number up to {MAX_PAGE}")
    return ImapSettings(
        host=host,
        username=username,
        port=int(port) if port is not None else DEFAULT_PORTS[security],
        security=security,
        auth=_choice(table, "auth", AUTH, "password"),
        timeout=_number(table, "timeout", 1, 600) or 30.0,
        ca_file=_text(table, "ca_file"),
        sent_folder=_text(table, "sent_folder"),
        drafts_folder=_text(table, "drafts_folder"),
        received_folders=tuple(dict.fromkeys(received)),
        page_size=int(page_size) if page_size is not None else 2000,
        keep_subjects=_flag(table, "keep_subjects", True),
    )
