"""The `run_import` fixture: tests.hostile.run_import with the database in the test's tmp_path."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import ImportOutcome
from tests.hostile import run_import as _run_import

RunImport = Callable[..., ImportOutcome]


@pytest.fixture
def run_import(tmp_path: Path) -> RunImport:
    """`run_import(path, *extra_args, **kw) -> ImportOutcome`; see tests/hostile/__init__.py.

    The database is tmp_path/touchbase.db unless `db=` is given, so two calls in one test import
    into the same database (as a second `touchbase import` after a restart would).
    """

    def run(path: str | os.PathLike[str], *extra_args: str, **kw: Any) -> ImportOutcome:
        kw.setdefault("db", tmp_path / "touchbase.db")
        return _run_import(path, *extra_args, **kw)

    return run
