"""The private Dovecot for the IMAP connector's tests: one server per session, a user per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import need
from tests.servers.dovecot import Dovecot, dovecot_binary


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A running Dovecot on 127.0.0.1; tests call `add_user()` for a mailbox of their own."""
    need(dovecot_binary() is not None, "dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot().start()
    yield server
    server.destroy()
