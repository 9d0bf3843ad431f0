"""Bulk inserts straight to the driver's executemany, for the import's hot path.

SQLAlchemy's Core insert compiles and processes parameters per row (measured here: about 70% of
the time of storing a page). This builds the INSERT once, applies the columns' own bind
processors (so stored values are exactly what the ORM would write: SQLite's datetime text format,
booleans), and hands all rows to the DBAPI cursor's executemany in one call.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Boolean, Connection, Dialect, Table
from sqlalchemy.types import TypeEngine

from touchbase.agent.pipeline.models import UTCDateTime
from touchbase.agent.pipeline.stored_time import sqlite_utc


def _processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if dialect.name == "sqlite":
        if isinstance(type_, UTCDateTime):
            return sqlite_utc
        if isinstance(type_, Boolean):
            return None  # the sqlite3 module stores bools as 0 / 1 itself
    return type_.dialect_impl(dialect).bind_processor(dialect)


def bulk_insert(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    skip_conflicts_on: Sequence[str] = (),
    ready: bool = False,
    fixed: Sequence[tuple[str, Fixed]] = (),
) -> int:
    """INSERT `rows` (tuples in the order of `names`) into `table` with one executemany; return
    how many rows were inserted (the driver's summed row count).

    `skip_conflicts_on` names a unique key: a row that collides with a stored one on it is left
    out (ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both speak) and not counted.
    `ready`: the rows hold the driver's values already (the columns' bind processors applied,
    as `stored_time.sqlite_utc` does for times on SQLite); nothing is converted.
    `fixed`: (column, value) pairs that every row has, in the driver's form (as `ready`),
    written into the statement as literals instead of bound per row (`_literal`: what binding
    the value stores). Binding costs SQLite more than the rest of a narrow row's insert: 240,000
    participants, their last four columns fixed, 1.23 -> 0.46 s CPU (sqlite3 alone, in memory).
    Only values the store makes itself: never a provider's text.
    """
    if not rows:
        return 0
    dialect = connection.dialect
    processors = [] if ready else [_processor(table.c[name].type, dialect) for name in names]
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(quote(n) for n in (*names, *(name for name, _ in fixed)))
    head = f"INSERT INTO {quote(table.name)} ({columns}) VALUES "
    values = f"({', '.join([mark] * len(names) + [_literal(value) for _, value in fixed])})"
    tail = ""
    if skip_conflicts_on:
        tail = f" ON CONFLICT ({', '.join(quote(n) for n in skip_conflicts_on)}) DO NOTHING"
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    if active:
        last: dict[int, tuple[Any, Any]] = {}
        converted: list[tuple[Any, ...]] = []
        for row in rows:
            item = list(row)
            for i, process in active:
                value = item[i]
                if value is None:
                    continue
                previous = last.get(i)
                # A page's rows share values such as their stored_at: convert each once.
                if previous is not None and previous[0] is value:
                    item[i] = previous[1]
                else:
                    item[i] = process(value)
                    last[i] = (value, item[i])
            converted.append(tuple(item))
        rows = converted
    if dialect.name == "sqlite":
        return _sqlite_executemany(connection, (head, values, tail), len(names), rows)
    result = connection.exec_driver_sql(
        head + values + tail, rows if isinstance(rows, list) else list(rows)
    )
    return result.rowcount


Fixed = bool | int | str | None  # a value bulk_insert may write into its statement


def _literal(value: Fixed) -> str:
    """`value` as an SQL literal that stores what binding it stores, on SQLite (3.23+ for TRUE
    and FALSE, which are its 1 and 0) and PostgreSQL alike."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"  # SQL's one escape in a string literal
    raise TypeError(f"no literal for {value!r}")


# Bound parameters per statement: SQLite's limit before 3.32 (32,766 since), safe on any build.
_SQLITE_VARIABLES = 999


def _sqlite_executemany(
    connection: Connection, sql: tuple[str, str, str], width: int, rows: Sequence[Sequence[Any]]
) -> int:
    """`executemany(head + values + tail, rows)` on SQLite, most rows bound many to a statement.

    The sqlite3 module resets, binds and steps its statement once per row of an executemany;
    a statement of many VALUES rows pays that once for all of them. A first IMAP sync of
    100,000 messages (240,000 participants, pages of 5,000, tmpfs): the participants' insert
    0.79 -> 0.57 s CPU, the interactions' 0.53 -> 0.46 s (medians of 5, load ~3.5). Rows go in
    in the same order, each under the same ON CONFLICT, so the ids SQLite gives them and the
    count of rows inserted are the same.
    """
    head, values, tail = sql
    per = _SQLITE_VARIABLES // width
    full = len(rows) - len(rows) % per if per > 1 else 0
    inserted = 0
    if full:
        many = head + ", ".join([values] * per) + tail
        flat = list(itertools.chain.from_iterable(rows[:full]))
        step = per * width
        batches = [tuple(flat[at : at + step]) for at in range(0, len(flat), step)]
        inserted += connection.exec_driver_sql(many, batches).rowcount
    if full < len(rows):
        rest = rows[full:]
        inserted += connection.exec_driver_sql(head + values + tail, list(rest)).rowcount
    return inserted
