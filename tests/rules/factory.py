"""Small builders for the rules' input types: readable cases, explicit times."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import count

from touchbase.rules.people import Identities
from touchbase.rules.policy import Policy, load_policy
from touchbase.rules.types import (
    ATTENDEE,
    BCC,
    CC,
    FROM,
    MAIL,
    MEETING,
    ORGANIZER,
    TO,
    Interaction,
    Party,
)

ME = "me@example.com"
OWNER = Identities.of([ME, "me@work.example"])
T0 = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)  # a Monday
_ids = count(1)


def at(days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def policy(**overrides: object) -> Policy:
    """The shipped policy with `overrides`; check-ins owed to any relationship unless a case
    says otherwise (issue 11's warm-ties default is tested by name in test_who_is_owed.py, and
    the older cases are about cadence, holds and pacing, not about warmth)."""
    return load_policy({"checkin_ties": "any", **overrides})


def mail(
    when: datetime,
    sender: str,
    to: Iterable[str] = (),
    cc: Iterable[str] = (),
    bcc: Iterable[str] = (),
    *,
    subject: str | None = "hello",
    flags: Iterable[str] = (),
    ident: int | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    folder: str | None = None,
    account: str = "mail",
    names: dict[str, str] | None = None,
) -> Interaction:
    names = names or {}
    parties = [Party(sender, FROM, names.get(sender, ""))]
    for role, addresses in ((TO, to), (CC, cc), (BCC, bcc)):
        parties.extend(Party(a, role, names.get(a, "")) for a in addresses)
    ident = next(_ids) if ident is None else ident
    return Interaction(
        id=ident,
        account=account,
        kind=MAIL,
        occurred_at=when,
        participants=tuple(parties),
        subject=subject,
        message_id=message_id or f"<{ident}@test>",
        in_reply_to=in_reply_to,
        references=(in_reply_to,) if in_reply_to else (),
        folder=folder,
        flags=frozenset(flags),
    )


def sent(when: datetime, *to: str, **kw: object) -> Interaction:
    return mail(when, ME, to, **kw)  # type: ignore[arg-type]


def received(when: datetime, sender: str, **kw: object) -> Interaction:
    return mail(when, sender, [ME], **kw)  # type: ignore[arg-type]


def meeting(
    start: datetime,
    *attendees: str,
    hours: float = 1,
    flags: Iterable[str] = (),
    declined: Iterable[str] = (),
    rooms: Iterable[str] = (),
    subject: str | None = "sync",
    ident: int | None = None,
) -> Interaction:
    declined = set(declined)
    parties = [Party(ME, ORGANIZER, response="declined" if ME in declined else "accepted")]
    parties += [
        Party(a, ATTENDEE, response="declined" if a in declined else "accepted") for a in attendees
    ]
    parties += [Party(r, ATTENDEE, resource=True) for r in rooms]
    ident = next(_ids) if ident is None else ident
    return Interaction(
        id=ident,
        account="calendar",
        kind=MEETING,
        occurred_at=start,
        participants=tuple(parties),
        subject=subject,
        ended_at=start + timedelta(hours=hours),
        message_id=f"uid-{ident}",
        flags=frozenset(flags),
    )
