"""Names a package exports but imports only when first read (issue 16: `touchbase drafts` should
not pay for the renderer, `status` not for the evaluation). A package lists where each name lives
and sets `__getattr__ = lazy_names(__name__, {...})`; the first read imports the module and keeps
the value in the package, so later reads are plain lookups."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: name -> the module (absolute) that defines it."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
