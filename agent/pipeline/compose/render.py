"""Drafts from requests: Jinja2 templates per kind, several phrasings, the owner's overrides.

Templates are plain text named `KIND.N.txt.j2` (check-in.1.txt.j2, ...). The first line is
`Subject: ...`, then a blank line, then the body. The owner may put templates of the same names
in `templates/` beside the configuration file: if any exist for a kind they replace the shipped
phrasings of that kind. Templates are rendered in Jinja2's sandbox with undefined variables as
errors, so a typo in an owner's template fails loudly instead of writing "Hi ," to someone.

What the words may claim: only what the metadata shows. "It has been a while" only when the last
contact was `lapse` ago or more; a topic only when `topic` is set (a subject that reads as one,
rules.topics); a call only when `offer_call`; never coffee, never what was said or how it went.

Variables (strings are "" when unknown; every value is one line of plain text):

- `greeting`: "Hi Mike," (or "Hi," when no name is known for sure); `first_name`: "Mike";
  `name`: the full name as known; `name_guessed`: the name only comes from first.last@.
- `kind`: check-in, thank-you, follow-up, congratulate, reply; `reasons`: the rules' sentences.
- `tier`: the relationship's tier ("inner", "active", "wider"); `close`: an inner tie;
  `occasional`: an occasional one (neither: in between, or not known).
- `topic`: what the conversation was about, as it reads after "about" ("the Bishops Corner
  draw", "Centanna Storage"): for a follow-up the thread's subject, for a thank-you the
  meeting's title, else the last conversation's; "" when none reads as a topic or the owner
  keeps no subjects. `topic_text`: the same without an article ("Bishops Corner draw").
- `lapse`: the last contact was six weeks ago or more; `long_lapse`: five months or more.
- `since`: how long since the last contact ("about three months"); `since_month`: the month it
  was in ("October", "October 2022"); `last_date`: its day ("21 December 2023").
- `note_date`: the day of the owner's note a follow-up answers ("21 December"), or of their
  note a reply answers; `delay`: how late a reply is, "" (a few business days: no
  apology), "slow" (five business days or more) or "long" (ten or more); `by_day`: the weekday
  a reply promises the answer by, two business days on ("Wednesday").
- `stale`: a reply to a matter that goes stale (a proposal, a quote, an offer) more than two
  weeks late (rules/replies.py `matter_may_lapse`): it asks whether it is still live. A reply's
  `topic` is the subject's head as a person names it (rules/topics.py `short_topic`: "the muni
  bond proposal" for "Phillip Allen Muni Bond Proposal.xls").
- `workplace`: for a check-in, the organisation their address is at when its domain says it
  for certain ("Sequent Energy"; words.py `workplace_name`), "" otherwise.
- `when_met`: when the meeting a thank-you is for ended ("today", "yesterday", "on Tuesday").
- `offer_call`: offering a call fits this tie (the rules' `suggest_call`).
- `occasion`: "birthday", "work anniversary"...; `birthday`: it is one (an age is never
  given); `years`, `years_words`: years a non-birthday occasion marks ("five years").
- `new_org`: the organisation a new role is at ("Raviga Capital"), "" when not known.
- Check-ins (compose/phrases.py): `case` is "moved", "left" (`left_from`: the organisation
  they left, "Enron", when the owner has been in touch at their newer address since), "social",
  "thread" (`topic` set), "warm",
  "work" or "plain"; `register` "warm", "work" or ""; `warm`, `work`: which it is;
  `occasion_phrase`: a shared occasion as a noun phrase ("Steve's happy hour", "the baby
  shower", "your happy hour" to Steve); `occasion_lapse`: it was six weeks ago or more;
  `moved_to`: the organisation they moved to ("Mirant"), `moved_from`: the one they left
  ("Enron"), each "" when not known; `sign_off`: the owner's signature, else their first name;
  `season` ("summer", "holidays", "new year"; "" when the owner's time zone does not say the
  hemisphere), `season_wish` ("Hope the summer's treating you well."), `season_wish_other`
  ("Hope you're having a good summer."), `season_question` ("How's the summer treating you?").
- `signature`: the owner's signature, else "Best," (follow-ups: "Thanks,") and their first name;
  `me_name`, `me_first_name`: the owner's name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.compose.message import header_text
from touchbase.agent.pipeline.compose.phrases import checkin_words
from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest
from touchbase.agent.pipeline.compose.words import (
    by_day_words,
    clean_subject,
    day_words,
    first_name,
    month_words,
    since_words,
    topic_phrase,
    when_words,
    workplace_name,
    years_words,
)
from touchbase.agent.pipeline.config import Me
from touchbase.rules.replies import matter_may_lapse
from touchbase.rules.topics import short_topic, usable_topic

_NAME = re.compile(r"^(?P<kind>[a-z-]+)\.(?P<n>\d+)\.txt\.j2$")
LAPSE_DAYS = 42  # six weeks: less than that is not "a while" for any tie
LONG_LAPSE_DAYS = 150
# Tier names (policy [policy.tiers]) that mean a close or an occasional tie; the shipped ones
# are inner / active / wider, the others are names owners commonly give their own tiers.
CLOSE_TIERS = frozenset({"inner", "close", "core", "family", "friends"})
OCCASIONAL_TIERS = frozenset({"wider", "outer", "occasional", "distant", "acquaintances"})
_SUBJECTS = {
    DraftKind.CHECK_IN: "Checking in",
    DraftKind.THANK_YOU: "Thank you",
    DraftKind.FOLLOW_UP: "Following up",
    DraftKind.CONGRATULATE: "Congratulations",
    DraftKind.REPLY: "Your note",
    DraftKind.INTRODUCE_ASK: "An introduction",
    DraftKind.INTRODUCE: "Introduction",
}
# Kinds that answer in a thread, under "Re: " and its subject.
_THREADED = frozenset({DraftKind.FOLLOW_UP, DraftKind.REPLY})
# How long their note has waited, in business days (a reply's apology is proportionate to
# it): from a working week a "slow" reply, from two a "long" one.
REPLY_SLOW_DAYS, REPLY_LONG_DAYS = 5, 10
STARTER_NAME = "Your Name"  # the placeholder agent/pipeline/starter.toml shipped and ships
_RUNS = re.compile(r"(?<=\S) {2,}")
_SPACE_BEFORE = re.compile(r"(?<=\w) +(?=[,.;:!?](?:\s|$))")
_BLANKS = re.compile(r"\n{3,}")


@cache
def shipped_sensitive_topics() -> frozenset[str]:
    """The shipped policy's `sensitive_topics`, for a Drafter not given the owner's."""
    from touchbase.rules.policy import load_policy

    return load_policy().sensitive_topics


@cache
def shipped_personal_domains() -> frozenset[str]:
    """The shipped policy's personal mailbox providers (hotmail.com, ...): no workplace."""
    from touchbase.rules.policy import load_policy

    return load_policy().personal_domains


@dataclass(frozen=True)
class Rendered:
    """A draft's text: what the owner reviews."""

    subject: str
    body: str
    template: str


class Drafter:
    """Renders DraftRequests for one owner; build one per run.

    `sensitive`: words never quoted from a subject (the owner's policy `sensitive_topics`; the
    shipped list when not given). Topics are judged again here, with it, so a subject that the
    rules did not judge (a thread's, a meeting's) is held to the same standard.
    """

    def __init__(
        self, me: Me, overrides: Path | None = None, sensitive: frozenset[str] | None = None
    ) -> None:
        # Jinja is imported here, not above: it costs about 0.15 s, and most commands that load
        # this module (people, plan, status) never render a draft (issue 16).
        from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        self.me = me
        self.sensitive = shipped_sensitive_topics() if sensitive is None else sensitive
        loaders: list[FileSystemLoader | PackageLoader] = []
        owner: set[str] = set()
        if overrides is not None and overrides.is_dir():
            loaders.append(FileSystemLoader(str(overrides)))
            owner = {p.name for p in overrides.iterdir() if _NAME.match(p.name)}
        loaders.append(PackageLoader("touchbase.agent.pipeline.compose", "templates"))
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,  # plain-text mail; the web page escapes when it shows it
            keep_trailing_newline=False,
        )
        self.variants: dict[str, list[str]] = {}
        shipped = [n for n in self.env.list_templates() if _NAME.match(n)]
        for kind in DraftKind:
            mine = [n for n in owner if _parts(n)[0] == kind.value]
            names = mine or [n for n in shipped if _parts(n)[0] == kind.value]
            self.variants[kind.value] = sorted(names, key=lambda n: _parts(n)[1])

    def choose(self, request: DraftRequest, sequence: int = 0, avoid: Collection[str] = ()) -> str:
        """The template for this person: fixed per person and kind, moving on by `sequence` (how
        many drafts of this kind they had before) so the same words are not sent twice running,
        and past the ones in `avoid` (used by other drafts of the same run) while any is left:
        two check-ins side by side in the review should not read alike."""
        names = self.variants[request.kind.value]
        if not names:
            raise UserError(f"no templates for {request.kind.value} drafts")
        digest = hashlib.sha256(f"{request.person_key}|{request.kind.value}".encode()).digest()
        start = int.from_bytes(digest[:8], "big") + sequence
        turns = [names[(start + n) % len(names)] for n in range(len(names))]
        return next((name for name in turns if name not in avoid), turns[0])

    def render(
        self,
        request: DraftRequest,
        now: datetime,
        sequence: int = 0,
        avoid: Collection[str] = (),
    ) -> Rendered:
        from jinja2 import TemplateError  # loaded already: a Drafter was built

        name = self.choose(request, sequence, avoid)
        try:
            text = self.env.get_template(name).render(self.context(request, now))
        except TemplateError as exc:
            raise UserError(
                f"the draft template {name} failed: {exc}",
                advice="fix the template in your templates folder, or remove it to use the "
                "shipped one",
            ) from exc
        subject, body = _split(text, name)
        thread = clean_subject(request.last.subject) if self.me.keep_subjects else ""
        if request.kind in _THREADED and any(ch.isalnum() for ch in thread):
            # A follow-up or a reply answers in its thread: "Re: " and the original subject, its
            # stacked Re:/Fw: prefixes cleaned off (RFC 5322 3.6.5).
            subject = "Re: " + thread
        elif (
            request.kind is DraftKind.CONGRATULATE
            and request.last.message_id
            and thread
            and usable_topic(request.last.subject, self.sensitive)
        ):
            # A congratulation answering their mail (rules/kinds.py new_role) keeps its subject
            # only when it reads as a topic (rules/topics.py); else the template's clean one.
            subject = "Re: " + thread
        subject = header_text(subject)
        if not subject or subject.lower().rstrip(": ") in ("re", "fw", "fwd"):
            subject = _SUBJECTS[request.kind]
        return Rendered(subject, _tidy(body), name)

    def context(self, request: DraftRequest, now: datetime) -> dict[str, Any]:
        """The template variables for `request` at `now` (documented in the module docstring)."""
        zone = ZoneInfo(self.me.time_zone)
        first = first_name(request.name, request.addresses)
        me_first = first_name(self.me.name)
        last = request.last_contact
        gap = (now - last).days if last is not None else None
        tier = request.tier.lower()
        occasion = header_text(request.occasion, 60).lower()
        birthday = occasion == "birthday"
        years = None if birthday else request.occasion_years
        sign_off = "Thanks," if request.kind is DraftKind.FOLLOW_UP else "Best,"
        signature = self._signature() or (
            f"{sign_off}\n{me_first or header_text(self.me.name)}"
            if (me_first or self.me.name.strip())
            else ""
        )
        topic = self._topic(request)
        return {
            "greeting": f"Hi {first}," if first else "Hi,",
            "first_name": first,
            "name": header_text(request.name),
            "name_guessed": request.name_guessed,
            "kind": request.kind.value,
            "reasons": list(request.reasons),
            "tier": tier,
            "close": tier in CLOSE_TIERS,
            "occasional": tier in OCCASIONAL_TIERS,
            "topic": topic_phrase(topic) if topic else "",
            "topic_text": topic,
            "lapse": gap is not None and gap >= LAPSE_DAYS,
            "long_lapse": gap is not None and gap >= LONG_LAPSE_DAYS,
            "since": since_words(last, now) if last is not None else "",
            "since_month": month_words(last, now, zone),
            "last_date": _day(last.astimezone(zone)) if last is not None else "",
            "note_date": day_words(request.last.at, now, zone),
            "delay": _delay(request, now, zone),
            "by_day": by_day_words(now, zone),
            "stale": request.kind is DraftKind.REPLY
            and request.last.at is not None
            and matter_may_lapse(topic, request.last.at, now),
            "workplace": workplace_name(
                request.addresses, shipped_personal_domains(), self.me.addresses
            )
            if request.kind is DraftKind.CHECK_IN
            else "",
            "when_met": when_words(request.meeting_at, now, zone),
            "offer_call": request.suggest_call,
            "occasion": occasion,
            "birthday": birthday,
            "years": years if years and years > 0 else None,
            "years_words": years_words(years),
            "new_org": header_text(request.occasion_where, 80),
            "signature": signature,
            "me_name": header_text(self.me.name),
            "me_first_name": me_first,
            # Check-ins sign as a person signs a short note: the first name on its own line.
            "sign_off": self._signature() or me_first or header_text(self.me.name),
            **checkin_words(
                topic_kind=request.topic_kind,
                register=request.register,
                topic=request.topic,
                topic_at=request.topic_at,
                last_contact=last,
                moved_from=request.moved_from,
                thread_topic=topic,
                now=now,
                sensitive=self.sensitive,
                keep_subjects=self.me.keep_subjects,
                first_name=first,
                me_first_name=me_first,
                zone=zone,
            ),
            **self._introducing(request, now),
        }

    def _signature(self) -> str:
        """The owner's signature; the old starter file's placeholder name in it ("Best,\nYour
        Name") gives way to the name they set, so a set name wins (QA, issue 18)."""
        signature, name = self.me.signature, header_text(self.me.name)
        if name and name != STARTER_NAME:
            signature = signature.replace(STARTER_NAME, name)
        return signature

    def _introducing(self, request: DraftRequest, now: datetime) -> dict[str, Any]:
        """Introductions' variables (issue 20): `other_name`, `other_first_name`, `other_org`,
        `known_for` ("about three years"), `other_topics` ("the Q3 budget and Centanna
        Storage", each judged again), `note` (the owner's, one line)."""
        other = request.introducing
        if other is None:
            return dict.fromkeys(
                (
                    "other_name",
                    "other_first_name",
                    "other_org",
                    "known_for",
                    "other_topics",
                    "note",
                ),
                "",
            )
        found = [usable_topic(t, self.sensitive) for t in other.topics]
        phrases = [topic_phrase(header_text(t)) for t in found if t and self.me.keep_subjects]
        return {
            # Never "someone": without a name the ask names their address.
            "other_name": header_text(other.name) or ", ".join(other.addresses[:1]),
            "other_first_name": first_name(other.name, other.addresses),
            "other_org": header_text(other.organisation),
            "known_for": since_words(other.known_since, now) if other.known_since else "",
            "other_topics": " and ".join(phrases),
            "note": header_text(other.note, 300),
        }

    def _topic(self, request: DraftRequest) -> str:
        """The topic a draft may name, judged again with the owner's sensitive words."""
        if not self.me.keep_subjects:
            return ""
        if request.kind in _THREADED:
            subject = request.last.subject
            if not subject and request.topic_at is not None and request.topic_at == request.last.at:
                subject = request.topic  # the rules' topic is that very note
            if request.kind is DraftKind.REPLY:
                # A reply names the matter as a person says it: the subject's head, without
                # the owner's own name, a file extension or the dates after it (issue 11).
                return header_text(short_topic(subject, self.sensitive, self.me.name) or "")
        elif request.kind is DraftKind.THANK_YOU:
            subject = request.meeting_title
        else:  # a social occasion or a move is no conversation: checkin_words phrases them
            subject = request.topic if request.topic_kind in ("thread", "") else None
        return header_text(usable_topic(subject, self.sensitive) or "")


def _delay(request: DraftRequest, now: datetime, zone: ZoneInfo) -> str:
    """How late a reply is: "" (a few business days: no apology), "slow" or "long"."""
    if request.kind is not DraftKind.REPLY or request.last.at is None:
        return ""
    days = business_days_between(request.last.at, now, zone)
    return "long" if days >= REPLY_LONG_DAYS else "slow" if days >= REPLY_SLOW_DAYS else ""


def business_days_between(start: datetime, end: datetime, zone: ZoneInfo) -> int:
    """Working days (Monday to Friday) after `start`'s day up to `end`'s, in `zone`."""
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    days = (last - first).days
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for n in range(1, rest + 1):
        if (first.weekday() + n) % 7 < 5:
            count += 1
    return count


def _tidy(body: str) -> str:
    """The body as a person would type it: no runs of spaces inside a line, no space before a
    comma or full stop, no trailing spaces (an RFC 3676 "-- " signature line excepted), at most
    one blank line in a row, one final newline."""
    lines = []
    for line in body.split("\n"):
        if line != "-- ":
            line = _SPACE_BEFORE.sub("", _RUNS.sub(" ", line)).rstrip()
        lines.append(line)
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


def _day(value: datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def _parts(name: str) -> tuple[str, int]:
    match = _NAME.match(name)
    return (match["kind"], int(match["n"])) if match else ("", 0)


def templates_dir(config_path: Path | None) -> Path:
    """Where the owner's own templates live: `templates/` beside the configuration file."""
    from touchbase.agent.pipeline.config import config_path as default_config_path

    return (config_path or default_config_path()).parent / "templates"


def _split(text: str, name: str) -> tuple[str, str]:
    head, sep, body = text.lstrip("\n").partition("\n")
    if not head.lower().startswith("subject:") or not sep:
        raise UserError(
            f"the draft template {name} must start with a 'Subject: ...' line and a blank line"
        )
    return head.split(":", 1)[1].strip(), body.lstrip("\n")
