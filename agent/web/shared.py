"""The due list, evaluated once and shared by the requests that ask for it meanwhile.

The due list is the rules' evaluation of everyone (service.due): 35 s at 200k correspondents
(2,000 messages x 100 recipients, measured on this tree). Paging it must not evaluate again for
each page, and ten tabs must not run ten evaluations side by side, each holding a thread and a
share of the CPU. So one evaluation runs at a time (the others wait for its answer), and its rows
serve every page for `FRESH_SECONDS`, or until the owner acts on a draft here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from touchbase.agent.service import Due, Service

FRESH_SECONDS = 60.0  # the list may lag a sync in another process by this much


@dataclass(frozen=True)
class _Kept:
    at: datetime | None
    moment: datetime
    rows: list[Due]
    made: float
    generation: int


class SharedDue:
    """`rows(at)`: the due list at `at` (None: the service's clock), shared while fresh."""

    def __init__(self, service: Service, clock: Callable[[], float] = time.monotonic) -> None:
        self._service = service
        self._clock = clock
        self._lock = threading.Lock()  # held while evaluating: one evaluation at a time
        self._kept: _Kept | None = None
        self._generation = 0  # bumped by forget(), which must not wait for an evaluation
        self._bump = threading.Lock()

    def rows(self, at: datetime | None) -> tuple[datetime, list[Due]]:
        """The moment evaluated at and the rows, oldest answer no older than FRESH_SECONDS."""
        with self._lock:
            generation, kept = self._generation, self._kept
            if (
                kept is not None
                and (kept.at, kept.generation) == (at, generation)
                and self._clock() - kept.made < FRESH_SECONDS
            ):
                return kept.moment, kept.rows
            moment = at or self._service.now()
            rows = self._service.due(moment)
            self._kept = _Kept(at, moment, rows, self._clock(), generation)
            return moment, rows

    def forget(self) -> None:
        """After an action on a draft: the next list is evaluated afresh."""
        with self._bump:
            self._generation += 1
