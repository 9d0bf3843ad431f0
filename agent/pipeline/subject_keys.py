"""The subject key stored with each interaction: its stripped subject hashed to 32 bits.

The reply lookups (agent/pipeline/drafts/owed.py) want the mail under given subjects, Re:/Fw:
aside (rules/threads.py strip_subject), in a span of weeks. Stripping is no SQL function, so
they read every subject of those weeks and stripped them in Python: 0.56 s of a plan at
bench/rules.py's 1M interactions (issue 16). With this key stored at insert (rows.py), and
indexed with the time (ix_interactions_subject_key), they read only the rows under the wanted
keys.

A key is a hash, not the subject: a collision brings a row under another subject, so every
reader checks strip_subject on what it read. A change to the strip rules needs a migration
that computes the keys again (as 0012 first did), or rows under a wanted subject are missed.
CRC-32 because it is cheap on the insert path (IMAP first sync) and stable across processes
(str's hash() is salted per process); shifted into a signed 32-bit integer, the column's type
on every database. An empty stripped subject has no key (NULL): nothing looks it up.
"""

from __future__ import annotations

from zlib import crc32

from touchbase.rules.threads import read_subject

_SHIFT = 1 << 31


def subject_key(subject: str | None) -> int | None:
    """The key of mail under `subject` (None: no subject once stripped)."""
    if not subject:
        return None
    # threads.read_subject, not its cached subject_info: filled by a first sync's subjects, the
    # cache's 65,536 entries were objects the cycle collector walked again and again. 100,000
    # bench/rules.py messages stored into an empty SQLite store in pages of 1,000 (3 runs each,
    # alternating, load ~3.6): 3.68-4.20 s client CPU through the cache, 3.10-3.26 s without,
    # 2.95-3.51 s with no key.
    stripped = read_subject(subject).stripped
    return key_of(stripped) if stripped else None


def key_of(stripped: str) -> int:
    """The key of an already stripped, non-empty subject."""
    return crc32(stripped.encode("utf-8", "surrogatepass")) - _SHIFT


__all__ = ["key_of", "subject_key"]
