"""pullahead's worker: the parent's leftover objects never close what the worker opened (found
while pulling IMAP in the worker for issue 16)."""

from __future__ import annotations

import gc
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from touchbase.agent.pipeline import pullahead
from touchbase.connectors.base import Page


class ReusesANumber:
    """Opens its file until it gets descriptor `number`, lets the collector run, reads it."""

    pulls_in_worker = True

    def __init__(self, path: Path, number: int) -> None:
        self.path, self.number = path, number

    def pull(self, cursor: str | None) -> Iterator[Page]:
        opened = [os.open(self.path, os.O_RDONLY)]
        while opened[-1] < self.number and len(opened) < 4096:
            opened.append(os.open(self.path, os.O_RDONLY))
        assert opened[-1] == self.number, (opened[-1], self.number)
        gc.collect()  # the parent's garbage, if the collector may see it, closes `number`
        yield Page(cursor=os.read(opened[-1], 100).decode())

    def close(self) -> None:
        pass


def test_the_parents_garbage_never_closes_a_descriptor_the_worker_reuses(tmp_path: Path) -> None:
    """A finished sync's socket, waiting in a reference cycle for the collector when the worker
    is forked: collected in the worker it closed its old number, which the worker had reused
    (an IMAP pull failed with EBADF half-way)."""
    path = tmp_path / "data"
    path.write_text("read whole")
    gc.disable()  # keep the garbage uncollected until the fork, as a busy parent may
    try:
        leftover = socket.socket()
        number = leftover.fileno()
        cycle: list[object] = [leftover]
        cycle.append(cycle)
        del leftover, cycle
        pages = list(pullahead.pages(ReusesANumber(path, number), None))
    finally:
        gc.enable()
        gc.collect()
    assert [page.cursor for page in pages] == ["read whole"]
