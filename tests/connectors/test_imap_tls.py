"""The IMAP connector over real TLS: a Dovecot that serves imaps and STARTTLS with a certificate
from a private CA (trustme), and refuses any login before the connection is encrypted.

TLS is the default (security = "tls", port 993), so this is the path most users take: the
certificate must verify against the CA the account names (`ca_file`), an untrusted or
misnamed certificate must be a clear error that says what to set, never a silent downgrade.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from tests.conftest import need
from tests.servers.dovecot import PASSWORD, Dovecot, dovecot_binary
from touchbase.connectors.base import AccountContext
from touchbase.connectors.errors import ConnectorError, TransientError
from touchbase.connectors.imap.account import open_account
from touchbase.connectors.memory import MemorySecrets


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def tls_dovecot(ca: trustme.CA) -> Iterator[Dovecot]:
    need(dovecot_binary() is not None, "dovecot is not installed (apt-get install dovecot-imapd)")
    # Issued for "localhost" only, so 127.0.0.1 is a host name the certificate does not name.
    issued = ca.issue_cert("localhost")
    chain = b"".join(blob.bytes() for blob in issued.cert_chain_pems)
    server = Dovecot(tls=(chain, issued.private_key_pem.bytes())).start()
    yield server
    server.destroy()


def _mailbox(server: Dovecot, count: int) -> str:
    user = server.add_user()
    start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    messages = []
    for n in range(count):
        when = start + timedelta(hours=n)
        raw = (
            f"From: Owner <{user}@example.org>\r\nTo: Peer {n} <peer{n}@example.net>\r\n"
            f"Subject: hello {n}\r\nDate: {when:%a, %d %b %Y %H:%M:%S +0000}\r\n"
            f"Message-ID: <tls-{n}@example.org>\r\n\r\nbody\r\n"
        ).encode()
        messages.append((raw, when))
    server.write_messages(user, "Sent", messages)
    return user


def _pull(server: Dovecot, user: str, **settings: object) -> list[str]:
    table = {"type": "imap", "host": "localhost", "username": user, "timeout": 10, **settings}
    context = AccountContext(name=user, secrets=MemorySecrets({"password": PASSWORD}))
    account = open_account(table, context)
    try:
        return [r.source_id for page in account.pull(None) for r in page.interactions]
    finally:
        account.close()


def test_imaps_with_the_accounts_private_ca(tls_dovecot: Dovecot, ca_file: Path) -> None:
    user = _mailbox(tls_dovecot, 3)
    got = _pull(tls_dovecot, user, port=tls_dovecot.tls_port, ca_file=str(ca_file))
    assert sorted(got) == [f"sent:<tls-{n}@example.org>" for n in range(3)]


def test_starttls_with_the_accounts_private_ca(tls_dovecot: Dovecot, ca_file: Path) -> None:
    user = _mailbox(tls_dovecot, 2)
    got = _pull(tls_dovecot, user, port=tls_dovecot.port, security="starttls", ca_file=str(ca_file))
    assert len(got) == 2


def test_a_certificate_from_an_unknown_ca_is_refused_with_what_to_set(
    tls_dovecot: Dovecot,
) -> None:
    user = _mailbox(tls_dovecot, 1)
    with pytest.raises(ConnectorError) as raised:
        _pull(tls_dovecot, user, port=tls_dovecot.tls_port)  # the system's CAs only
    assert not isinstance(raised.value, TransientError)  # retrying would not help
    assert "not trusted" in str(raised.value)
    assert "ca_file" in raised.value.advice


def test_a_certificate_for_another_name_is_refused(tls_dovecot: Dovecot, ca_file: Path) -> None:
    user = _mailbox(tls_dovecot, 1)
    table = {"host": "127.0.0.1", "port": tls_dovecot.tls_port, "ca_file": str(ca_file)}
    with pytest.raises(ConnectorError) as raised:
        context = AccountContext(name=user, secrets=MemorySecrets({"password": PASSWORD}))
        account = open_account({"type": "imap", "username": user, "timeout": 10, **table}, context)
        try:
            list(account.pull(None))
        finally:
            account.close()
    assert "not trusted" in str(raised.value) and "127.0.0.1" in str(raised.value)
