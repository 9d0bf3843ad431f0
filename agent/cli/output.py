"""What the CLI prints: stable JSON for scripts, rich tables and progress for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, or None: the only way times appear in JSON output."""
    return value.isoformat() if value is not None else None


def print_json(value: Any) -> None:
    """Stable JSON: sorted keys, one document, newline-terminated (a contract for scripts)."""
    sys.stdout.write(json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n")


@contextmanager
def progress(description: str, *, enabled: bool | None = None) -> Iterator[Progress | None]:
    """A progress display on a terminal; nothing when output goes to a file or a pipe."""
    if enabled is None:
        enabled = errors.is_terminal
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        bar.add_task(description, total=None, detail="")
        yield bar
