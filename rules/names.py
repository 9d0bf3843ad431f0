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
# One word of letters (Anne-Marie, O'Neil, Zoë), as a given name is written.
_ONE_WORD = re.compile(r"^[^\W\d_]{2,}(?:[-'’][^\W\d_]+)*$")
# How a given name can begin with two consonants: "Jsmith" (a login capitalised) cannot.
_ONSETS = frozenset(
    {
        "bl", "br", "ch", "cl", "cr", "dr", "dw", "fl", "fr", "gl", "gr", "gw", "kh", "kl",
        "kr", "ph", "pl", "pr", "qu", "sc", "sh", "sk", "sl", "sm", "sn", "sp", "st", "sv",
        "sw", "th", "tr", "tw", "wh", "wr", "zh",
    }
)  # fmt: skip
_VOWELS = frozenset("aeiouyàáâäãåæèéêëìíîïòóôöõøùúûüýÿœ")


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


def given_name_word(word: str, addresses: Iterable[str] = ()) -> bool:
    """Whether a one-word display name reads as a given name ("Mike", "Anne-Marie"): letters
    only, capitalised but not all capitals ("MIKE", "ACCOUNTS" are as often a login or a
    mailbox), beginning as a name can when it is also their mailbox name ("Jsmith" for jsmith@
    is a login), and not the organisation of one of their addresses ("Acme" for bob@acme.com).
    Role words ("Accounts", "Support") are the caller's to refuse."""
    if not _ONE_WORD.match(word) or not word[0].isupper() or word.isupper():
        return False
    lower = word.lower()
    own = [a.lower().rpartition("@") for a in addresses if "@" in a]
    if any(lower in domain.split(".")[:-1] for _l, _at, domain in own):
        return False
    if any(lower == local.split("+", 1)[0] for local, _at, _domain in own):
        head = lower[:2]
        if not (set(head) & _VOWELS) and head not in _ONSETS:
            return False
    return True


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
