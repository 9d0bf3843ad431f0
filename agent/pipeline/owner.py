"""The owner's addresses: one list, used everywhere (counting, drafting, the review page).

Three sources, kept apart so `touchbase me` can say where each came from: the configuration's
`[me] addresses`, those given with `import --me` (remembered), and those learned from the mail
(rules/owner.py: the addresses that send the mail in the Sent folders). Offers the owner
declined are remembered too, so they are never offered again. All of it lives in `app_state`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from touchbase.agent.pipeline.models import (
    AppState,
    InteractionRow,
    ParticipantRow,
    PersonAddress,
)
from touchbase.rules.addresses import normalise
from touchbase.rules.owner import Evidence, Finding, find_owner_addresses

REMEMBERED_KEY = "me.extra_addresses"  # given with `import --me`
LEARNED_KEY = "me.learned"  # [{"address", "why", "at"}], found in the mail
DECLINED_KEY = "me.declined"  # addresses the owner said are not theirs
SENT = "sent"  # InteractionRecord.folder of mail found in a Sent folder


def _load(session: Session, key: str) -> list[object]:
    raw = session.scalar(select(AppState.value).where(AppState.key == key))
    return list(json.loads(raw)) if raw else []


def _save(session: Session, key: str, value: list[object]) -> None:
    row = session.get(AppState, key)
    text = json.dumps(value, sort_keys=True)
    if row is None:
        session.add(AppState(key=key, value=text))
    else:
        row.value = text


def remembered(session: Session) -> list[str]:
    return [str(a) for a in _load(session, REMEMBERED_KEY)]


def learned(session: Session) -> list[dict[str, str]]:
    """What was learned, with why and when: [{"address", "why", "at"}]."""
    return [dict(entry) for entry in _load(session, LEARNED_KEY) if isinstance(entry, dict)]


def declined(session: Session) -> list[str]:
    return [str(a) for a in _load(session, DECLINED_KEY)]


def addresses(session: Session, configured: Iterable[str]) -> tuple[str, ...]:
    """Every address of the owner's, configured first: the one list all of touchbase uses."""
    out = [*configured, *remembered(session), *(e["address"] for e in learned(session))]
    refused = set(declined(session))
    return tuple(dict.fromkeys(normalise(a) for a in out if normalise(a) not in refused))


def remember(session: Session, given: Iterable[str]) -> None:
    """Addresses given with `import --me`; the caller commits."""
    current = remembered(session)
    merged = list(dict.fromkeys([*current, *(normalise(a) for a in given if a.strip())]))
    _save(session, REMEMBERED_KEY, list(merged))
    refused = [a for a in declined(session) if a not in merged]
    _save(session, DECLINED_KEY, list(refused))


def accept(session: Session, address: str, why: str, now: datetime) -> None:
    """The owner says `address` is theirs (`touchbase me add`); the caller commits."""
    address = normalise(address)
    entries = [e for e in learned(session) if e.get("address") != address]
    entries.append({"address": address, "why": why, "at": now.isoformat()})
    _save(session, LEARNED_KEY, list(entries))
    _save(session, DECLINED_KEY, [a for a in declined(session) if a != address])
    # It was somebody's address (a merge, a draft, a contacts file): now it is nobody's. The
    # person keeps their other addresses; contacts are always folded afresh, so none is stale.
    session.execute(delete(PersonAddress).where(PersonAddress.address == address))


def decline(session: Session, address: str) -> None:
    """The owner says `address` is not theirs: forgotten if learned, never offered again."""
    address = normalise(address)
    _save(session, LEARNED_KEY, [e for e in learned(session) if e.get("address") != address])
    _save(session, DECLINED_KEY, list(dict.fromkeys([*declined(session), address])))


def evidence(session: Session, mine: Collection[str]) -> Evidence:
    """Counts over the stored mail for rules.owner: who sends what is in the Sent folders,
    who received mail is addressed to alone, the names addresses carry, where the owner
    writes."""
    i, p = InteractionRow, ParticipantRow
    sent_from: dict[str, tuple[int, str]] = {}
    rows = session.execute(
        select(p.address, p.name, func.count(func.distinct(i.id)))
        .join(i, i.id == p.interaction_id)
        .where(i.folder == SENT, p.role == "from", i.kind == "mail")
        .group_by(p.address, p.name)
    )
    for address, name, count in rows:
        held = sent_from.get(address, (0, ""))
        sent_from[address] = (held[0] + count, held[1] or name or "")
    sent_total = sum(n for n, _ in sent_from.values())
    owners = {normalise(a) for a in mine}
    senders = select(p.interaction_id).where(p.role == "from", p.address.in_(sorted(owners)))
    # Mail addressed To one address alone: a share of that is someone's own mailbox (the
    # owner's old address), where a colleague on every team list would be no evidence.
    alone = (
        select(p.interaction_id)
        .where(p.role == "to")
        .group_by(p.interaction_id)
        .having(func.count() == 1)
    )
    received = (
        select(p.address, func.count(func.distinct(p.interaction_id)))
        .join(i, i.id == p.interaction_id)
        .where(p.role == "to", i.kind == "mail", i.id.not_in(senders), i.id.in_(alone))
        .group_by(p.address)
    )
    received_to = {a: n for a, n in session.execute(received)}
    received_total = (
        session.scalar(
            select(func.count()).select_from(i).where(i.kind == "mail", i.id.not_in(senders))
        )
        or 0
    )
    named = {
        a: n
        for a, n in session.execute(
            select(p.address, func.max(p.name)).where(p.name != "").group_by(p.address)
        )
    }
    written = (
        select(p.address, func.count(func.distinct(p.interaction_id)))
        .where(p.role == "to", p.interaction_id.in_(senders))
        .group_by(p.address)
    )
    written_to = {a: n for a, n in session.execute(written)}
    return Evidence(sent_from, sent_total, received_to, received_total, named, written_to)


def review(
    session: Session,
    configured: Iterable[str],
    owner_name: str,
    now: datetime,
    *,
    learn: bool,
    automated: frozenset[str] = frozenset(),
) -> tuple[list[Finding], list[Finding]]:
    """Look at the mail for addresses of the owner's: (learned now, offered). With `learn`,
    the clear ones are added as the owner's (and the caller reports them); the caller commits."""
    configured = list(configured)
    mine = addresses(session, configured)
    findings = find_owner_addresses(
        evidence(session, mine), mine, owner_name, declined(session), automated
    )
    taken = [f for f in findings if f.clear and learn]
    for finding in taken:
        accept(session, finding.address, finding.why, now)
    offered = [f for f in findings if f not in taken]
    return taken, offered


def sent_by_owner(session: Session, mine: Collection[str]) -> int:
    """How many stored messages an owner address sent: 0 means counting cannot work."""
    p = ParticipantRow
    owners = sorted({normalise(a) for a in mine})
    if not owners:
        return 0
    return (
        session.scalar(
            select(func.count()).where(p.role == "from", p.address.in_(owners)).select_from(p)
        )
        or 0
    )
