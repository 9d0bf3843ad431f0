"""An IMAP account's settings, declared in the settings schema and checked with advice."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from touchbase.connectors.errors import ConnectorError
from touchbase.rules.schema import (
    REQUIRED,
    Choice,
    Entry,
    Flag,
    Number,
    SchemaError,
    Secret,
    Strings,
    Text,
    Whole,
    account_table,
)

SECURITY = ("tls", "starttls", "plain")
AUTH = ("password", "xoauth2")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
# Dovecot refuses command lines over 64 KiB (imap_max_line_length); 5,000 UIDs written as a
# set stay far below that even when no two are adjacent.
MAX_PAGE = 5000

TABLE = account_table(
    "imap",
    Entry("host", Text(example="imap.example.com"), REQUIRED, "the IMAP server's host name"),
    Entry("port", Whole(1, 65535), None, "default 993 with tls, 143 otherwise", example=993),
    Entry("username", Text(example="you@example.com"), REQUIRED, "the login name"),
    Entry("password", Secret(), None, 'with auth = "password"; `touchbase auth` can store it'),
    Entry("access_token", Secret(), None, 'an OAuth access token, with auth = "xoauth2"'),
    Entry(
        "security",
        Choice(*SECURITY),
        "tls",
        '"plain" only to loopback or with allow_plaintext = true',
    ),
    Entry("allow_plaintext", Flag(), False, 'true: the network is trusted for security = "plain"'),
    Entry("auth", Choice(*AUTH), "password", "LOGIN with a password, or XOAUTH2 with a token"),
    Entry("timeout", Number(1, 600), 30, "seconds for connect and for every read"),
    Entry("ca_file", Text(example="/path/ca.pem"), None, "a PEM bundle to trust, not the system's"),
    Entry("sent_folder", Text(example="Sent"), None, "instead of SPECIAL-USE and name detection"),
    Entry("drafts_folder", Text(example="Drafts"), None, "instead of SPECIAL-USE and names"),
    Entry(
        "received_folders",
        Strings(what="folder names"),
        None,
        "only these folders besides Sent (default: every folder but Junk, Trash and Drafts)",
        example=["INBOX", "Archive"],
    ),
    Entry(
        "exclude_folders",
        Strings(what="folder names"),
        [],
        "folders not read (with the folders inside them), when received_folders is not set",
        example=["Newsletters"],
    ),
    Entry("page_size", Whole(1, MAX_PAGE), 2000, "messages per page (one transaction each)"),
    Entry("keep_subjects", Flag(), True, "false: subjects are dropped from interactions"),
)


@dataclass(frozen=True, slots=True)
class ImapSettings:
    """See connectors/imap/account.py for what each key means."""

    host: str
    username: str
    port: int = 993
    security: str = "tls"
    auth: str = "password"
    timeout: float = 30.0
    ca_file: str | None = None
    sent_folder: str | None = None
    drafts_folder: str | None = None
    received_folders: tuple[str, ...] | None = None
    exclude_folders: tuple[str, ...] = ()
    page_size: int = 2000
    keep_subjects: bool = True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_settings(table: Mapping[str, Any], *, account: str = "") -> ImapSettings:
    """Validate an account's TOML table; raise ConnectorError naming the key and the fix."""
    at = f"account {account!r}: " if account else ""
    try:
        values = TABLE.parse(table, at, account=account)
    except SchemaError as exc:
        raise ConnectorError(str(exc), advice=exc.advice) from None
    host, security = values["host"], values["security"]
    if security == "plain" and not (is_loopback(host) or values["allow_plaintext"]):
        raise ConnectorError(
            f'{at}security is "plain" for {host}, which would send the password unencrypted',
            advice='use security = "tls" (port 993) or "starttls" (port 143); if the network is '
            "trusted, add allow_plaintext = true",
        )
    port = values["port"]
    return ImapSettings(
        host=host,
        username=values["username"],
        port=port if port is not None else DEFAULT_PORTS[security],
        security=security,
        auth=values["auth"],
        timeout=values["timeout"],
        ca_file=values["ca_file"],
        sent_folder=values["sent_folder"],
        drafts_folder=values["drafts_folder"],
        received_folders=None
        if values["received_folders"] is None
        else tuple(dict.fromkeys(values["received_folders"])),
        exclude_folders=tuple(values["exclude_folders"]),
        page_size=values["page_size"],
        keep_subjects=values["keep_subjects"],
    )
