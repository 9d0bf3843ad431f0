"""Start-up without the cyclic garbage collector (issue 16).

Importing SQLAlchemy, the models, the rules and the service makes some 200,000 objects that live
as long as the process. The collector walks them again and again while they are made: about 170
collections, 10-14 % of the CPU of `touchbase status` or `people --json` on the allen-p database.
`pause()` (the console script's first step) turns it off; `settle()` (once the service and
everything it imports are loaded: App.service) moves what exists by then into the permanent
generation (gc.freeze), which no collection walks, and turns the collector on again, so the
command's own work (a refold of a million interactions, a daemon that runs for weeks) is collected
as before. A command that never opens the service (init, --help) ends with it off: they are short.

`defer()` keeps a module SQLAlchemy imports but a command rarely uses from running until a name
of it is read: `importlib.metadata` (and the email and zipfile modules behind it, ~0.035 s of each
command) serves SQLAlchemy's plugin lookups, which a SQLite or PostgreSQL URL never reaches, and
`touchbase --version`. The module stands in sys.modules as itself, not yet run; the first name
read from it runs it in place, as an import would have (Python's importlib.util.LazyLoader does
the same, but in 3.11 the import statement itself reads `__spec__` and so runs it at once).
"""

from __future__ import annotations

import gc
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

_paused = False
# The names a deferred module answers without running: what the import system reads.
_OWN = frozenset(
    ("__name__", "__spec__", "__loader__", "__path__", "__package__", "__file__", "__cached__")
)


def pause() -> None:
    """Turn the collector off for the start-up (only when it is on: a caller's choice stands)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def settle() -> None:
    """Start-up is over: freeze what exists and turn the collector on again, if pause() did."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


class _Deferred(ModuleType):
    """A module whose code runs on the first read of a name it does not have yet."""

    _lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # only names not (yet) in the module's __dict__
        if name in _OWN:
            raise AttributeError(name)
        with _Deferred._lock:
            if type(self) is _Deferred:  # not run yet (another thread may just have)
                # A plain module from here on, while it runs too: its own `from . import x`
                # reads names of it that are not there yet, as in any import.
                self.__class__ = ModuleType  # type: ignore[assignment]
                spec = self.__spec__
                assert spec is not None and spec.loader is not None
                try:
                    spec.loader.exec_module(self)
                except BaseException:
                    sys.modules.pop(spec.name, None)  # as a failed import leaves it
                    raise
        return getattr(self, name)


def defer(names: tuple[str, ...] = ("importlib.metadata",)) -> None:
    """Put each module of `names` not imported yet into sys.modules, to run on first use."""
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)  # imports its parent package, if any
        except ImportError:
            continue  # no such module here: an import of it fails as it would have
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _Deferred
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
