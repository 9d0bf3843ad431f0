"""The console every CLI line is printed through (output.py says what makes it safe); kept apart
so that rich's Console is imported only when something is printed, not while `--help` is built."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from touchbase.agent.cli.output import clean


class SafeConsole(Console):
    """A Console whose every string (printed, or a table cell) is cleaned before rendering,
    that reads no markup unless asked, and that never wraps or cuts when not on a terminal."""

    def render_str(self, text: str, *args: Any, **kwargs: Any) -> Any:
        return super().render_str(clean(text), *args, **kwargs)

    def print(self, *objects: Any, soft_wrap: bool | None = None, **kwargs: Any) -> None:
        if soft_wrap is None and not self.is_terminal:
            soft_wrap = True
        super().print(*objects, soft_wrap=soft_wrap, **kwargs)
