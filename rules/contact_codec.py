"""A Contact as plain JSON data and back (the persisted contact state).

Explicit on purpose: the database holds data, never code, so no pickle. The layout is flat and
positional: one JSON list of Contact's fields in their declared order, no keys (10,000 contacts
are read back at every evaluation at 10,000 people: a list parses three times faster than an
object with 45 keys, and the text is half as long). Times are ISO 8601 text, UTC as "Z";
tuples are lists; `day_gaps` is flat ([gap, n, gap, n, ...]); each small record (MeetingRef,
Awaiting, Trace, LifeEvent) is a list of its fields in order. `decode(encode(c)) == c` for
every Contact (a hypothesis property holds it to that).

`SHAPE` names the layout and Contact's fields with their types: stored state of another shape
is refolded (contact_state's fingerprint holds it), never misread, so a field added to Contact
changes the shape by itself. A field whose type this codec does not know fails at import.

Written with json; read with msgspec, which parses the text straight into the fields' types
(times, tuples, the small records) in C and checks each on the way: 10,000 stored contacts
took 0.235 s CPU through json and per-field conversion, 0.09 s this way, at every evaluation
of a new process (issue 16). A time whose offset RFC 3339 cannot write (seconds in it, as
Python's isoformat writes an old local-mean-time zone) takes the slower path, to the same value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Tuple, get_type_hints  # noqa: UP035 - Tuple[...] takes a tuple of types

import msgspec

from touchbase.rules.contacts import Contact
from touchbase.rules.contacts_acc import Awaiting, MeetingRef, Trace
from touchbase.rules.life_events import LifeEvent

_FIELDS = fields(Contact)
# 5: a flat list of the fields in order (4 and before: an object keyed by field name).
SHAPE = "5;" + ",".join(f"{f.name}:{f.type}" for f in _FIELDS)

_NAMES = tuple(f.name for f in _FIELDS)
# The fields written as they are (JSON keeps them exactly: str, int, float, bool, None).
_PLAIN_TYPES = frozenset({"str", "str | None", "int", "float", "bool"})
_TIME_TYPE = "datetime | None"
# The fields of other types, each with its own conversion below, and the type it is for.
_SPECIAL = {
    "addresses": "tuple[str, ...]",
    "day_gaps": "tuple[tuple[int, int], ...]",
    "last_meeting": "MeetingRef | None",
    "awaiting": "Awaiting | None",
    "trace": "tuple[Trace, ...]",
    "events": "tuple[LifeEvent, ...]",
    "dead": "tuple[tuple[str, datetime], ...]",
}
_TIMES = tuple(i for i, f in enumerate(_FIELDS) if str(f.type) == _TIME_TYPE)
_unknown = [
    f"{f.name}: {f.type}"
    for f in _FIELDS
    if str(f.type) not in _PLAIN_TYPES
    and str(f.type) != _TIME_TYPE
    and _SPECIAL.get(f.name) != str(f.type)
]
if _unknown or not _SPECIAL.keys() <= set(_NAMES):  # pragma: no cover - teach encode, decode
    raise TypeError(f"contact_codec does not know how to store Contact fields {_unknown}")
_ADDRESSES, _DAY_GAPS, _MEETING, _AWAITING, _TRACE, _EVENTS, _DEAD = map(_NAMES.index, _SPECIAL)
_SIZE = len(_NAMES)

_FROMISO = datetime.fromisoformat
_DECODER = json.JSONDecoder()


def _pairs(flat: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """`day_gaps` from its stored form: [gap, n, gap, n, ...]."""
    items = iter(flat)
    return tuple(zip(items, items, strict=True))


def _builder(convert: dict[int, Callable[[Any], Any]]) -> Callable[[Sequence[Any]], Contact]:
    """A function making the Contact of a sequence of its field values, in order (`convert`:
    by position, a conversion a value takes first): what `Contact(*values)` makes, with each
    slot set through its own descriptor. The frozen
    dataclass's __init__ calls `object.__setattr__(self, name, value)` for each of the 45
    fields, a lookup by name each time: making 10,000 decoded contacts took 0.078 s CPU that
    way and 0.041 s this way, at every evaluation's read of the state (issue 16). Generated
    like dataclasses' own __init__, one line per field; a hypothesis property holds its
    contacts equal to the codec's input (tests/rules/test_contact_codec.py)."""
    if hasattr(Contact, "__post_init__"):  # pragma: no cover - build would skip it
        raise TypeError("contact_codec's builder does not run Contact.__post_init__")
    scope: dict[str, Any] = {"new": object.__new__, "Contact": Contact}
    lines = ["def build(v):", "    c = new(Contact)"]
    for i, name in enumerate(_NAMES):
        # A slotted dataclass's field is a member descriptor on the class; its __set__ writes
        # the slot (frozen only forbids assignment through the instance).
        scope[f"set{i}"] = Contact.__dict__[name].__set__
        if i in convert:
            scope[f"convert{i}"] = convert[i]
            lines.append(f"    set{i}(c, convert{i}(v[{i}]))")
        else:
            lines.append(f"    set{i}(c, v[{i}])")
    lines.append("    return c")
    exec("\n".join(lines), scope)  # our own text, one line per field name
    build: Callable[[Sequence[Any]], Contact] = scope["build"]
    return build


_build = _builder({})
_build_stored = _builder({_DAY_GAPS: _pairs})


def _stored_layout() -> Any:
    """The stored list as one type msgspec checks and converts to: a tuple of each field's
    type, `day_gaps` flat."""
    hints = get_type_hints(Contact)
    types = [hints[name] for name in _NAMES]
    types[_DAY_GAPS] = tuple[int, ...]
    return Tuple[tuple(types)]  # noqa: UP006 - tuple[...] cannot take a tuple of types


_STORED = msgspec.json.Decoder(_stored_layout())


def _t(value: datetime) -> str:
    """ISO 8601 with "Z" for UTC: shorter, and it parses faster (fromisoformat reads "Z"
    since Python 3.11)."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def to_data(contact: Contact) -> list[Any]:
    """The contact as a JSON-ready list, its fields in order."""
    out: list[Any] = [getattr(contact, name) for name in _NAMES]
    for i in _TIMES:
        value = out[i]
        if value is not None:
            out[i] = _t(value)
    out[_ADDRESSES] = list(contact.addresses)
    out[_DAY_GAPS] = [x for pair in contact.day_gaps for x in pair]
    meeting = contact.last_meeting
    if meeting is not None:
        out[_MEETING] = [meeting.interaction_id, _t(meeting.ended_at), *meeting[2:]]
    awaiting = contact.awaiting
    if awaiting is not None:
        out[_AWAITING] = [_t(v) if isinstance(v, datetime) else v for v in awaiting]
    out[_TRACE] = [[t.interaction_id, _t(t.occurred_at), *t[2:]] for t in contact.trace]
    out[_EVENTS] = [[e.kind, _t(e.at), e.text, list(e.evidence)] for e in contact.events]
    out[_DEAD] = [[address, _t(at)] for address, at in contact.dead]
    return out


def from_data(data: list[Any]) -> Contact:
    """The contact `to_data` gave (the list is used up: its items are replaced)."""
    if not isinstance(data, list) or len(data) != _SIZE:
        raise ValueError(f"not a stored contact of shape {SHAPE[:2]}")
    v = data
    fromiso = _FROMISO
    for i in _TIMES:
        value = v[i]
        if value is not None:
            v[i] = fromiso(value)
    v[_ADDRESSES] = tuple(v[_ADDRESSES])
    gaps = iter(v[_DAY_GAPS])
    v[_DAY_GAPS] = tuple(zip(gaps, gaps, strict=True))
    meeting = v[_MEETING]
    if meeting is not None:
        v[_MEETING] = MeetingRef(meeting[0], fromiso(meeting[1]), *meeting[2:])
    awaiting = v[_AWAITING]
    if awaiting is not None:
        thread, subject, first, last, *rest = awaiting
        v[_AWAITING] = Awaiting(thread, subject, fromiso(first), fromiso(last), *rest)
    # Most contacts have no trace, events or dead addresses: () without a comprehension.
    trace = v[_TRACE]
    v[_TRACE] = tuple([Trace(i, fromiso(at), *rest) for i, at, *rest in trace]) if trace else ()
    events = v[_EVENTS]
    v[_EVENTS] = (
        tuple([LifeEvent(k, fromiso(at), text, tuple(e)) for k, at, text, e in events])
        if events
        else ()
    )
    dead = v[_DEAD]
    v[_DEAD] = tuple([(address, fromiso(at)) for address, at in dead]) if dead else ()
    return _build(v)


def encode(contact: Contact) -> str:
    """The contact as compact JSON text."""
    return json.dumps(to_data(contact), separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> Contact:
    """The contact `encode` gave; ValueError for text of another shape."""
    try:
        return _build_stored(_STORED.decode(text))
    except msgspec.ValidationError as exc:
        # A time whose offset RFC 3339 cannot hold takes the general path; another shape is
        # refused by both.
        try:
            return from_data(_DECODER.raw_decode(text)[0])
        except (TypeError, ValueError):
            raise ValueError(f"not a stored contact of shape {SHAPE[:2]}: {exc}") from None
