"""Pages of rows for the review page: a bounded number per page, with next and previous links.

200k correspondents (issue 13) made the due list one 14.8 s page; a page of rows renders in
the same time whatever the database holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import abort, request, url_for

T = TypeVar("T")
ROWS = 100  # rows per page of a list (the due list, a person's history)
CARDS = 20  # drafts per page of the review page: each card also reads its person's history


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of `total` rows: `number` counts from 1; links keep the other query values."""

    rows: Sequence[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1 if self.rows else 0

    def link(self, number: int) -> str | None:
        if not 1 <= number <= self.pages or number == self.number:
            return None
        assert request.endpoint is not None
        values = {**(request.view_args or {}), **request.args.to_dict(), "page": number}
        return url_for(request.endpoint, **values)

    @property
    def previous(self) -> str | None:
        return self.link(self.number - 1)

    @property
    def next(self) -> str | None:
        return self.link(self.number + 1)


def page_number() -> int:
    """The `page` asked for (1 when none); 400 when it is not a whole number from 1."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        abort(400, "page must be a whole number from 1")
    return int(raw)


def page_of(items: Sequence[T], size: int = ROWS) -> Page[T]:
    """The asked-for page of `items`; past the last page, the last page."""
    total = len(items)
    number = min(page_number(), max(1, -(-total // size)))
    start = (number - 1) * size
    return Page(items[start : start + size], number, size, total)
