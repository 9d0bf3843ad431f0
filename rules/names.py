"""A person's name from their mail: the one they use themselves, else the one others use, else a
guess from an address like first.last@ (marked as guessed, so the owner can tell)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# A display name that is really an address, a login or a placeholder says nothing.
_NOT_A_NAME = re.compile(
    r"@|^[\W\d_]*$|^(?:e-?mail|mail|user|admin|info|unknown|undisclosed)\b", re.I
)
# A local part that spells a name: "mike.grigsby", "jane_q_public", "anne-marie.dupont".
# Every piece has letters only; one-letter pieces are initials (kept out of the name), and the
# first and last pieces must be real words, so "k..allen" and "jsmith" give no guess.
_PIECES = re.compile(r"[._]+")
# What Outlook appends to a name and is no part of it: "Leah A. Moss (E-mail)", "Jo Li (ACME)".
_TAIL = re.compile(r"\s*\([^()]*\)\s*$")
_WORD = re.compile(r"^[a-z]+(?:-[a-z]+)*$")


def clean_name(name: str) -> str:
    """A display name as a person would write it: quotes gone, "Last, First" turned round,
    spaces squeezed; "" when it is not a name at all."""
    # Quotes go, but not an apostrophe inside a word (O'Neil, D'Arcy).
    text = " ".join(_TAIL.sub("", name).replace('"', " ").split()).strip(" ,'")
    if not text or _NOT_A_NAME.search(text):
        return ""
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if first and last and " " not in last:
            text = f"{first} {last}"
    if " " not in text and text.islower() and len(text) > 2:
        return ""  # a login shown as a display name ("jsmith")
    return text


def guess_from_address(address: str) -> str:
    """ "mike.grigsby@x" -> "Mike Grigsby"; "" when the local part does not spell a name."""
    local = address.rpartition("@")[0].lower()
    pieces = [p for p in _PIECES.split(local) if p]
    if len(pieces) < 2 or not all(_WORD.match(p) for p in pieces):
        return ""
    if len(pieces[0]) < 2 or len(pieces[-1]) < 2:
        return ""
    words = [pieces[0], *(p for p in pieces[1:-1] if len(p) > 1), pieces[-1]]
    return " ".join("-".join(_capital(part) for part in w.split("-")) for w in words)


def _capital(word: str) -> str:
    """ "mcdaniel" -> "McDaniel": the one common prefix whose next letter is a capital too."""
    if word.startswith("mc") and len(word) > 3:
        return "Mc" + word[2:].capitalize()
    return word.capitalize()


def _most_used(names: Mapping[str, int]) -> str:
    best = ("", 0)
    for raw, count in sorted(names.items()):
        name = clean_name(raw)
        if name and count > best[1]:
            best = (name, count)
    return best[0]


def best_name(
    own: Mapping[str, int], given: Mapping[str, int], addresses: Iterable[str]
) -> tuple[str, bool]:
    """(the name to call them, whether it is only guessed from an address)."""
    name = _most_used(own) or _most_used(given)
    if name:
        return name, False
    for address in sorted(addresses):
        guess = guess_from_address(address)
        if guess:
            return guess, True
    return "", False
