"""Bulk inserts straight to the driver's executemany, for the import's hot path.

SQLAlchemy's Core insert compiles and processes parameters per row (measured here: about 70% of
the time of storing a page). This builds the INSERT once, applies the columns' own bind
processors (so stored values are exactly what the ORM would write: SQLite's datetime text format,
booleans), and hands all rows to the DBAPI cursor's executemany in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Dialect, Table
from sqlalchemy.types import TypeEngine

from agent.models import UTCDateTime


def _sqlite_utc(value: datetime | None) -> str | None:
    """UTCDateTime's stored form on SQLite, in one step: the text SQLAlchemy writes (naive UTC,
    microseconds always present), so stored values compare and sort as the ORM expects."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; every timestamp must be aware")
    v = value.astimezone(UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} "
        f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"
    )


def _processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if dialect.name == "sqlite":
        if isinstance(type_, UTCDateTime):
            return _sqlite_utc
        if isinstance(type_, Boolean):
            return None  # the sqlite3 module stores bools as 0 / 1 itself
    return type_.dialect_impl(dialect).bind_processor(dialect)


def bulk_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    processors = [_processor(c.type, dialect) for c in columns]
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join([mark] * len(names))})"
    )
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    values: list[tuple[Any, ...]] = []
    for row in rows:
        item = [row[n] for n in names]
        for i, process in active:
            item[i] = process(item[i])
        values.append(tuple(item))
    connection.exec_driver_sql(sql, values)
