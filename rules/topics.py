"""Subject hygiene: whether a subject line reads as a topic a person would name in a message.

A draft may refer to the last conversation ("about the Bishops Corner draw"), but only with
words a person would use: no reply or forward markers, no list tags or URGENT-style shouting,
nothing long, nothing that is a forward, a notice or a joke, and nothing sensitive. When no
subject passes, `usable_topic` says None and the draft is written so that it needs no topic.
Pure: text in, text (or None) out.
"""

from __future__ import annotations

import re

from touchbase.rules.threads import is_forward_subject

MAX_TOPIC = 60  # characters: longer subjects are boilerplate, disclaimers or whole sentences
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw|rif|r|tr|enc|res)\s*(?:\[\d+\])?\s*[:：]|\[[^\]]*\])\s*",
    re.IGNORECASE,
)


def clean_topic(subject: str | None) -> str:
    """The subject without reply/forward prefixes and [tags], white space squeezed."""
    text = " ".join((subject or "").split())
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            return text.strip()
        text = stripped


def usable_topic(subject: str | None, sensitive: frozenset[str] = frozenset()) -> str | None:
    """The subject as a topic to name in a draft, or None when it does not read as one (or
    holds one of the `sensitive` words)."""
    if not subject or is_forward_subject(subject):
        return None
    text = clean_topic(subject)
    if not text or len(text) > MAX_TOPIC:
        return None
    if sensitive and any(w in sensitive for w in re.findall(r"[a-z]+", text.lower())):
        return None
    return text
