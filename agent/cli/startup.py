"""Start-up without the cyclic garbage collector (issue 16).

Importing SQLAlchemy, the models, the rules and the service makes some 200,000 objects that live
as long as the process. The collector walks them again and again while they are made: about 170
collections, 10-14 % of the CPU of `touchbase status` or `people --json` on the allen-p database.
`pause()` (the console script's first step) turns it off; `settle()` (once the service and
everything it imports are loaded: App.service) moves what exists by then into the permanent
generation (gc.freeze), which no collection walks, and turns the collector on again, so the
command's own work (a refold of a million interactions, a daemon that runs for weeks) is collected
as before. A command that never opens the service (init, --help) ends with it off: they are short.

`defer()` keeps two modules SQLAlchemy imports but an everyday command never uses from running
until a name of them is read (~0.07 s of each command): `importlib.metadata` (with the email and
zipfile modules behind it) serves SQLAlchemy's plugin look-ups, which a SQLite or PostgreSQL URL
never reaches, and `touchbase --version`; `asyncio` (with ssl and socket behind it) serves its
async engines, which touchbase does not use (the review page's server loads it when it starts).
Each stands in sys.modules as itself, not yet run; the first name read from it, or an import of
one of its submodules, runs it in place, as the import would have. Python's LazyLoader does the
same, but in 3.11 the import statement itself reads `__spec__` and so runs the module at once.
SQLAlchemy reads one name of asyncio as it is imported, `iscoroutine`, to keep a reference to
it: the stand-in answers that one with a function that runs asyncio and calls its own.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from touchbase.agent.app import App
    from touchbase.agent.service import Service

_paused = False
# Whether settle() froze the start-up: asked of kept() instead of gc.get_freeze_count(),
# which counts the frozen objects one by one (~0.01 s for the 300,000 of a 1M `plan`).
_froze = False
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
    global _paused, _froze
    if _paused:
        _paused = False
        gc.freeze()
        _froze = True
        gc.enable()


@contextmanager
def kept(app: App) -> Iterator[Service]:
    """The service, with what its evaluation makes kept out of the collector's walks.

    The evaluation runs with the cyclic collector paused (agent/pipeline/evaluation.py), so
    all it made and still holds (10,000 contacts with their standings, the owed mail and the
    plan at bench/rules.py's 1M) sits in the youngest generation when the pause ends: the
    first allocation after sets off a collection that walks all of it and frees next to
    nothing (reference counting freed the rest): 0.09-0.10 s CPU of a 1.3-1.6 s `plan --json`,
    0.075 s of a 1 s `people --json` (issue 16). These commands only print what they found and
    exit, so the pause is extended to the evaluation's end and what it made is then frozen, as
    start-up froze the imports; the collector is on again afterwards. Called in a process
    whose start-up froze nothing (a test calling main), nothing is frozen: it is collected as
    before."""
    service = app.service  # first: making it turns the collector on (startup.settle)
    was = gc.isenabled()
    gc.disable()
    try:
        yield service
    finally:
        if _froze:
            gc.freeze()
        if was:
            gc.enable()


class _Deferred(ModuleType):
    """A module whose code runs on the first read of a name it does not have yet."""

    def __getattr__(self, name: str) -> Any:  # only names not (yet) in the module's __dict__
        if name in _OWN:
            raise AttributeError(name)
        return getattr(_run(self), name)


_lock = threading.Lock()


def _run(module: ModuleType) -> ModuleType:
    """Run a deferred module's code in place, once; the module from then on."""
    with _lock:
        if type(module) is _Deferred:  # not run yet (another thread may just have)
            # A plain module from here on, while it runs too: its own `from . import x`
            # reads names of it that are not there yet, as in any import.
            module.__class__ = ModuleType  # type: ignore[assignment]
            spec = module.__spec__
            assert spec is not None and spec.loader is not None
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(spec.name, None)  # as a failed import leaves it
                raise
    return module


class _ParentFirst:
    """A meta path finder that finds nothing: it runs a deferred package before one of its
    submodules is imported, as Python runs a package's __init__ before its submodules."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> None:
        parent = sys.modules.get(name.rpartition(".")[0])
        if type(parent) is _Deferred:
            _run(parent)


def _iscoroutine(value: object) -> bool:
    """asyncio.iscoroutine for a deferred asyncio (SQLAlchemy keeps a reference to it)."""
    asyncio = _run(sys.modules["asyncio"])
    return bool(asyncio.iscoroutine(value))


# What each deferred module answers before it runs; its own code replaces them when it does.
EARLY: dict[str, dict[str, Any]] = {"asyncio": {"iscoroutine": _iscoroutine}}


def defer(names: tuple[str, ...] = ("importlib.metadata", "asyncio")) -> None:
    """Put each module of `names` not imported yet into sys.modules, to run on first use."""
    if not any(isinstance(finder, _ParentFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ParentFirst())
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
        module.__dict__.update(EARLY.get(name, {}))
        module.__class__ = _Deferred
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
