"""A Contact as plain JSON data and back, field by field (the persisted contact state).

Explicit on purpose: the database holds data, never code, so no pickle. Times are ISO 8601
text in UTC; tuples are lists; each small record (MeetingRef, Awaiting, Trace, LifeEvent) is a
list of its fields in order. `decode(encode(c)) == c` for every Contact (a hypothesis property
holds it to that). A change to Contact's shape must bump `SHAPE`: stored state of another shape
is refolded, never misread.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from typing import Any

from touchbase.rules.contacts import Contact
from touchbase.rules.contacts_acc import Awaiting, MeetingRef, Trace
from touchbase.rules.life_events import LifeEvent

# Bumped whenever Contact, its records or this encoding change.
SHAPE = 4  # 4: counted times kept as summaries (Contact.counted ... day_gaps)

_TIMES = frozenset(
    f.name for f in fields(Contact) if "datetime" in str(f.type) and "tuple" not in str(f.type)
)
_FROMISO = datetime.fromisoformat


def _t(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _short(value: datetime) -> str:
    """ISO 8601 with "Z" for UTC: a million of these are read at every evaluation at 10,000
    people, and the shorter text parses faster (fromisoformat reads "Z" since Python 3.11)."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _d(value: str | None) -> datetime | None:
    return None if value is None else _FROMISO(value)


def to_data(contact: Contact) -> dict[str, Any]:
    """The contact as JSON-ready values."""
    out: dict[str, Any] = {}
    for f in fields(Contact):
        value = getattr(contact, f.name)
        if f.name in _TIMES:
            value = _t(value)
        elif f.name == "addresses":
            value = list(value)
        elif f.name == "day_gaps":
            value = [list(pair) for pair in value]
        elif f.name == "last_meeting" and value is not None:
            value = [value.interaction_id, _t(value.ended_at), value.subject, value.recurring]
        elif f.name == "awaiting" and value is not None:
            value = [_t(v) if isinstance(v, datetime) else v for v in value]
        elif f.name == "trace":
            value = [[t.interaction_id, _t(t.occurred_at), t.kind, t.rule, t.weight] for t in value]
        elif f.name == "events":
            value = [[e.kind, _t(e.at), e.text, list(e.evidence)] for e in value]
        elif f.name == "dead":
            value = [[address, _t(at)] for address, at in value]
        out[f.name] = value
    return out


def from_data(data: dict[str, Any]) -> Contact:
    """The contact `to_data` gave."""
    values = dict(data)
    for name in _TIMES:
        values[name] = _d(values[name])
    values["addresses"] = tuple(values["addresses"])
    values["day_gaps"] = tuple((gap, n) for gap, n in values["day_gaps"])
    meeting = values["last_meeting"]
    if meeting is not None:
        values["last_meeting"] = MeetingRef(meeting[0], _FROMISO(meeting[1]), *meeting[2:])
    awaiting = values["awaiting"]
    if awaiting is not None:
        thread, subject, first, last, *rest = awaiting
        values["awaiting"] = Awaiting(thread, subject, _FROMISO(first), _FROMISO(last), *rest)
    values["trace"] = tuple(
        Trace(i, _FROMISO(at), kind, rule, weight) for i, at, kind, rule, weight in values["trace"]
    )
    values["events"] = tuple(
        LifeEvent(kind, _FROMISO(at), text, tuple(evidence))
        for kind, at, text, evidence in values["events"]
    )
    values["dead"] = tuple((address, _FROMISO(at)) for address, at in values["dead"])
    return Contact(**values)


def encode(contact: Contact) -> str:
    """The contact as compact JSON text."""
    return json.dumps(to_data(contact), separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> Contact:
    """The contact `encode` gave."""
    return from_data(json.loads(text))
