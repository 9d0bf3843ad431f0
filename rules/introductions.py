"""Introductions (issue 20): be a connector, from metadata alone.

A double opt-in introduction: first a draft to A asking whether they would like to meet B (kind
`introduce-ask`), then, once A answers in that thread, a draft introducing both (kind
`introduce`). This module holds the decisions, pure like the rest of rules/:

- `refusal`: why an introduction between two addresses cannot be made (unknown, the owner's
  own, not a relationship, already made or declined);
- `candidates` and `pace`: suggestions of two relationships at different organisations who
  have never been on a thread or in a meeting together, whose threads with the owner share
  subject keywords, or one of whom the owner named in threads with the other's organisation;
  at most one new suggestion per policy `introduce_every`, the pacing said in words;
- `answer_in_thread`: the message by which A answered the ask, if any (In-Reply-To,
  References, the provider's thread id, or a reply-looking subject of that thread);
- `ask_reasons` and `topics`: what the ask may say about B (organisation, how long the owner
  has known them, the topics of recent threads with them that pass subject hygiene).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from touchbase.rules.dates import show_day, show_span
from touchbase.rules.policy import Policy
from touchbase.rules.threads import strip_subject, subject_info
from touchbase.rules.topics import usable_topic
from touchbase.rules.types import FROM, Interaction

SUGGESTED, DISMISSED, ASKED, ACCEPTED, INTRODUCED, DECLINED = (
    "suggested",
    "dismissed",
    "asked",
    "accepted",
    "introduced",
    "declined",
)
STATES = (SUGGESTED, DISMISSED, ASKED, ACCEPTED, INTRODUCED, DECLINED)
# States in which the pair is settled: never suggested again, never introduced twice.
CLOSED = frozenset({DISMISSED, ASKED, ACCEPTED, INTRODUCED, DECLINED})
SHOWN = 3  # suggestions shown at a time
MAX_TOPICS = 2  # topics of threads with B an ask may name
MAX_PEOPLE = 400  # the strongest relationships compared pairwise (n^2 pairs)
COMMON_SHARE, COMMON_FLOOR = 0.1, 3  # a word in more people's threads than this is common

# Words that carry no topic of their own (beyond topics.py's empty words): function words in
# English and German, and the vocabulary of any office's mail.
_STOP = frozenset(
    {
        "the", "and", "for", "with", "from", "about", "into", "over", "under", "your", "our",
        "their", "this", "that", "these", "those", "are", "was", "were", "will", "can", "not",
        "but", "all", "any", "you", "has", "have", "had", "its", "his", "her", "who", "what",
        "when", "where", "which", "why", "how", "per", "via", "vs", "new", "next", "last",
        "more", "out", "off", "one", "two", "three", "der", "die", "das", "und", "mit", "von",
        "fur", "für", "ein", "eine", "zum", "zur", "den", "dem", "des", "auf", "aus", "bei",
        "meeting", "meetings", "call", "calls", "update", "updates", "info", "information",
        "question", "questions", "request", "follow", "draft", "final", "revised", "memo",
        "report", "reports", "list", "issue", "issues", "status", "plan", "plans", "review",
        "notes", "note", "project", "deal", "deals", "team", "group", "week", "month", "year",
        "daily", "weekly", "monthly", "today", "tomorrow", "thanks", "thank", "lunch",
        "dinner", "drinks", "coffee", "schedule", "agenda", "contact", "contacts", "help",
        "hello", "please", "attached", "document", "documents", "file", "files", "copy",
        "version", "change", "changes", "number", "numbers", "data", "time", "date",
        "stuff", "things", "thing", "job", "jobs", "work", "contract", "contracts", "charge",
        "charges", "price", "prices", "account", "accounts", "order", "orders", "access",
        "mtg", "conf", "fyi", "misc",
    }
)  # fmt: skip
_WORD = re.compile(r"[^\W\d_][^\W_]{2,}")


@dataclass(frozen=True, slots=True)
class Side:
    """One person as an introduction sees them. `organisation` is the company a contacts
    export names, else the organisation of their address's domain, "" when only a personal
    mailbox is known; `relationship` why they are one (rules/standing.py), or None."""

    person: str
    address: str
    name: str
    organisation: str
    relationship: str | None
    first_contact: datetime | None = None
    strength: float = 0.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A suggested introduction: `a` is asked first (the stronger tie), `b` introduced."""

    a: Side
    b: Side
    reasons: tuple[str, ...]
    score: float


def pair_key(a: str, b: str) -> str:
    """The pair's key, whatever the order: the two addresses sorted."""
    return " ".join(sorted((a.lower(), b.lower())))


def refusal(
    a_address: str,
    b_address: str,
    a: Side | None,
    b: Side | None,
    owner: Iterable[str],
    state: str | None,
) -> str | None:
    """Why `a_address` and `b_address` cannot be introduced, or None. `a`/`b` are None when no
    contact is known at that address; `state` is an existing introduction's state for the pair."""
    mine = {o.lower() for o in owner}
    for raw in (a_address, b_address):
        if raw.lower() in mine:
            return f"{raw} is your own address"
    if a_address.lower() == b_address.lower() or (a and b and a.person == b.person):
        return f"{a_address} and {b_address} are the same person"
    for raw, side in ((a_address, a), (b_address, b)):
        if side is None:
            return f"{raw} is not an address touchbase knows: nothing with them is stored"
    assert a is not None and b is not None
    for raw, side in ((a_address, a), (b_address, b)):
        if side.relationship is None:
            return (
                f"{raw} was never a relationship (exchanges both ways, or a meeting); an "
                "introduction vouches for both people"
            )
    if state in (ASKED, ACCEPTED, INTRODUCED):
        return f"an introduction between {a_address} and {b_address} was already made ({state})"
    if state == DECLINED:
        return f"an introduction between {a_address} and {b_address} was declined"
    return None


def keywords(subject: str | None, sensitive: frozenset[str]) -> frozenset[str]:
    """The words of a subject that say what it is about: only from a subject that passes
    subject hygiene (rules/topics.py), less stop words and short ones."""
    topic = usable_topic(subject, sensitive)
    if topic is None:
        return frozenset()
    return frozenset(w for w in _WORD.findall(topic.lower()) if w not in _STOP and not w.isdigit())


def mentioned(name: str, subject: str | None) -> bool:
    """The subject names this person (their first and last name, in order, as whole words)."""
    words = _WORD.findall(name.lower())
    if len(words) < 2 or not subject:
        return False
    pattern = rf"\b{re.escape(words[0])}\b.*\b{re.escape(words[-1])}\b"
    return re.search(pattern, subject.lower()) is not None


# A run of word characters: what `\b` delimits in `mentioned`'s pattern.
_RUN = re.compile(r"\w+")


def mentions(
    names: Mapping[str, str], subjects: Mapping[str, Iterable[str]]
) -> dict[str, set[str]]:
    """Person key -> the keys of `subjects` (threads) with a subject that names them, exactly
    as `mentioned` decides for each name and subject, without trying every pair.

    Every word of a name is word characters only (`_WORD`), so `\bword\b` matches only where
    the word is a whole run of word characters of the subject: an index from those runs to
    the threads leaves, per person, the few threads holding both their first and last name,
    and only those are searched with the person's pattern, compiled once. Trying each person
    against each thread (a regex built per call) took over 45 minutes at bench/rules.py's
    10,000 people with 2,000 named, in every drafting run.
    """
    wanted: dict[str, list[str]] = {}  # person -> the words of their name
    for person, name in names.items():
        words = _WORD.findall(name.lower())
        if len(words) >= 2:
            wanted[person] = words
    # Only the runs that are some name's first or last word are indexed: no other is looked up.
    ends = {w for words in wanted.values() for w in (words[0], words[-1])}
    lowered: dict[str, list[str]] = {}
    by_run: dict[str, set[str]] = {}
    for key, texts in subjects.items():
        lowered[key] = [text.lower() for text in texts if text]
        for text in lowered[key]:
            for run in ends.intersection(_RUN.findall(text)):
                by_run.setdefault(run, set()).add(key)
    found: dict[str, set[str]] = {}
    for person, words in wanted.items():
        maybe = by_run.get(words[0], set()) & by_run.get(words[-1], set())
        if not maybe:
            continue
        pattern = re.compile(rf"\b{re.escape(words[0])}\b.*\b{re.escape(words[-1])}\b")
        hits = {k for k in maybe if any(pattern.search(text) for text in lowered[k])}
        if hits:
            found[person] = hits
    return found


def compared(sides: Iterable[Side]) -> list[Side]:
    """The people `candidates` pairs, strongest first: relationships at an organisation, the
    MAX_PEOPLE strongest. Nothing about anyone else is read, so a caller gathers what
    `candidates` takes (words, mentions, who was together) for these alone."""
    return sorted(
        (s for s in sides if s.relationship is not None and s.organisation),
        key=lambda s: (-s.strength, s.person),
    )[:MAX_PEOPLE]


def candidates(
    sides: Sequence[Side],
    words: Mapping[str, frozenset[str]],
    mentions: Mapping[str, frozenset[str]],
    together: frozenset[tuple[str, str]],
    closed: frozenset[str],
) -> list[Candidate]:
    """Pairs worth introducing, best first. `words`: person -> keywords of their threads with
    the owner; `mentions`: person -> organisations in whose threads with the owner that person
    was named; `together`: person pairs (sorted) who shared a thread or a meeting; `closed`:
    pair keys (`pair_key`) already asked, made, declined or dismissed."""
    people = compared(sides)
    # Where each has been: their own organisation and those of their other addresses (Jeff
    # Porter at Enron wrote from Columbia Energy before: his old colleagues there know him).
    where = {s.person: {s.organisation} for s in people}
    for i, x in enumerate(people):
        for y in people[i + 1 :]:
            if looks_alike(x, y):
                where[x.person].add(y.organisation)
                where[y.person].add(x.organisation)
    # A word in the threads of many of the owner's people is the owner's trade, not something
    # two of them have in particular ("capacity" on a gas desk): only rarer words count.
    spread = Counter(w for s in people for w in words.get(s.person, frozenset()))
    common = max(COMMON_FLOOR, int(COMMON_SHARE * len(people)))
    rare = {k: frozenset(w for w in v if spread[w] <= common) for k, v in words.items()}
    found: list[Candidate] = []
    for i, x in enumerate(people):
        for y in people[i + 1 :]:
            if x.person == y.person or any(
                same_organisation(p, q) for p in where[x.person] for q in where[y.person]
            ):
                continue
            if tuple(sorted((x.person, y.person))) in together or looks_alike(x, y):
                continue
            if pair_key(x.address, y.address) in closed:
                continue
            shared = sorted(rare.get(x.person, frozenset()) & rare.get(y.person, frozenset()))
            named = [
                (p, q)
                for p, q in ((x, y), (y, x))
                if q.organisation in mentions.get(p.person, frozenset())
            ]
            if not shared and not named:
                continue
            reasons = [
                f"{_who(x)} ({x.organisation}) and {_who(y)} ({y.organisation}) work at "
                "different organisations and have never been on a thread or in a meeting "
                "together"
            ]
            if shared:
                shown = ", ".join(f'"{w}"' for w in shared[:4])
                reasons.append(f"your threads with both are about {shown}")
            for p, q in named:
                reasons.append(f"you named {_who(p)} in threads with {q.organisation}")
            score = len(shared) + 2 * len(named) + x.strength + y.strength
            a, b = (x, y) if (x.strength, y.person) >= (y.strength, x.person) else (y, x)
            found.append(Candidate(a, b, tuple(reasons), round(score, 3)))
    found.sort(key=lambda c: (-c.score, c.a.person, c.b.person))
    return found


def _login(address: str) -> str:
    return "".join(ch for ch in address.partition("@")[0].lower() if ch.isalpha())


def _initial_surname(side: Side) -> str:
    """ "jeffrey.porter@" or "Jeffrey Porter" -> "jporter"; "" when neither has two parts."""
    words = _WORD.findall(side.name.lower())
    if len(words) < 2:
        words = [w for w in re.split(r"[._-]+", side.address.partition("@")[0].lower()) if w]
    if len(words) < 2 or not words[0][:1].isalpha():
        return ""
    return words[0][0] + words[-1]


def looks_alike(x: Side, y: Side) -> bool:
    """Two addresses of one person, as far as an introduction can tell: the same name, the
    same mailbox name, or a login made of an initial and a surname ("jporte1@" beside
    "jeffrey.porter@", who moved with his company): never introduce someone to themselves."""
    if x.name and x.name.casefold() == y.name.casefold():
        return True
    if _login(x.address) and _login(x.address) == _login(y.address):
        return True
    for p, q in ((x, y), (y, x)):
        login, short = _login(p.address), _initial_surname(q)
        if len(login) >= 5 and short and (short.startswith(login) or login.startswith(short)):
            return True
    return False


def same_organisation(x: str, y: str) -> bool:
    """ "Enron" (from a domain) and "Enron Corp." (from a contacts export) are one."""
    first = [_WORD.findall(v.casefold())[:1] for v in (x, y)]
    return x.casefold() == y.casefold() or (bool(first[0]) and first[0] == first[1])


def _who(side: Side) -> str:
    return side.name or side.address


@dataclass(frozen=True, slots=True)
class Pacing:
    """How many new suggestions may be made now (0 or 1), and why, in words."""

    room: int
    reason: str


def pace(last_suggested: datetime | None, now: datetime, policy: Policy) -> Pacing:
    """At most one new suggestion per `introduce_every` (an introduction asks something of
    two people: a few a month is plenty)."""
    every = policy.introduce_every
    if last_suggested is not None and now < last_suggested + every:
        return Pacing(
            0,
            f"introduce pacing: one suggestion every {show_span(every)}; the last was made "
            f"{show_day(last_suggested, policy.zone)}, the next is due "
            f"{show_day(last_suggested + every, policy.zone)}",
        )
    return Pacing(1, f"introduce pacing: one suggestion every {show_span(every)}")


def topics(
    subjects: Iterable[tuple[datetime, str | None]],
    sensitive: frozenset[str],
    now: datetime,
    related: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """The topics of the owner's recent threads with B (each passing subject hygiene), for
    the ask to name: those that share a keyword with the owner's threads with A (`related`)
    first, newest first, at most `MAX_TOPICS`; without such a topic only B's newest one (a
    topic unrelated to A is context, not a reason to meet)."""
    recent = [
        (at, topic)
        for at, subject in subjects
        if at <= now and now - at <= timedelta(days=365)
        for topic in (usable_topic(subject, sensitive),)
        if topic
    ]
    recent.sort(key=lambda item: item[0], reverse=True)
    linked = [t for _at, t in recent if keywords(t, sensitive) & related]
    chosen: list[str] = []
    keys: set[str] = set()
    for topic in linked or [t for _at, t in recent[:1]]:
        key = strip_subject(topic)
        # "Bishops" after "Bishops Corner" (or before it) says the same thing twice.
        if not any(key in k or k in key for k in keys):
            keys.add(key)
            chosen.append(topic)
        if len(chosen) >= MAX_TOPICS:
            break
    return tuple(chosen)


def ask_reasons(
    a: Side, b: Side, known_since: datetime | None, found: Sequence[str], note: str, zone: ZoneInfo
) -> tuple[str, ...]:
    """The ask draft's reasons, in words a person can check."""
    reasons = [f"you asked to introduce {_who(b)} to {_who(a)} (double opt-in: {_who(a)} first)"]
    if note:
        reasons.append(f"your note: {note}")
    if b.organisation:
        reasons.append(f"{_who(b)} is at {b.organisation}")
    if known_since is not None:
        reasons.append(f"you have known {_who(b)} since {show_day(known_since, zone)}")
    if found:
        reasons.append("recent threads with them: " + "; ".join(found))
    return tuple(reasons)


def answer_in_thread(
    a_addresses: Iterable[str],
    asked_at: datetime,
    message_ids: Iterable[str],
    thread_ids: Iterable[str],
    subject: str,
    messages: Iterable[Interaction],
) -> Interaction | None:
    """The first message from A, after the ask, in the ask's thread: it answers the ask by
    In-Reply-To or References naming the ask (or a message of its thread), by the provider's
    thread id, or, for sources without those headers, a reply whose subject is the ask's."""
    senders = {x.lower() for x in a_addresses}
    ids = {m for m in message_ids if m}
    threads = {t for t in thread_ids if t}
    key = strip_subject(subject)
    for item in sorted(messages, key=lambda m: (m.occurred_at, m.id)):
        if item.occurred_at <= asked_at:
            continue
        if not any(p.role == FROM and p.address.lower() in senders for p in item.participants):
            continue
        linked = bool(ids & {item.in_reply_to or "", *item.references})
        same_thread = item.thread_id is not None and item.thread_id in threads
        info = subject_info(item.subject)
        by_subject = bool(key) and info.reply and info.stripped == key
        if linked or same_thread or by_subject:
            return item
    return None


__all__ = [
    "ACCEPTED",
    "ASKED",
    "CLOSED",
    "DECLINED",
    "DISMISSED",
    "INTRODUCED",
    "SUGGESTED",
    "Candidate",
    "Pacing",
    "Side",
    "answer_in_thread",
    "ask_reasons",
    "candidates",
    "keywords",
    "mentioned",
    "mentions",
    "pace",
    "pair_key",
    "refusal",
    "topics",
]
