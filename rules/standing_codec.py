"""A Standing as plain JSON data and back (the persisted standings, issue 16).

Field by field, by the type each field holds: times as ISO 8601 text, durations as
[days, seconds, microseconds] (exact), tuples as lists. `decode(encode(s)) == s` for every
Standing (a hypothesis property holds it to that). `SHAPE` names the fields: stored standings
of another shape are assessed again, never misread.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from touchbase.rules.standing import Standing

SHAPE = ",".join(f"{f.name}:{f.type}" for f in fields(Standing))
_FIELDS = tuple(f.name for f in fields(Standing))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, timedelta):
        return ["d", value.days, value.seconds, value.microseconds]
    if isinstance(value, tuple):
        return ["l", [_plain(v) for v in value]]
    return value


def _back(value: Any) -> Any:
    if isinstance(value, list):
        tag = value[0]
        if tag == "t":
            return datetime.fromisoformat(value[1])
        if tag == "d":
            return timedelta(days=value[1], seconds=value[2], microseconds=value[3])
        return tuple(_back(v) for v in value[1])
    return value


def encode(standing: Standing) -> str:
    return json.dumps(
        [_plain(getattr(standing, name)) for name in _FIELDS],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode(text: str) -> Standing:
    return Standing(*map(_back, json.loads(text)))
