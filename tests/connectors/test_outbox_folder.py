"""The .eml outbox for file-only accounts: the DraftSink contract, idempotent, owner-only files."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.contract import DraftSinkContract, sample_draft
from touchbase.connectors.files.outbox import OutboxFolderSink


@dataclass
class FolderWorld:
    folder: Path

    def sink(self) -> OutboxFolderSink:
        return OutboxFolderSink(self.folder)

    def send_attempts(self) -> list[str]:
        return []  # a folder cannot send; the contract also checks there is no send method


class TestOutboxFolderContract(DraftSinkContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> Iterator[FolderWorld]:
        yield FolderWorld(tmp_path / "outbox")


def test_pushing_twice_writes_one_file_with_the_exact_bytes(tmp_path: Path) -> None:
    sink = OutboxFolderSink(tmp_path / "outbox")
    draft = sample_draft(1)
    first = sink.push_draft(draft)
    assert sink.push_draft(draft) == first
    files = list((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == [first]
    assert files[0].read_bytes() == draft.raw
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_found_by_message_id_when_renamed(tmp_path: Path) -> None:
    sink = OutboxFolderSink(tmp_path)
    draft = sample_draft(1)
    (tmp_path / sink.push_draft(draft)).rename(tmp_path / "renamed.eml")
    assert sink.find_draft(draft) == "renamed.eml"
