"""What a check-in may say, decided before any template runs: which case it is, and its phrases.

The rules hand over a tie's register (rules/decision.py `Decision.register`: "warm" when the mail
shows personal or social signals, "work" when it only shows working mail) and at most one topic
whose `kind` says what it is: "social" (a shared occasion's subject, "Steve's Happy Hour"),
"moved" (the organisation they moved to, "" when the domain does not say it) or "thread" (a
conversation's subject, which check-ins no longer get from the rules, but an older plan or an
owner's pinned person may still carry one). The templates then only choose words per case:

- `moved`:  "I saw you're at Mirant now: how's it going over there?", or without the new
  organisation "I saw you've moved on from Enron..." (the old one, from the old address's
  domain, as a person names it), or neither;
- `social`: "It's been a while since Steve's happy hour": the occasion as a noun phrase
  (rules/social.py `phrase`), never the pasted subject with its capitals and punctuation;
- `thread`: the conversation's subject as a topic (rules/topics.py judged it usable);
- `warm`, `work`, `plain`: no topic; casual words, brief plain words, or neutral ones when the
  register is not known.

Every phrase is rebuilt from a known list or checked letter by letter, so text from someone
else's mail can reach a draft only as a name or an organisation of ordinary words.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from touchbase.agent.pipeline.compose.message import header_text
from touchbase.rules.social import occasion_topic, phrase

# A noun phrase a sentence may carry: letters (any script), apostrophes, hyphens, single spaces.
_SAFE_PHRASE = re.compile(r"^[^\W\d_][^\W\d_'’ -]*(?:['’ -][^\W\d_]+)*$")
# An organisation as a person names it: "Mirant", "UBS Warburg Energy", "AT&T", "Procter &
# Gamble", "Dow Jones": at most four words of letters, never a domain or an address.
_WORD = r"[^\W\d_](?:[^\W\d_]|[&'’.-])*"  # a letter, then letters and & ' . -
_ORGANISATION = re.compile(rf"^{_WORD}(?: (?:&|{_WORD})){{0,3}}$")
_DOMAINISH = re.compile(r"\.[a-z]{2,}$|\.[a-z]{2,}\b.*\.", re.IGNORECASE)
# Marks of markup, links, addresses and templates: a subject carrying any is no occasion's name.
_JUNK = re.compile(r"[@<>{}\[\]\"=_#$%*|\\~^`]|://|\bwww\.", re.IGNORECASE)
MAX_PHRASE = 40  # "It's been a while since <phrase>": longer reads as a pasted subject
MAX_ORGANISATION = 40
# A recent occasion is not one to say "it's been a while since" about; under two weeks it is
# not worth recalling at all (they have just been in touch about it).
RECENT_OCCASION_DAYS = 14
LAPSE_OCCASION_DAYS = 42  # six weeks, as render.LAPSE_DAYS
# Meals and pastimes said as the owner would recall them with the recipient: "our last lunch",
# "our last round of golf" ("It's been a while since golf" reads wrong).
_RECALLED = {
    "lunch": "our last lunch",
    "the lunch": "our last lunch",
    "dinner": "our last dinner",
    "the dinner": "our last dinner",
    "breakfast": "our last breakfast",
    "the breakfast": "our last breakfast",
    "brunch": "our last brunch",
    "the brunch": "our last brunch",
    "drinks": "our last drinks",
    "the drinks": "our last drinks",
    "beer": "our last beers",
    "the beer": "our last beers",
    "the margaritas": "our last margaritas",
    "golf": "our last round of golf",
    "fishing": "our last fishing trip",
    "hunting": "our last hunting trip",
    "poker": "the last poker night",
    "bowling": "the last bowling night",
    "karaoke": "the last karaoke night",
    "softball": "the last softball game",
}
# Phrases too vague to recall by themselves ("It's been a while since the game").
_VAGUE = frozenset({"the game", "the celebration", "the boat", "the concert", "fantasy football"})


def checkin_case(
    topic_kind: str, register: str, topic: str, moved: bool, left_from: str = ""
) -> str:
    """Which words a check-in needs: moved, left, social, thread, warm, work or plain."""
    if moved:
        return "moved"
    if left_from:
        return "left"
    if topic_kind == "social" and topic:
        return "social"
    if topic_kind in ("thread", "") and topic:
        return "thread"
    if register in ("warm", "work"):
        return register
    return "plain"


def social_phrase(
    subject: str | None,
    sensitive: frozenset[str],
    *,
    first_name: str = "",
    me_first_name: str = "",
) -> str:
    """A shared occasion as the owner would name it to this person, or "" when it cannot be
    said well: "Steve's happy hour", "the baby shower", "the Astros game", "our last lunch";
    "your happy hour" to Steve, "my party" when it was the owner's. Judged again here with the
    owner's sensitive words, so an occasion the rules let through is held to today's list."""
    text = header_text(subject, 200)
    found = occasion_topic(text, sensitive) if text and not _JUNK.search(text) else None
    if not found:
        return ""
    text = header_text(phrase(found), 80)
    text = _RECALLED.get(text.lower(), text)
    owner, _, rest = text.partition("'s ")
    if rest and " " not in owner:
        if first_name and owner.lower() == first_name.lower():
            text = f"your {rest}"
        elif me_first_name and owner.lower() == me_first_name.lower():
            text = f"my {rest}"
    head, sep, whom = text.rpartition(" with ")
    if sep and first_name and whom.lower() == first_name.lower():
        text = _RECALLED.get(head.lower(), f"our {head}")  # "lunch with Joan", to Joan
    if text.lower() in _VAGUE or len(text) > MAX_PHRASE or not _SAFE_PHRASE.match(text):
        return ""
    return text


def organisation_name(text: str | None) -> str:
    """An organisation's name fit to write ("Mirant", "UBS Warburg Energy"), else "": a domain,
    an address, digits, markup or anything over four words is not how a person names one."""
    name = header_text(text, 200)
    if not name or len(name) > MAX_ORGANISATION or _DOMAINISH.search(name):
        return ""
    return name if _ORGANISATION.match(name) else ""


def occasion_age(at: datetime | None, last_contact: datetime | None, now: datetime) -> int | None:
    """Days since the occasion (its thread's time, else the last contact), None if unknown."""
    when = at or last_contact
    return None if when is None else max(0, (now - when).days)


# Time of year, said only where the owner's time zone says which half of the world they are in
# (a July "summer" is winter in Sydney; near the equator the seasons are no season at all).
_SOUTH = (
    "Australia/", "Antarctica/", "Pacific/Auckland", "Pacific/Chatham", "NZ",
    "America/Argentina/", "America/Buenos_Aires", "America/Sao_Paulo", "America/Santiago",
    "America/Montevideo", "America/Asuncion", "Africa/Johannesburg", "Africa/Maputo",
    "Africa/Windhoek", "Indian/Mauritius", "Chile/", "Brazil/East",
)  # fmt: skip
_NORTH = ("Europe/", "America/", "US/", "Canada/", "Asia/", "Africa/", "Atlantic/", "GB", "Eire")
_TROPICS = (
    "America/Bogota", "America/Caracas", "America/Lima", "America/Guayaquil", "America/Panama",
    "America/Costa_Rica", "America/Guatemala", "America/El_Salvador", "America/Managua",
    "America/Tegucigalpa", "America/Belize", "America/Jamaica", "America/Puerto_Rico",
    "America/Santo_Domingo", "America/Port_of_Spain", "America/Barbados", "America/Manaus",
    "America/Belem", "America/Fortaleza", "America/Recife", "America/Bahia", "America/La_Paz",
    "Asia/Singapore", "Asia/Jakarta", "Asia/Kuala_Lumpur", "Asia/Manila", "Asia/Bangkok",
    "Asia/Ho_Chi_Minh", "Asia/Saigon", "Asia/Kolkata", "Asia/Calcutta", "Asia/Colombo",
    "Asia/Dubai", "Asia/Riyadh", "Asia/Qatar", "Asia/Muscat", "Asia/Dhaka", "Asia/Yangon",
    "Asia/Phnom_Penh", "Asia/Makassar", "Africa/Lagos", "Africa/Nairobi", "Africa/Accra",
    "Africa/Kinshasa", "Africa/Addis_Ababa", "Africa/Dar_es_Salaam", "Africa/Kampala",
    "Africa/Abidjan", "Africa/Dakar", "Africa/Luanda", "Africa/Khartoum",
)  # fmt: skip
_SEASONS_NORTH = {
    1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring", 6: "summer",
    7: "summer", 8: "summer", 9: "fall", 10: "fall", 11: "fall", 12: "winter",
}  # fmt: skip
# What one wishes for a time of year: (early in it, later in it, another way to say it, a
# question about it), so two drafts of one run do not share a sentence.
_WISHES = {
    "new year": (
        "Hope the new year's off to a good start.",
        "Hope the new year's off to a good start.",
        "All the best for the new year.",
        "How's the new year treating you so far?",
    ),
    "holidays": (
        "Hope you have a good holiday season.",
        "Hope you're having a good holiday season.",
        "Hope you get a proper break over the holidays.",
        "Any plans for the holidays?",
    ),
}
_SEASON_WISHES = (
    "Hope your {0}'s off to a good start.",
    "Hope the {0}'s treating you well.",
    "Hope you're having a good {0}.",
    "How's the {0} treating you?",
)


def time_of_year(now: datetime, zone: ZoneInfo | None) -> tuple[str, bool]:
    """(the season or holiday time at `now` where the owner is, early in it), ("", False) when
    their time zone does not say which half of the world they are in."""
    key = getattr(zone, "key", "") or ""
    if key.startswith(_TROPICS) or not key.startswith((*_NORTH, *_SOUTH)):
        return "", False
    local = now.astimezone(zone)
    month, day = local.month, local.day
    if month == 1 and day <= 20:
        return "new year", True
    if month == 12 and day >= 10:
        return "holidays", day < 20
    south = key.startswith(_SOUTH)
    season = _SEASONS_NORTH[(month + 5) % 12 + 1 if south else month]
    if season == "fall" and not key.startswith(("America/", "US/", "Canada/")):
        season = "autumn"
    first = {"winter": 12, "spring": 3, "summer": 6, "fall": 9, "autumn": 9}[season]
    start = (first + 6 - 1) % 12 + 1 if south else first
    return season, month == start


def season_words(now: datetime, zone: ZoneInfo | None) -> dict[str, str]:
    """`season` ("summer", "holidays", "new year", "" when not known), `season_wish` ("Hope
    the summer's treating you well."), `season_wish_other` ("Hope you're having a good
    summer."), `season_question` ("How's the summer treating you?"):
    true of anyone, so they claim nothing the mail does not show."""
    season, early = time_of_year(now, zone)
    if not season:
        return {"season": "", "season_wish": "", "season_wish_other": "", "season_question": ""}
    start, later, other, question = _WISHES.get(season) or tuple(
        w.format(season) for w in _SEASON_WISHES
    )
    return {
        "season": season,
        "season_wish": start if early else later,
        "season_wish_other": other,
        "season_question": question,
    }


def checkin_words(
    *,
    topic_kind: str,
    register: str,
    topic: str | None,
    topic_at: datetime | None,
    last_contact: datetime | None,
    moved_from: str,
    thread_topic: str,
    now: datetime,
    sensitive: frozenset[str],
    keep_subjects: bool,
    first_name: str,
    me_first_name: str,
    zone: ZoneInfo | None = None,
) -> dict[str, object]:
    """The check-in variables (render.py's docstring lists them): `case`, `register`, `warm`,
    `work`, `occasion_phrase`, `occasion_lapse`, `moved_to`, `moved_from`, `season`,
    `season_wish`, `season_question` (season_words)."""
    register = register if register in ("warm", "work") else ""
    moved = topic_kind == "moved"
    moved_to = organisation_name(topic) if moved else ""  # from an address, not a subject
    left_from = organisation_name(topic) if topic_kind == "left" else ""
    social = ""
    lapse = False
    if topic_kind == "social" and keep_subjects:
        days = occasion_age(topic_at, last_contact, now)
        if days is None or days >= RECENT_OCCASION_DAYS:
            social = social_phrase(
                topic, sensitive, first_name=first_name, me_first_name=me_first_name
            )
            lapse = days is None or days >= LAPSE_OCCASION_DAYS
    case = checkin_case(topic_kind, register, social or thread_topic, moved, left_from)
    return {
        "case": case,
        "register": register,
        # A social occasion shared is a warm sign even when the rules said nothing of the tie.
        "warm": register == "warm" or case == "social",
        "work": register == "work" and case != "social",
        "occasion_phrase": social,
        "occasion_lapse": lapse,
        "moved_to": moved_to,
        "moved_from": organisation_name(moved_from) if moved else "",
        "left_from": left_from,
        **season_words(now, zone),
    }


__all__ = [
    "checkin_case",
    "checkin_words",
    "organisation_name",
    "season_words",
    "social_phrase",
    "time_of_year",
]
