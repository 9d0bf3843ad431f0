"""What introduction suggestions know of the owner's mail (issue 20): per compared person the
keywords of their threads with the owner, the organisations in whose threads they were named,
and which of them were together on a thread or in a meeting, in one pass over every
interaction (rules/introductions.py `candidates` reads them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from touchbase.agent.pipeline.history import iter_interactions
from touchbase.rules import introductions as rules
from touchbase.rules.merges import twins_of
from touchbase.rules.threads import thread_keys
from touchbase.rules.types import MEETING, Party

if TYPE_CHECKING:
    from touchbase.agent.pipeline.drafts.introductions import Known

_PARTIES_KEPT = 50_000  # participants tuples whose people `ties` remembers


@dataclass(frozen=True)
class Ties:
    """`candidates`' inputs: `words` and `mentions` by person key, `together` sorted pairs."""

    words: dict[str, frozenset[str]]
    mentions: dict[str, frozenset[str]]
    together: frozenset[tuple[str, str]]


def ties(session: Session, seen: Known, me: Collection[str], at: datetime) -> Ties:
    """The owner's interactions up to `at` as `candidates` reads them, for the people it
    compares (rules.compared)."""
    mine = {m.lower() for m in me}
    # Only the people the rules compare (rules.compared): whatever is gathered about anyone
    # else is never read. At 1,000,000 interactions that is 400 of 10,000 people.
    compared = {s.person for s in rules.compared(seen.contacts.values())}
    words: dict[str, set[str]] = defaultdict(set)
    # Thread key -> everyone on it (their organisations for `mentions`, the compared ones
    # among them were together); each thread's subjects.
    thread_people: dict[str, set[str]] = defaultdict(set)
    thread_subjects: dict[str, set[str]] = defaultdict(set)
    together: set[tuple[str, str]] = set()
    sensitive = seen.policy.sensitive_topics
    few = seen.policy.few_recipients
    by_address = seen.by_address
    keywords: dict[str, frozenset[str]] = {}  # subject -> rules.keywords of it
    # The stream hands the same participants tuple to the rows that share their stored text
    # (history.py caches it): each tuple's people are worked out once. Keyed by identity,
    # the tuple kept beside its answer so its id cannot be reused while the entry lives.
    people_of: dict[int, tuple[tuple[Party, ...], frozenset[str]]] = {}
    for item in iter_interactions(session):
        if item.occurred_at > at:
            continue
        parties = item.participants
        hit = people_of.get(id(parties))
        if hit is not None and hit[0] is parties:
            people = hit[1]
        else:
            people = frozenset(
                by_address[p.address]
                for p in parties
                if p.address in by_address and p.address not in mine and not p.is_self
            )
            if len(people_of) >= _PARTIES_KEPT:
                people_of.clear()
            people_of[id(parties)] = (parties, people)
        inner = people & compared
        if item.kind == MEETING:
            ordered = sorted(inner)
            together.update((x, y) for i, x in enumerate(ordered) for y in ordered[i + 1 :])
        else:
            # (Two on one message are two on its thread: their pair is added below.)
            key = thread_keys(item)[0]
            if key is not None:
                thread_people[key] |= people
                if item.subject:
                    thread_subjects[key].add(item.subject)
            elif len(inner) > 1:  # a reply to no thread we know (a bare "Re:")
                ordered = sorted(inner)
                together.update((x, y) for i, x in enumerate(ordered) for y in ordered[i + 1 :])
        if inner and item.subject and len(people) <= few:
            # A subject's keywords depend on it alone, and subjects repeat (a thread's
            # replies): each is read once (980,000 reads of 300,000 subjects at 1M).
            about = keywords.get(item.subject)
            if about is None:
                about = keywords[item.subject] = rules.keywords(item.subject, sensitive)
            for person in inner:
                words[person] |= about
    for members in thread_people.values():
        ordered = sorted(members & compared)
        together.update((x, y) for i, x in enumerate(ordered) for y in ordered[i + 1 :])
    # Two addresses that look like one person (rules/merges.py) are never introduced.
    for person, others in twins_of(c for c in seen.raw.values() if c.excluded is None).items():
        together.update((min(person, o.person), max(person, o.person)) for o in others)
    mentions: dict[str, set[str]] = defaultdict(set)
    named = {
        person: seen.contacts[person].name
        for person in compared
        if len(seen.contacts[person].name.split()) >= 2
    }
    # Through an index of the subjects' words, not each person against each thread.
    for person, keys in rules.mentions(named, thread_subjects).items():
        for key in keys:
            if person not in thread_people[key]:
                mentions[person] |= {
                    seen.contacts[p].organisation for p in thread_people[key] if p in seen.contacts
                } - {""}
    return Ties(
        {k: frozenset(v) for k, v in words.items()},
        {k: frozenset(v) for k, v in mentions.items()},
        frozenset(together),
    )
