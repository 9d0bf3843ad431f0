"""What the CLI prints: stable JSON for scripts, rich tables and progress for people.

Every value printed here comes from mail, calendars or address books, that is from strangers, so
the consoles are made safe once for every command:

- Rich markup and emoji codes are off by default (`Eve [/bold]` is a name, not a closing tag;
  `[link=...]` prints as typed). Our own fixed templates opt in with `markup=True` and pass values
  through `escape()`.
- Control and format characters (Unicode Cc and Cf: ESC sequences that set titles, clear the
  screen or make links, bidi overrides that reverse text) are shown as visible escapes (`\\x1b`,
  `\\u202e`) in everything a console prints, table cells included. JSON output is untouched:
  `json.dumps` escapes them already, and scripts get the exact value.
- On a terminal tables are drawn; piped or redirected, text is never wrapped or cut and a table is
  tab-separated lines (a header, then one line per row), so `cut` and `awk` read it whole.
"""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

if TYPE_CHECKING:
    from rich.progress import Progress

    from touchbase.agent.cli.safe_console import SafeConsole

# Zero-width joiners (U+200C, U+200D) are Cf but only glue emoji and scripts together; every
# other Cf (bidi embeddings, overrides and isolates, the BOM, the soft hyphen), every Cc but tab
# and newline, and lone surrogates (undecodable bytes kept by surrogateescape) are shown
# escaped. Computed per character, not as a table of code points: building
# that table costs a tenth of a second at every start.
_KEEP = frozenset("\t\n\u200c\u200d")
_HIDDEN = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))


def _visible(char: str) -> str:
    if char in _KEEP or unicodedata.category(char) not in _HIDDEN:
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clean(text: str) -> str:
    """`text` with every control and format character but tab and newline made visible."""
    if text.isprintable():  # the common case, in C: no Cc, Cf, Zl or Zp in it
        return text
    return "".join(map(_visible, text))


def escape(text: str) -> str:
    """A value for a `markup=True` template: control characters made visible, markup escaped."""
    return _escape_markup(clean(text))


def _escape_markup(markup: str) -> str:
    """rich.markup.escape, here so that escaping loads no rich (~0.012 s, issue 16): a `[`
    that could open a tag gets a backslash, and so does each backslash before it, and one
    more ends a text ending in a single backslash. tests/agent/test_cli_startup.py holds it
    to rich's own for any text (hypothesis)."""

    def doubled(match: re.Match[str]) -> str:
        backslashes, tag = match.groups()
        return f"{backslashes}{backslashes}\\{tag}"

    markup = re.sub(r"(\\*)(\[[a-z#/@][^[]*?])", doubled, markup)
    if markup.endswith("\\") and not markup.endswith("\\\\"):
        return markup + "\\"
    return markup


T = TypeVar("T")


class _OnFirstUse(Generic[T]):
    """Stands for the object `make()` returns, made at the first attribute read or write.

    Importing rich's Console costs about 35 ms, a sixth of what `touchbase --help` may take
    (issue 16), and every command module imports `console` while the parser is built. Writes go
    through too, so that a test's `monkeypatch.setattr(output.console, ...)` reaches the real
    console. Only attribute access goes through (not `with console:` or other special
    methods); hand `made(console)` to code that keeps the console itself (rich's Progress)."""

    __slots__ = ("_made", "_make")

    def __init__(self, make: Callable[[], T]) -> None:
        object.__setattr__(self, "_make", make)
        object.__setattr__(self, "_made", None)

    def _get(self) -> T:
        made = object.__getattribute__(self, "_made")
        if made is None:
            made = object.__getattribute__(self, "_make")()
            object.__setattr__(self, "_made", made)
        return cast(T, made)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get(), name)


def _safe_console(**options: Any) -> SafeConsole:
    from touchbase.agent.cli.safe_console import SafeConsole

    return SafeConsole(highlight=False, markup=False, emoji=False, **options)


def made(deferred: SafeConsole) -> SafeConsole:
    """The real console behind `console` or `errors`."""
    if isinstance(deferred, _OnFirstUse):
        return cast("SafeConsole", deferred._get())
    return deferred


class _Console(_OnFirstUse["SafeConsole"]):
    """A console made on first use that answers `is_terminal` and `file` without being made
    when its stream alone decides. Piped, `people --due`, `drafts` and the refold bar's check
    need neither rich nor a Console (~35 ms of their start, issue 16): rich calls a stream a
    terminal only when TTY_COMPATIBLE or FORCE_COLOR say so, or when it is a tty."""

    __slots__ = ("_stderr",)

    def __init__(self, make: Callable[[], SafeConsole], *, stderr: bool) -> None:
        super().__init__(make)
        object.__setattr__(self, "_stderr", stderr)

    def _unmade(self) -> bool:
        return object.__getattribute__(self, "_made") is None

    @property
    def file(self) -> Any:
        if self._unmade():
            return sys.stderr if object.__getattribute__(self, "_stderr") else sys.stdout
        return self._get().file

    @property
    def is_terminal(self) -> bool:
        if self._unmade() and not _told_terminal() and not _isatty(self.file):
            return False
        return self._get().is_terminal

    def print(self, *objects: Any, **options: Any) -> None:
        """SafeConsole.print; a plain line written as rich would write it when no console is
        made and none is needed: one string, no markup or other option, not a terminal, and
        no tab or trailing space on any line (rich expands tabs by cell widths and drops a
        long line's trailing spaces past the console's width; those go through rich). Piped,
        `person`, `status` and the other line-printing commands load no rich (~0.02 s)."""
        if (
            len(objects) <= 1  # none: an empty line, as rich's NewLine
            and all(type(o) is str for o in objects)
            and options.keys() <= {"soft_wrap", "markup"}
            and options.get("soft_wrap", True) is not False
            and not options.get("markup")
            and not self.is_terminal
            and self._unmade()
        ):
            text = clean(objects[0]) if objects else ""
            if "\t" not in text and not any(line[-1:].isspace() for line in text.split("\n")):
                self.file.write(text + "\n")
                return
        self._get().print(*objects, **options)


def _told_terminal() -> bool:
    """The environment tells rich whether output is a terminal (force-color.org and rich's own
    TTY_COMPATIBLE), whatever the stream."""
    return "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


console = cast("SafeConsole", _Console(_safe_console, stderr=False))
errors = cast("SafeConsole", _Console(lambda: _safe_console(stderr=True), stderr=True))


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, or None: the only way times appear in JSON output."""
    return value.isoformat() if value is not None else None


def print_json(value: Any) -> None:
    """Stable JSON: sorted keys, one document, newline-terminated (a contract for scripts)."""
    sys.stdout.write(json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def print_json_array(items: Iterable[Any]) -> None:
    """A JSON array written item by item, one item a line (sorted keys, like `print_json`), so
    that a huge list is never held as one string. Without `indent` json uses its C encoder:
    200,000 people are written in about 3 s instead of 40 (issue 13.7)."""
    # One encoder for every item: json.dumps with options makes a new JSONEncoder per call,
    # a sixth of the encoding time of 10,000 people (issue 16).
    encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
    print_json_texts(map(encode, items))


def print_json_texts(texts: Iterable[str]) -> None:
    """`print_json_array` of items already encoded, each text as `print_json_array` encodes
    one (agent/cli/people_json.py writes people's rows so)."""
    write = sys.stdout.write
    first = True
    for text in texts:
        write(("[\n" if first else ",\n") + text)
        first = False
    write("[]\n" if first else "\n]\n")


def tsv_cell(value: str) -> str:
    """One table cell on one line: tabs and newlines inside it escaped, controls made visible."""
    return clean(value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"))


def table(
    columns: Sequence[str], rows: Iterable[Sequence[str]], *, title: str | None = None
) -> None:
    """Rows under column headings: drawn on a terminal, tab-separated lines when piped."""
    if not console.is_terminal:
        write = console.file.write
        write("\t".join(columns) + "\n")
        for row in rows:
            write("\t".join(tsv_cell(cell) for cell in row) + "\n")
        return
    from rich.table import Table

    drawn = Table(*columns, title=title)
    for row in rows:
        drawn.add_row(*row)
    console.print(drawn)


def body(text: str) -> None:
    """A message body: exactly as it will be sent when piped; on a terminal with its control
    characters made visible and its lines left for the terminal to wrap (no newlines added)."""
    if console.is_terminal:
        console.print(text, soft_wrap=True)
    else:
        console.file.write(text if text.endswith("\n") else text + "\n")


class RefoldBar:
    """A full refold's progress (agent/pipeline/contact_state.py reports (folded, all)): a bar
    on the error console that appears at the first report and goes at the last, so a command
    that needs no refold, or only a small one, shows nothing."""

    # A refold of fewer interactions ends within a second or so: a bar would only flicker (and
    # leave its cursor codes in a terminal's scrollback).
    SMALL = 20_000

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None and total < self.SMALL:
            return
        if self._bar is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            # Markup is off on our consoles (data may hold brackets): plain words.
            self._bar = Progress(
                TextColumn("Refolding contacts", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=made(errors),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("refold", total=total)
        self._bar.update(self._task, completed=done, total=total)
        if done >= total:
            self._bar.stop()
            self._bar = None


def refold_bar() -> RefoldBar | None:
    """A RefoldBar when the error stream is a terminal, else None (scripts read stdout)."""
    return RefoldBar() if errors.is_terminal else None


@contextmanager
def progress(description: str, *, enabled: bool | None = None) -> Iterator[Progress | None]:
    """A progress display on a terminal; nothing when output goes to a file or a pipe."""
    if enabled is None:
        enabled = errors.is_terminal
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}", markup=False),
        TimeElapsedColumn(),
        console=made(errors),
        transient=True,
    ) as bar:
        # The description is read as markup by the column: a path may hold brackets.
        bar.add_task(escape(description), total=None, detail="")
        yield bar
