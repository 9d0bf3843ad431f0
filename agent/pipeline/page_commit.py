"""Finishing a page's transaction on a thread while the next page is fetched and parsed.

A first sync of 100,000 IMAP messages spent about a sixth of its CPU inserting the participants
(240,000 rows, one executemany) and committing, all in the one thread that also fetches and
parses. The sqlite3 module lets go of the GIL only inside one call to SQLite, and executemany
makes one call per row: a thread doing it takes the GIL back 240,000 times from a busy parser
(a writer thread was tried: the GIL's 5 ms switch interval per row). One INSERT ... SELECT over
`json_each` of the page's rows is one call to SQLite, with the GIL free all along, so the
participants' insert and the commit overlap the next page's fetch and parse (issue 16).

What stays true (DESIGN.md contract 1): the page, its participants and its cursor still commit
in one transaction, and the caller waits for that commit (`Committing.wait`) before it stores
the next page, stops, or ends the run; a failed insert or commit rolls the whole page back and
is raised by `wait`. Killed in between, the page is not stored and is pulled again.

Only on SQLite 3.38 or later (the `->>` operator), and not for rows holding a NUL character
(SQLite's JSON reading cuts a string at an escaped NUL): those go through executemany.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Connection, Table

from touchbase.agent.pipeline.bulk import bulk_insert

JSON_ROWS = sqlite3.sqlite_version_info >= (3, 38, 0)


class Committing:
    """A page's transaction being finished on a thread; `wait` returns once it is committed
    (or raises why it was not). Waiting again returns at once."""

    def __init__(self, future: Future[None] | None = None) -> None:
        self._future = future

    def wait(self) -> None:
        future, self._future = self._future, None
        if future is not None:
            future.result()


DONE = Committing()


class Finisher:
    """One thread that finishes pages' transactions, made when first needed."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None

    def submit(self, finish: Callable[[], None]) -> Committing:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="page-commit")
        return Committing(self._pool.submit(finish))


def insert_rows(
    connection: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT `rows` (plain values, in the order of `names`) in one statement over their JSON,
    which stores what executemany would (text, integers, NULL; True/False as 1/0), in order:
    the new rows' ids are the same. Rows with a NUL character go through executemany."""
    if not rows:
        return
    text = json.dumps(rows, ensure_ascii=False, check_circular=False)
    if "\\u0000" in text:  # also a literal backslash-u0000: executemany, which is right anyway
        bulk_insert(connection, table, names, rows)
        return
    quote = connection.dialect.identifier_preparer.quote
    values = ", ".join(f"value ->> {n}" for n in range(len(names)))
    connection.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"SELECT {values} FROM json_each(?)",
        (text,),
    )
