"""A Standing as plain JSON data and back (the persisted standings, issue 16).

Field by field, in order: times as ISO 8601 text, the cadence as [days, seconds,
microseconds] (exact), tuples as lists. `decode(encode(s)) == s` for every
Standing (a hypothesis property holds it to that). `SHAPE` names the fields: stored standings
of another shape are assessed again, never misread.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Optional, Tuple  # noqa: UP035 - msgspec's runtime types

import msgspec

from touchbase.rules.standing import Standing

# The fields encode writes, in order: a Standing with other fields is another shape (stored
# standings of it are assessed again), and encode/decode must be taught the new field.
# 2: a flat list of the fields (1 tagged each value).
SHAPE = "2;" + ",".join(f"{f.name}:{f.type}" for f in fields(Standing))


_FROMISO = datetime.fromisoformat
_DECODER = json.JSONDecoder()


def _t(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def encode(standing: Standing) -> str:
    """The standing as compact JSON: a list of its fields in order (10,000 are read back at
    every evaluation at 10,000 people: a flat list parses fastest)."""
    s, c = standing, standing.cadence
    return json.dumps(
        [
            s.strength,
            s.tier,
            [c.days, c.seconds, c.microseconds],
            s.cadence_source,
            _t(s.due),
            s.dormant,
            s.relationship,
            _t(s.reply_owed),
            s.register,
            list(s.warmth),
            None if s.quiet is None else list(s.quiet),
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )


# The stored list as the types msgspec parses it to, in C, checking each (as contact_codec
# reads contacts): 10,000 standings 0.040 -> 0.029 s CPU at every evaluation of a new process.
_STORED = msgspec.json.Decoder(
    Tuple[  # noqa: UP006 - the fixed-length form
        float,
        str,
        Tuple[int, int, int],  # noqa: UP006
        str,
        Optional[datetime],  # noqa: UP045 - a runtime type here, not an annotation
        bool,
        Optional[str],  # noqa: UP045
        Optional[datetime],  # noqa: UP045
        str,
        Tuple[str, ...],  # noqa: UP006
        Optional[Tuple[str, str]],  # noqa: UP006, UP045
    ]
)


def decode(text: str) -> Standing:
    """The standing `encode` gave; ValueError for text of another shape."""
    try:
        strength, tier, (d, sec, us), source, due, dormant, why, owed, register, signs, held = (
            _STORED.decode(text)
        )
    except msgspec.ValidationError as exc:
        # A time whose offset RFC 3339 cannot hold takes the general path; another shape is
        # refused by both.
        try:
            return _decode_json(text)
        except (TypeError, ValueError):
            raise ValueError(f"not a stored standing of shape {SHAPE[:2]}: {exc}") from None
    return Standing(
        strength, tier, timedelta(d, sec, us), source, due, dormant, why, owed, register, signs,
        held,
    )  # fmt: skip


def _decode_json(text: str) -> Standing:
    strength, tier, (d, sec, us), source, due, dormant, why, owed, register, signs, held = (
        _DECODER.raw_decode(text)[0]
    )
    return Standing(
        strength,
        tier,
        timedelta(d, sec, us),
        source,
        None if due is None else _FROMISO(due),
        dormant,
        why,
        None if owed is None else _FROMISO(owed),
        register,
        tuple(signs),
        None if held is None else (held[0], held[1]),
    )
