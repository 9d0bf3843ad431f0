"""Life events seen in the owner's own mail: a dead address, a move to a new employer.

Evidence arrives as interactions (issue 18): a delivery failure carries its failed recipients
as parties with the role `failed` (connectors/headers.py reads them from X-Failed-Recipients or
the report part's Final-Recipient, never the body); mail from a person at a new domain after a
long run at another is the move. Facts the owner imported (a newer LinkedIn export naming a new
company) reach the rules as `LifeEvent`s in `Circumstances.events`. This module is pure: it
reads what the fold gathered and says what happened, with the evidence in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final, NamedTuple

from touchbase.rules.addresses import domain_of

# The role a delivery failure gives its failed recipient (connectors.base.Role.FAILED).
FAILED: Final = "failed"

# Event kinds.
MOVED: Final = "moved"  # they write from a new employer's domain now
NEW_ROLE: Final = "new-role"  # a contacts export names a new company or position
UNDELIVERABLE: Final = "undeliverable"  # mail to an address bounced
CONNECTED: Final = "connected"  # the day a LinkedIn connection was made

# A delivery failure as the Enron export (and Exchange 5.5) kept it: an "Undeliverable:" or
# "Returned mail:" notice from a system address, written To the address that failed.
_FAILURE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undeliverable mail|returned mail|delivery status notification "
    r"\(failure\)|mail delivery failed|delivery failure|failure notice|undelivered mail|"
    r"nondeliverable|non-deliverable|delivery has failed)(?![a-z])",
    re.IGNORECASE,
)
_SYSTEM_LOCALS = re.compile(
    r"^(mailer[-_.]?daemon|postmaster|exchange[-_.]?administrator|mail[-_.]?delivery"
    r"[-_.]?(subsystem|system)?|microsoftexchange[0-9a-f]*)$",
    re.IGNORECASE,
)


def organisation(domain: str) -> str:
    """The part of a domain that names the organisation: ect.enron.com and enron.com are one
    (the last two labels; three under a two-letter country's second level, as in acme.co.uk)."""
    labels = domain.lower().split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_new_employer(old: str, new: str, personal: frozenset[str]) -> bool:
    """Two domains that can mean a job change: different organisations, neither of them a
    personal mailbox provider (policy personal_domains)."""
    return (
        organisation(old) != organisation(new)
        and organisation(old) not in personal
        and organisation(new) not in personal
        and old not in personal
        and new not in personal
    )


class LifeEvent(NamedTuple):
    """Something that happened to a person: `kind` (moved, new-role, undeliverable,
    connected), when, a line a person reads, and the evidence behind it."""

    kind: str
    at: datetime
    text: str
    evidence: tuple[str, ...] = ()


def is_failure_subject(subject: str | None) -> bool:
    """A subject a delivery failure notice carries: `is_failure_notice` is this and a system
    sender (the fold asks it once per distinct subject, and the sender only when it holds)."""
    return bool(subject and _FAILURE_SUBJECT.match(subject))


def is_failure_notice(sender: str, subject: str | None) -> bool:
    """A system address (mailer-daemon, postmaster, an Exchange administrator) sending an
    "Undeliverable:" / "Returned mail:" notice: a delivery failure by its headers alone."""
    # The subject first: it rules out nearly every message, and this runs once per message.
    return bool(
        subject
        and _FAILURE_SUBJECT.match(subject)
        and _SYSTEM_LOCALS.match(sender.rpartition("@")[0])
    )


def dead_addresses(
    bounced: Mapping[str, datetime], wrote_at: Mapping[str, datetime]
) -> dict[str, datetime]:
    """Address -> when it bounced, for addresses whose latest bounce is after the last mail
    they wrote from it (a bounce followed by mail from the same address was passing)."""
    return {
        address: at
        for address, at in bounced.items()
        if wrote_at.get(address) is None or wrote_at[address] < at
    }


def newest_other(
    dead: Mapping[str, datetime], wrote_at: Mapping[str, datetime], addresses: Iterable[str]
) -> str | None:
    """The address (not a dead one) they wrote from most recently, else any other one."""
    alive = [a for a in sorted(addresses) if a not in dead]
    written = [a for a in alive if a in wrote_at]
    if written:
        return max(written, key=wrote_at.__getitem__)
    return alive[0] if alive else None


class Run(NamedTuple):
    """Mail they wrote from one domain: first and last, and how many messages."""

    domain: str
    first: datetime
    last: datetime
    messages: int


def domain_runs(
    first_at: Mapping[str, datetime], last_at: Mapping[str, datetime], counts: Mapping[str, int]
) -> list[Run]:
    """Per domain they wrote from, their run of mail, oldest first."""
    runs: dict[str, Run] = {}
    for address, first in first_at.items():
        domain = domain_of(address)
        last, count = last_at[address], counts.get(address, 1)
        held = runs.get(domain)
        if held is None:
            runs[domain] = Run(domain, first, last, count)
        else:
            runs[domain] = Run(
                domain, min(held.first, first), max(held.last, last), held.messages + count
            )
    return sorted(runs.values(), key=lambda r: (r.first, r.domain))


def moves(
    runs: list[Run],
    dead: Mapping[str, datetime],
    min_run: timedelta,
    personal_domains: frozenset[str],
) -> list[LifeEvent]:
    """A move from one employer's domain to another: they wrote from `old` for at least
    `min_run` (or it bounced since), then from `new`, starting after their last mail from `old`.
    A personal mailbox (gmail.com...) on either side is a new address, not a new employer."""
    found: list[LifeEvent] = []
    work = [r for r in runs if r.domain not in personal_domains]
    for old, new in pairwise(work):
        if not is_new_employer(old.domain, new.domain, personal_domains):
            continue  # a subdomain of the same organisation, or a personal mailbox
        if new.first <= old.last:
            continue  # both at once: two jobs, a client, an alias; not a move
        bounced = sorted(at for a, at in dead.items() if domain_of(a) == old.domain)
        long_run = old.last - old.first >= min_run
        if not long_run and not bounced:
            continue
        evidence = [
            f"{old.messages} message(s) from {old.domain}, {old.first.date().isoformat()} to "
            f"{old.last.date().isoformat()}",
            f"first mail from {new.domain} on {new.first.date().isoformat()}",
        ]
        if bounced:
            evidence.append(f"mail to {old.domain} bounced on {bounced[-1].date().isoformat()}")
        found.append(
            LifeEvent(MOVED, new.first, f"moved from {old.domain} to {new.domain}", tuple(evidence))
        )
    return found


def undeliverable(dead: Mapping[str, datetime], other: str | None) -> list[LifeEvent]:
    """One event per dead address, suggesting the newest other address."""
    suggestion = (f"newest other address: {other}",) if other else ()
    return [
        LifeEvent(UNDELIVERABLE, at, f"{address} is undeliverable", suggestion)
        for address, at in sorted(dead.items())
    ]


def out_of_office_move(
    wrote_to: Iterable[str],
    replied_from: str,
    sent_at: datetime,
    replied_at: datetime,
    personal: frozenset[str],
) -> tuple[str, str] | None:
    """An out-of-office reply to the owner's mail to `wrote_to` that came from another
    organisation's address (`replied_from`): the old mailbox passes mail on to a new one, whose
    auto-reply answers. (old address, why) for a merge suggestion, or None."""
    for old in sorted(wrote_to):
        if old == replied_from:
            return None  # the address written to answered itself
    for old in sorted(wrote_to):
        if is_new_employer(domain_of(old), domain_of(replied_from), personal):
            return old, (
                f"your mail to {old} of {sent_at.date().isoformat()} was answered by an "
                f"out-of-office reply from {replied_from} on {replied_at.date().isoformat()}: "
                f"moved from {domain_of(old)} to {domain_of(replied_from)}?"
            )
    return None


# The evidence line a contacts import writes for a changed company (agent/pipeline/linkedin.py):
# "company: Hooli -> Raviga Capital". The rules read the old and new names back from it.
COMPANY_CHANGE: Final = "company: "
_ARROW: Final = " -> "


def company_change(event: LifeEvent) -> tuple[str, str] | None:
    """(old company, new company) a new-role event's evidence names, or None."""
    for line in event.evidence:
        if line.startswith(COMPANY_CHANGE) and _ARROW in line:
            old, _, new = line[len(COMPANY_CHANGE) :].partition(_ARROW)
            old, new = old.strip(), new.strip()
            return (old if old != "-" else "", new)
    return None


def _first_word(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.casefold())
    return words[0] if words else ""


def names_organisation(domain: str, company: str) -> bool:
    """The organisation label of `domain` (hooli.example -> hooli) is the company's name's first
    word ("Hooli", "Hooli Inc."), as introductions name organisations from domains."""
    label = organisation(domain).split(".")[0]
    return bool(label) and label == _first_word(company)


def at_left_employer(addresses: Iterable[str], events: Iterable[LifeEvent]) -> str | None:
    """What the newest move's evidence should add about the addresses we have: when it says
    they left a company and every address is at that company's domain, that no draft goes to
    it (left_employer_words); when some other address is not, to write to that one (preferring
    one at the new company). None when no address is at the company they left."""
    move = latest_move(events)
    change = company_change(move) if move is not None else None
    if change is None or not change[0]:
        return None
    old, new = change
    at_old = sorted(a for a in addresses if names_organisation(domain_of(a), old))
    others = sorted(a for a in addresses if a not in at_old)
    if not at_old:
        return None
    if not others:
        return left_employer_words(old)
    best = min(others, key=lambda a: (not names_organisation(domain_of(a), new), a))
    return f"{WRITE_TO}{best}, not their address at {old}, which they left"


# The evidence line that names the address to write to instead (read back by rules/decide.py).
WRITE_TO: Final = "write to "


def left_employer_words(company: str) -> str:
    """Why no draft goes to their address, and what the owner can do."""
    return f"their address is at {company}, which they left; add their new address"


def left_employer(events: Iterable[LifeEvent]) -> tuple[str, str | None] | None:
    """From the newest move's evidence (as agent/pipeline/identity.py adds it from the addresses
    stored): (the company they left, the address to write to instead, or None: hold)."""
    move = latest_move(events)
    change = company_change(move) if move is not None else None
    if move is None or change is None or not change[0]:
        return None
    for line in move.evidence:
        if line == left_employer_words(change[0]):
            return change[0], None
        if line.startswith(WRITE_TO):
            return change[0], line[len(WRITE_TO) :].partition(",")[0]
    return None


def organisation_label(domain: str) -> str:
    """An organisation's domain as a person names it: globex.example -> Globex, ibm.com -> IBM;
    "" when its label is no word (a raw domain is never written to anyone)."""
    name = organisation(domain).split(".")[0]
    if not name.isalpha():
        return ""
    return name.upper() if len(name) <= 3 else name.capitalize()


def new_organisation(event: LifeEvent) -> str:
    """The organisation a move or new role is to, as a congratulation names it: the company a
    contacts export names, else the new domain's organisation label; "" when unknown."""
    change = company_change(event)
    if change is not None:
        return change[1]
    if event.kind == MOVED and " to " in event.text:
        return organisation_label(event.text.rpartition(" to ")[2])
    return ""


def latest_move(events: Iterable[LifeEvent]) -> LifeEvent | None:
    """The newest move or new role: what a congratulation is for."""
    chosen = [e for e in events if e.kind in (MOVED, NEW_ROLE)]
    return max(chosen, key=lambda e: e.at) if chosen else None


__all__ = [
    "COMPANY_CHANGE",
    "CONNECTED",
    "FAILED",
    "MOVED",
    "NEW_ROLE",
    "UNDELIVERABLE",
    "WRITE_TO",
    "LifeEvent",
    "Run",
    "at_left_employer",
    "company_change",
    "dead_addresses",
    "domain_runs",
    "is_failure_notice",
    "is_failure_subject",
    "is_new_employer",
    "latest_move",
    "left_employer",
    "left_employer_words",
    "moves",
    "names_organisation",
    "new_organisation",
    "newest_other",
    "organisation",
    "organisation_label",
    "out_of_office_move",
    "undeliverable",
]
