"""Person views kept for a minute: paging through a busy person's history folds it once.

A person page is one traced fold of everything with them (Service.person): the busiest person
of bench/rules.py's 1M interactions has 35,117 moments, 352 pages of history, and each page
was the same fold again (0.9-1.2 s CPU) to show 100 of them. So a view is kept, like the due
list (agent.web.shared), for `FRESH_SECONDS` or until the owner acts here; the page shows the
moment it was made at, as the due list does. At most `KEPT` are kept, the least recently
shown dropped first, and each without its contact's trace (`lean`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime

from touchbase.agent.service import PersonView
from touchbase.agent.web.shared import FRESH_SECONDS

# A kept view holds every moment with the person: 6.6 MB for the busiest person above (the
# review page's process peaks near 300 MB at 1M: bench/rules.py's web phase). A few cover
# paging back and forth between people.
KEPT = 4


@dataclass(frozen=True)
class _Kept:
    moment: datetime
    view: PersonView
    made: float
    generation: int


class KeptViews:
    """`view(key, at, make, now)`: the view `make(moment)` gave for `key` at `at` (None: at
    `now()`), while fresh; else made now and kept. No lock is held while a view is made: two
    first requests for one person may both fold, and any other page is not kept waiting."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Hashable, datetime | None], _Kept] = OrderedDict()
        self._generation = 0  # bumped by forget(): a view made before an action is not kept
        # One review page per process: an app made after another (a new app per run of
        # bench/rules.py's web phase, a test's) drops what the earlier one kept. A Flask app
        # is a cycle, freed when the collector gets to it: its busiest view outlived it by
        # minutes and took the web phase's peak from 296 to 302-308 MB.
        for earlier in list(_MADE):
            earlier.forget()
        _MADE.add(self)

    def view(
        self,
        key: Hashable,
        at: datetime | None,
        make: Callable[[datetime], PersonView | None],
        now: Callable[[], datetime],
    ) -> tuple[datetime, PersonView | None]:
        """The moment and the view (None when `make` found nobody: not kept)."""
        slot = (key, at)
        with self._lock:
            kept = self._kept.pop(slot, None)  # a stale one goes before its successor is made
            if (
                kept is not None
                and kept.generation == self._generation
                and self._clock() - kept.made < FRESH_SECONDS
            ):
                self._kept[slot] = kept  # back, as the most recently shown
                return kept.moment, kept.view
            generation = self._generation
        moment = at or now()
        view = lean(make(moment))
        if view is not None:
            with self._lock:
                if generation == self._generation:
                    self._kept[slot] = _Kept(moment, view, self._clock(), generation)
                    self._kept.move_to_end(slot)
                    while len(self._kept) > KEPT:
                        self._kept.popitem(last=False)
        return moment, view

    def forget(self) -> None:
        """After an action: every view is made afresh."""
        with self._lock:
            self._generation += 1
            self._kept.clear()


_MADE: weakref.WeakSet[KeptViews] = weakref.WeakSet()


def lean(view: PersonView | None) -> PersonView | None:
    """The view as a page reads it: without its contact's trace, which its moments already
    carry (a line per interaction: the busiest person's view 10.9 -> 6.6 MB, tracemalloc)."""
    if view is None or view.contact is None or not view.contact.trace:
        return view
    return replace(view, contact=replace(view.contact, trace=()))
