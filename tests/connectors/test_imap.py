"""The IMAP connector against a real Dovecot: the Source and DraftSink contracts, and more."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors.imap_world import ImapWorld
from tests.contract import (
    DraftSinkContract,
    SourceContract,
)
from tests.servers.dovecot import Dovecot

pytestmark = pytest.mark.servers


@pytest.fixture
def imap(dovecot: Dovecot) -> Iterator[ImapWorld]:
    world = ImapWorld(dovecot, extra={"page_size": 3})
    yield world
    world.close_all()


class TestImapSource(SourceContract):
    @pytest.fixture
    def world(self, imap: ImapWorld) -> ImapWorld:
        return imap


class TestImapDraftSink(DraftSinkContract):
    @pytest.fixture
    def world(self, imap: ImapWorld) -> ImapWorld:
        return imap
