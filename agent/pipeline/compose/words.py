"""Personal touches in a draft: a first name, a clean subject, "how long it has been" in words."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from nameparser import HumanName

# Reply and forward prefixes in the languages mail clients commonly write (RFC 5322 3.6.5 only
# names "Re:"; Outlook localises it: AW/WG German, SV Nordic, Antw Dutch, RIF/R Italian, TR French).
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw|doorst|rif|r|tr|enc|rv|odp|pd)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]"
    r"|\[[^\]\n]{1,60}\])\s*",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
# Honorifics nameparser may leave in `first` when a name is only "Dr. Smith".
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "herr", "frau"}


def plain(text: str) -> str:
    """`text` on one line: control and format characters (CR, LF, NUL, bidi overrides, U+2028)
    become spaces, runs of white space one space, ends trimmed."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else ch
        for ch in text
    )
    return _SPACE.sub(" ", cleaned).strip()


def clean_subject(subject: str | None) -> str:
    """The topic of a subject: without Re:/Fwd: prefixes (however many) and [list] tags."""
    if not subject:
        return ""
    text = plain(subject)
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            return text
        text = stripped


def first_name(name: str | None, addresses: tuple[str, ...] = ()) -> str:
    """The name to greet someone by, or "" when none is known for sure.

    "Dr. Jane Q. Smith" and "Smith, Jane" give "Jane". A display name that is really a user name
    or an address ("jsmith", "jane.smith@example.com") gives "", so a draft says "Hi," and never
    "Hi jsmith".
    """
    text = plain(name or "").strip("\"'")
    if not text or "@" in text or any(ch.isdigit() for ch in text):
        return ""
    locals_ = {a.split("@", 1)[0].lower() for a in addresses}
    if text.lower() in locals_ or (text.islower() and " " not in text and "," not in text):
        return ""  # a login name shown as a display name
    parsed = HumanName(text)
    if text.isupper() or text.islower():
        parsed.capitalize(force=True)
    for candidate in (parsed.first, parsed.middle.split(" ")[0] if parsed.middle else ""):
        word = candidate.strip(".,")
        if len(word) >= 2 and word.lower() not in _TITLES and word[0].isalpha():
            return word
    return ""


def since_words(then: datetime | None, now: datetime) -> str:
    """How long ago `then` was, as a person would say it: "a few weeks", "about three months"."""
    if then is None:
        return "a while"
    days = max(0, (now - then).days)
    if days < 2:
        return "a day or so"
    if days < 7:
        return "a few days"
    if days < 11:
        return "a week"
    if days < 25:
        return "a couple of weeks"
    if days < 45:
        return "a month"
    if days < 320:
        months = round(days / 30.4)
        return "half a year" if months == 6 else f"about {_number(months)} months"
    if days < 548:
        return "a year"
    years = round(days / 365.25)
    return f"about {_number(years)} years" if years < 10 else "many years"


def _number(n: int) -> str:
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    words += ["eleven", "twelve"]
    return words[n] if 0 <= n < len(words) else str(n)
