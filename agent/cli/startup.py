"""Start-up without the cyclic garbage collector (issue 16).

Importing SQLAlchemy, the models, the rules and the service makes some 200,000 objects that live
as long as the process. The collector walks them again and again while they are made: about 170
collections, 10-14 % of the CPU of `touchbase status` or `people --json` on the allen-p database.
`pause()` (the console script's first step) turns it off; `settle()` (once the service and
everything it imports are loaded: App.service) moves what exists by then into the permanent
generation (gc.freeze), which no collection walks, and turns the collector on again, so the
command's own work (a refold of a million interactions, a daemon that runs for weeks) is collected
as before. A command that never opens the service (init, --help) ends with it off: they are short.
"""

from __future__ import annotations

import gc

_paused = False


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
