"""Which subjects are social or personal: the warmth a tie shows in its headers (English).

Blind judges who read real mail found that the ties worth a check-in share threads about life
outside the work itself: a lunch, a happy hour, a baby shower, a party, golf, a resume or help
with a job, "who are you"-style banter, photos. Purely transactional ties (deal, invoice and
contract-number subjects) show none, however many exchanges they have. This module only reads
subject text; the fold counts the shared threads (rules/contacts.py) and the decisions read the
count (rules/decide.py).

- `social_kind(subject)`: "occasion" (a social event: "Steve's Happy Hour"), "personal" (life,
  not work: "RE: Resume", "who are you", "Pictures of RJ") or None.
- `occasion_topic(subject, sensitive)`: the subject, cleaned as rules/topics.py cleans one, when
  it names an occasion a check-in may recall ("Steve's Happy Hour"), else None: never one
  naming a sensitive word or phrase, nor a plan or question ("Lunch next week?").
- `phrase(topic)`: the occasion as a noun phrase for a sentence ("Steve's happy hour", "the
  baby shower", "lunch with Joan").

Words match whole (lower case, an optional plural "s"); matching is cached per subject, since
the fold asks once per message.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from typing import Any, Final, NamedTuple

# _forms and _sensitive_index: the owner's list read exactly as for subjects.
from touchbase.rules.topics import (
    MAX_TOPIC,
    _forms,
    _sensitive_index,
    clean_topic,
    usable_topic,
)

OCCASION: Final = "occasion"
PERSONAL: Final = "personal"

# Social occasions: events people share outside the work itself. Multi-word ones first, so
# "baby shower" is found before "shower" and the phrase keeps both words.
OCCASIONS: Final = (
    "happy hour", "baby shower", "bridal shower", "wedding shower", "birthday party",
    "retirement party", "going away party", "christmas party", "holiday party",
    "fantasy football", "poker night", "game night", "girls night", "guys night", "lunch",
    "dinner", "drinks", "coffee", "beer", "breakfast", "brunch", "bbq", "barbecue", "cookout",
    "picnic", "party", "shower", "wedding", "golf", "softball", "bowling", "poker", "tailgate",
    "concert", "game", "reunion", "housewarming", "celebration", "christening", "graduation",
    "ski trip", "fishing", "hunting", "boat", "crawfish", "margaritas", "karaoke",
)  # fmt: skip
# Personal subjects: life, not work (a signal of warmth, never a topic to name back: a resume
# or a baby is the person's own news to tell).
PERSONAL_WORDS: Final = (
    "resume", "job search", "job hunt", "new job", "job help", "job leads",
    "who are you", "long lost", "long time no", "what's up", "whats up", "how are you",
    "how's it going", "hows it going", "how have you been", "miss you", "missed you",
    "photo", "picture", "pics", "baby", "babies", "kids", "family", "wife", "husband",
    "birthday", "anniversary", "congrats", "congratulations", "engaged", "engagement",
    "vacation", "weekend", "catching up", "catch up", "gift", "babysit", "babysitting",
    "moving on", "big news", "greetings from",
)  # fmt: skip


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?:s|es)?(?![\w])", re.IGNORECASE)


class _Expressions(NamedTuple):
    """The expressions a subject with a listed word is read with (`_kind`, occasion_topic,
    phrase), compiled at their first use (`_expressions`): a plan that refolds nobody reads
    none of them, and compiling them at import was 3.5 ms of every process's start (issue 16).
    social_kind's first search (_ANY_WORD, the fold's per-message one) is compiled at import."""

    occasion: re.Pattern[str]
    personal: re.Pattern[str]
    not_social: re.Pattern[str]  # work phrases that contain an occasion's word
    time_off: re.Pattern[str]
    working: re.Pattern[str]
    owner_word: re.Pattern[str]  # "Steve's" before the occasion: whose it is
    with_whom: re.Pattern[str]  # "w/ Joan", "with Joan" after the occasion: who it was with
    capital_word: re.Pattern[str]
    planned: re.Pattern[str]


# Words of time off ("weekend", "vacation") are personal only outside the work itself: beside a
# working noun ("Capacity for the Weekend", "Weekend nominations", "Vacation coverage") they
# schedule work, and a counterparty's daily notices would make a transactional tie look warm.
_WORKING = (
    r"\b(?:capacity|nom(?:ination)?s?|volumes?|schedul(?:e|es|ing)|coverage|deals?|trades?|"
    r"flows?|prices?|pricing|storage|transport(?:ation)?|pipeline|contracts?|invoices?|"
    r"reports?|outages?|maintenance|imbalances?|injections?|withdrawals?|deliver(?:y|ies)|"
    r"shifts?|on[\s-]call|rota|roster|staffing|support|release|requests?|approvals?|"
    r"balances?|positions?|limits?|desk)\b"
)
# A plan or a question, not an occasion that took place: "Lunch next week?", "Drinks Friday",
# "Are you free for lunch", "Dinner tomorrow". Recalled later as "our last lunch", it would
# claim a meal that may never have happened, so it is never named back. A bare weekday is not
# enough ("Lunch on Thursday" names the lunch that took place as often as the plan for it);
# with a "?" it is a question ("Drinks Friday?"). The fold stores subjects cleaned of their
# "?", so the test runs on the raw subject there.
_DAY = r"(?:mon|tues?|wed(?:nes)?|thurs?|fri|sat(?:ur)?|sun)(?:day)?"
_PLANNED = (
    r"\?|\b(?:next|this|coming|upcoming)\s+(?:week|weekend|month|year|time|"
    + _DAY
    + r")\b|\b(?:tomorrow|tonight|today|soon|later|sometime|plans?|rsvp|invite|invitation|"
    r"invited|anyone|who'?s\s+in|interested|available|free)\b|"
    r"\b(?:are|r)\s+(?:you|u|we)\b|\b(?:want|wanna|care)\s+to\b|\bshall\s+we\b|"
    r"\blet'?s\b|\bhow\s+about\b|\bup\s+for\b|\bjoin\s+(?:us|me)\b"
)


@lru_cache(maxsize=1)
def _expressions() -> _Expressions:
    return _Expressions(
        occasion=_pattern(OCCASIONS),
        personal=_pattern(PERSONAL_WORDS),
        not_social=re.compile(
            r"\b(?:third|3rd|counter|other|any|either|each|interested|responsible|working)"
            r"[\s-]+part(?:y|ies)\b|"
            r"\bparty\s+(?:a|b|to|line)\b|\bball\s*game\b|\bend\s*game\b|\bgame\s+plan\b|"
            r"\blunch\s+(?:and|&|n)\s+learn\b|\bbrown\s*bag\b",
            re.IGNORECASE,
        ),
        time_off=re.compile(r"\b(?:weekends?|vacations?)\b", re.IGNORECASE),
        working=re.compile(_WORKING, re.IGNORECASE),
        owner_word=re.compile(r"([A-Za-z][\w.-]*'[sS])\s+$"),
        with_whom=re.compile(r"^\s*(?:w/|with)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b"),
        capital_word=re.compile(r"([A-Z][A-Za-z]+)\s+$"),
        planned=re.compile(_PLANNED, re.IGNORECASE),
    )


# Every listed word's or phrase's first word, anywhere in the lower-cased text: a subject
# without one matches neither list, whatever the cleaning does (clean_topic keeps one piece of
# the subject with its white space squeezed, and the substitutions only put spaces in), so one
# search rules out most subjects before the cleaning. Only for ASCII subjects: lower() and the
# lists' IGNORECASE agree there (Unicode case folding matches "ſ" to "s", which lower() does not).
_FIRST_WORDS = {w.split()[0].lower() for w in (*OCCASIONS, *PERSONAL_WORDS)}


def _trie(words: Collection[str]) -> str:
    """A regular expression matching exactly `words`, as a trie of their letters ("b(?:a(?:by|
    rbecue)|eer)"): re tries each alternative of a group at every position of the text, and a
    trie leaves at most one per letter to try there, not all 79 words (the fold's 600k subjects
    at 1M: 2.3-3.0 -> 0.85 us a search, the same answer)."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for letter in word:
            node = node.setdefault(letter, {})
        node[""] = {}  # a word ends here

    def branch(node: dict[str, Any]) -> str:
        out = [re.escape(k) + branch(v) for k, v in sorted(node.items()) if k]
        if not out:
            return ""
        body = out[0] if len(out) == 1 else f"(?:{'|'.join(out)})"
        return f"(?:{body})?" if "" in node else body

    return branch(tree)


_ANY_WORD = re.compile(_trie(_FIRST_WORDS))


def social_kind(subject: str | None) -> str | None:
    """ "occasion", "personal" or None for a subject (Re:/Fw: prefixes and tags aside)."""
    if not subject:
        return None
    # The search before the cache: most subjects are ruled out by it alone, and a subject
    # looked up in a full LRU cache and put in it costs as much again as the search (the
    # fold's 1M bench meets 400k distinct subjects, nearly all of them so).
    if subject.isascii() and _ANY_WORD.search(subject.lower()) is None:
        return None
    return _kind(subject)


@lru_cache(maxsize=1 << 14)
def _kind(subject: str) -> str | None:
    """`social_kind` without its first search (what it must always agree with)."""
    x = _expressions()
    text = x.not_social.sub(" ", clean_topic(subject) or subject)
    if x.occasion.search(text):
        return OCCASION
    if x.working.search(text):
        text = x.time_off.sub(" ", text)
    if x.personal.search(text):
        return PERSONAL
    return None


@lru_cache(maxsize=1 << 12)
def occasion_topic(subject: str | None, sensitive: frozenset[str] = frozenset()) -> str | None:
    """The subject as an occasion a check-in may recall, cleaned (prefixes, tags, markers and
    edge punctuation off, as rules/topics.py does), or None: not an occasion, too long, a
    forward, or naming a sensitive word (policy `sensitive_topics`)."""
    if not subject or social_kind(subject) != OCCASION:
        return None
    text = clean_topic(subject)
    if not text or len(text) > MAX_TOPIC or "\ufffd" in text or "=?" in text:
        return None
    lowered = subject.lower()
    if lowered.lstrip().startswith(("fw", "fwd")) and ":" in lowered[:6]:
        return None  # forwarded: somebody else's occasion, passed on
    # Words and phrases ("happy hour"), plurals and -ing forms, as rules/topics.py judges a
    # subject: a set of single words never matched a phrase of the owner's list.
    if names_sensitive(text, sensitive):
        return None
    if _expressions().planned.search(subject):
        return None  # an invitation or a question: nothing says it happened
    # Sentences and questions ("Are you coming to lunch?") are not names of an occasion; the
    # thread-topic rules catch them, so borrow that verdict where it is no occasion's fault.
    if text.rstrip().endswith("?") and usable_topic(subject) is None:
        return None
    return text


def names_sensitive(text: str, sensitive: frozenset[str]) -> bool:
    """`text` holds a word of the owner's `sensitive` list (whole, or its plural or -ing form)
    or one of its phrases of two or three words ("happy hour", "happy hours"), as
    rules/topics.py reads the list. Only the owner's list: topics' floor of never-quoted
    work words ("invite", "weekly") is about quoting work subjects, not naming an occasion."""
    if not sensitive:
        return False
    words, phrases = _sensitive_index(sensitive)
    tokens = re.findall(r"[^\W_]+", text.lower())
    for i, token in enumerate(tokens):
        if any(form in words for form in _forms(token)):
            return True
        for n in (2, 3):
            if phrases and i + n <= len(tokens):
                head = " ".join(tokens[i : i + n - 1])
                if any(f"{head} {last}" in phrases for last in _forms(tokens[i + n - 1])):
                    return True  # "happy hours" too
    return False


def phrase(topic: str) -> str:
    """An occasion's subject as a noun phrase for a sentence: "INGRID'S BABY SHOWER" ->
    "Ingrid's baby shower", "Steve's Happy Hour" -> "Steve's happy hour", "Astros game" ->
    "the Astros game", "Lunch w/ Joan" -> "lunch with Joan", "Happy hour!" -> "the happy hour".
    A topic without a known occasion comes back trimmed, unchanged otherwise."""
    text = " ".join(topic.split())
    x = _expressions()
    found = x.occasion.search(x.not_social.sub(lambda m: "_" * len(m.group(0)), text))
    if found is None:
        return text.strip()
    what = found.group(0).lower()
    before, after = text[: found.start()], text[found.end() :]
    whose = x.owner_word.search(before)
    if whose:
        name = whose.group(1)[:-2]
        if name.isupper():  # "INGRID'S": shouted, not how the name is written
            name = name.capitalize()
        return f"{name}'s {what}"
    named = x.capital_word.search(before)
    if named and named.group(1).lower() not in _GENERIC:
        word = named.group(1)
        word = word.capitalize() if word.isupper() else word
        return f"the {word} {what}"
    with_whom = x.with_whom.match(after)
    if with_whom:
        return f"{what} with {with_whom.group(1)}"
    return what if what in _ACTIVITIES else f"the {what}"


# Pastimes named without an article ("golf", not "the golf").
_ACTIVITIES = frozenset(
    {"golf", "softball", "bowling", "poker", "fishing", "hunting", "karaoke", "fantasy football"}
)
# Capitalised words before an occasion that name no one ("Friday Lunch", "Team Dinner").
_GENERIC = frozenset(
    {
        "the", "a", "our", "team", "group", "desk", "office", "company", "annual", "friday",
        "monday", "tuesday", "wednesday", "thursday", "saturday", "sunday", "holiday",
        "christmas", "summer", "spring", "fall", "winter", "big", "little", "final", "next",
        "last", "this", "quick", "re", "fw", "fwd", "happy", "farewell", "goodbye",
    }
)  # fmt: skip


__all__ = ["OCCASION", "PERSONAL", "names_sensitive", "occasion_topic", "phrase", "social_kind"]
