"""`touchbase people --json`'s rows written straight as JSON text (issue 16).

Each row is the text `json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode` gives for
`person_row(...)` (agent/cli/commands/people.py), character for character, made without the
row's dict: at 10,000 people (bench/rules.py's 1M) building the dicts and encoding them took
0.18 s, a third of the encoding sorting each dict's 27 keys; 0.13 s this way, most of it the
times' isoformat (~70,000).
Strings go through the function json itself uses for them (`encode_basestring`, C), floats
through json's own spelling, the keys are written in sorted order. tests/agent/test_people_json.py
holds the two equal for any contact and standing (hypothesis), so a key added to person_row
and not here fails there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from touchbase.agent.service import cadence_days
from touchbase.rules.standing import is_due

if TYPE_CHECKING:
    from touchbase.rules.contacts import Contact
    from touchbase.rules.standing import Standing

_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


def _value(x: Any) -> str:
    """One scalar as json writes it: str, int, None, bools; a finite float by its repr (as
    json, which writes NaN and Infinity its own way: those go through it)."""
    kind = type(x)
    if kind is str:
        return encode_basestring(x)
    if kind is int:
        return int.__repr__(x)
    if x is None:
        return "null"
    if x is True:
        return "true"
    if x is False:
        return "false"
    if kind is float and x - x == 0.0:  # finite
        return float.__repr__(x)
    return _ENCODE(x)


def _time(x: datetime | None) -> str:
    # isoformat is digits, "-", ":", "T", "." and "+": nothing json would escape.
    return "null" if x is None else f'"{x.isoformat()}"'


def _strings(items: Sequence[Any]) -> str:
    return "[" + ", ".join(map(_value, items)) + "]"


def row(
    contact: Contact,
    standing: Standing | None,
    now: datetime,
    name: str = "",
    addresses: Sequence[str] = (),
) -> str:
    """person_row(contact, standing, now, name, addresses) as JSON text (sorted keys)."""
    c, s, v, t, text = contact, standing, _value, _time, encode_basestring
    if s is None:
        cadence = tier = strength = due = relationship = owed = "null"
        due_now = "false"
    else:
        cadence = v(cadence_days(s))
        tier, strength, due = v(s.tier), v(s.strength), t(s.due)
        relationship, owed = v(s.relationship), t(s.reply_owed)
        due_now = "true" if is_due(s, now) else "false"
    # Most people have no life events and no dead address: no generator made for them.
    events = (
        ", ".join(
            f'{{"at": {t(e.at)}, "evidence": {_strings(e.evidence)}, "kind": {v(e.kind)}, '
            f'"text": {v(e.text)}}}'
            for e in c.events
        )
        if c.events
        else ""
    )
    undeliverable = (
        ", ".join(f"{v(a)}: {t(at)}" for a, at in sorted(dict(c.dead).items())) if c.dead else ""
    )
    # The person key, the address and the declared int fields are written as they are (an
    # int's str is its JSON); the others through _value, which writes whatever json would
    # (a name read back as None included); the times inline, not through _time (~70,000
    # calls).
    first = "null" if (x := c.first_contact) is None else f'"{x.isoformat()}"'
    last = "null" if (x := c.last_contact) is None else f'"{x.isoformat()}"'
    met = "null" if (x := c.last_met) is None else f'"{x.isoformat()}"'
    received = "null" if (x := c.last_received) is None else f'"{x.isoformat()}"'
    seen = "null" if (x := c.last_seen) is None else f'"{x.isoformat()}"'
    sent = "null" if (x := c.last_sent) is None else f'"{x.isoformat()}"'
    guessed = c.name_guessed and name in ("", c.name)
    return (
        f'{{"address": {text(c.address)}, '
        f'"addresses": {_strings(sorted({*c.addresses, *addresses}))}, '
        f'"cadence_days": {cadence}, '
        f'"delegate": {v(c.delegate)}, '
        f'"due": {due}, '
        f'"events": [{events}], '
        f'"exchanges_in": {c.exchanges_in}, '
        f'"exchanges_out": {c.exchanges_out}, '
        f'"first_contact": {first}, '
        f'"is_due": {due_now}, '
        f'"last_contact": {last}, '
        f'"last_met": {met}, '
        f'"last_received": {received}, '
        f'"last_seen": {seen}, '
        f'"last_sent": {sent}, '
        f'"meeting_count": {c.meeting_count}, '
        f'"name": {v(name or c.name)}, '
        f'"name_guessed": {v(guessed)}, '
        f'"person": {text(c.person)}, '
        f'"received_count": {c.received_count}, '
        f'"relationship": {relationship}, '
        f'"reply_owed": {owed}, '
        f'"sent_count": {c.sent_count}, '
        f'"small_meetings": {c.small_meetings}, '
        f'"strength": {strength}, '
        f'"tier": {tier}, '
        f'"undeliverable": {{{undeliverable}}}}}'
    )
