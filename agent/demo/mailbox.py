"""A deterministic, realistic sample account for `touchbase demo`: a year of mail and meetings.

Everything is placed relative to `now`, so the demo always has people who are due: someone who
went quiet five months ago, someone the owner wrote to seven business days ago who never
answered, someone whose question to the owner waits four business days for its answer, and a
1:1 that ended yesterday. Mail is a Maildir (INBOX and .Sent) of RFC 5322
messages made with the stdlib's email package; meetings are one .ics file.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr
from pathlib import Path

from touchbase.agent.demo.calendar import Person, calendar_for

OWNER_NAME = "Alex Morgan"
OWNER = "alex@morgan.example"
_FIRST = [
    "Priya",
    "Marcus",
    "Elena",
    "Tomás",
    "Aisha",
    "Jonas",
    "Mei",
    "Daniel",
    "Sofia",
    "Kwame",
    "Hannah",
    "Luca",
    "Nadia",
    "Omar",
    "Greta",
    "Ravi",
    "Chloe",
    "Mateo",
    "Yuki",
    "Fatima",
    "Lars",
    "Ines",
    "Victor",
    "Amara",
    "Felix",
    "Leila",
    "Samuel",
    "Zoe",
    "Andrei",
    "Noor",
    "Isabel",
    "Ethan",
    "Camille",
    "Diego",
    "Astrid",
    "Kenji",
    "Maya",
    "Tariq",
    "Lucia",
    "Henrik",
    "Beatriz",
    "Oscar",
    "Mira",
    "Paolo",
    "Sana",
    "Julian",
    "Freya",
    "Emeka",
    "Clara",
    "Rohan",
    "Elif",
    "Hugo",
    "Anya",
    "Malik",
    "Rosa",
    "Theo",
    "Ingrid",
    "Arjun",
    "Lina",
]
_LAST = [
    "Shah",
    "Webb",
    "Rossi",
    "Alvarez",
    "Okafor",
    "Berg",
    "Chen",
    "Novak",
    "Costa",
    "Mensah",
    "Fischer",
    "Moretti",
    "Haddad",
    "Nasser",
    "Lindqvist",
    "Iyer",
    "Dubois",
    "Herrera",
    "Tanaka",
    "Rahman",
    "Nilsson",
    "Ferreira",
    "Petrov",
    "Diallo",
    "Wagner",
    "Karimi",
    "Adeyemi",
    "Hughes",
    "Ionescu",
    "Malik",
    "Sousa",
    "Brooks",
    "Laurent",
    "Ortega",
    "Holm",
    "Sato",
    "Levin",
    "Aziz",
    "Romero",
    "Dahl",
]
_COMPANIES = (
    ("Northwind Analytics", "northwind.example"),
    ("Bluefin Labs", "bluefin.example"),
    ("Cedar & Pine Partners", "cedarpine.example"),
    ("Helios Energy", "helios.example"),
    ("Quill Publishing", "quill.example"),
    ("Atlas Logistics", "atlas-logistics.example"),
    ("Meridian Health", "meridian.example"),
    ("Kestrel Ventures", "kestrel.example"),
    ("Orbit Robotics", "orbit.example"),
    ("Lumen Design Studio", "lumen.example"),
    ("Morgan Consulting", "morgan.example"),
)
_TOPICS = (
    "Q{q} planning",
    "Intro: {other} <> {name}",
    "Follow-up from our call",
    "Draft proposal for {company}",
    "Coffee next week?",
    "Contract renewal",
    "Slides for the board meeting",
    "Hiring: senior engineer role",
    "Conference talk idea",
    "Pilot results",
    "Budget question",
    "Thanks for the introduction",
    "Partnership next steps",
    "Quick question about the API",
    "Offsite agenda",
)
_NEWSLETTERS = (
    ("The Weekly Brief", "news@weeklybrief.example", "Issue {n}: what moved this week"),
    ("Product Hunt Daily", "hello@digest.example", "Today's top launches ({n})"),
    ("SaaS Metrics Monthly", "editor@metrics.example", "Benchmarks you asked for, #{n}"),
)


@dataclass(frozen=True, slots=True)
class SampleInfo:
    """What write_sample made: where, for whom, and the people the demo should surface."""

    maildir: Path
    calendar: Path
    owner: str
    owner_name: str
    messages: int
    events: int
    people: tuple[str, ...]
    quiet: str  # last in touch about five months ago
    awaiting_reply: str  # the owner wrote seven business days ago; no answer
    met_yesterday: str  # a 1:1 that ended yesterday
    # Issue 11: who is owed a check-in. A transactional tie (invoices, purchase orders; many
    # exchanges, nothing personal) that went quiet is tracked, not nagged; a colleague whose
    # old address went quiet and whose new one, at another company, shows up on a third
    # party's mail is written to there.
    transactional: str = ""
    moved: str = ""
    moved_to: str = ""
    # Issue 11: someone the owner often answers asked them a question four business days ago,
    # to them alone, and awaits the answer: a reply is drafted in their thread.
    owed_reply: str = ""


class _Writer:
    """Writes Maildir messages with stable names and mtimes (the delivery time)."""

    def __init__(self, maildir: Path, rng: random.Random) -> None:
        self.maildir = maildir
        self.rng = rng
        self.count = 0
        for sub in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        (maildir / ".Sent" / "maildirfolder").write_bytes(b"")

    def message_id(self, domain: str) -> str:
        return f"<{self.rng.getrandbits(64):016x}.{self.count}@{domain}>"

    def write(
        self,
        sender: tuple[str, str],
        to: list[tuple[str, str]],
        subject: str,
        when: datetime,
        *,
        body: str,
        cc: list[tuple[str, str]] | None = None,
        message_id: str | None = None,
        parent: tuple[str, tuple[str, ...]] | None = None,  # (message id, its references)
        extra: dict[str, str] | None = None,
    ) -> tuple[str, tuple[str, ...]]:
        message_id = message_id or self.message_id(sender[1].split("@")[1])
        headers = [
            ("From", _addresses([sender])),
            ("To", _addresses(to)),
            *([("Cc", _addresses(cc))] if cc else []),
            ("Subject", _text(subject)),
            ("Date", format_datetime(when)),
            ("Message-ID", message_id),
        ]
        references: tuple[str, ...] = ()
        if parent is not None:
            references = (*parent[1], parent[0])
            headers += [("In-Reply-To", parent[0]), ("References", " ".join(references))]
        headers += list((extra or {}).items())
        headers += [
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ]
        # RFC 5322: CRLF line ends; long fields folded at spaces (2.2.3) so no line passes 78.
        lines = [_fold(f"{name}: {value}") for name, value in headers]
        raw = "\r\n".join([*lines, "", *body.splitlines(), ""]).encode()
        sent = sender[1] == OWNER
        self.count += 1
        stamp = int(when.timestamp())
        name = f"{stamp}.M{self.count:06d}P7.sample"
        folder = self.maildir / ".Sent" / "cur" if sent else self.maildir / "cur"
        path = folder / f"{name}:2,S"
        path.write_bytes(raw)
        os.utime(path, (stamp, stamp))
        return message_id, references


def _text(value: str) -> str:
    """A header text, RFC 2047-encoded when it is not ASCII."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _addresses(people: list[tuple[str, str]]) -> str:
    return ", ".join(formataddr(p, charset="utf-8") for p in people)


def _fold(line: str, width: int = 78) -> str:
    if len(line) <= width:
        return line
    out, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    return "\r\n".join(out)


def _business_days_before(now: datetime, days: int) -> datetime:
    day = now
    while days:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _working_time(rng: random.Random, day: datetime) -> datetime:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day.replace(hour=rng.randint(8, 17), minute=rng.randrange(0, 60, 5), second=0)


def _people(rng: random.Random) -> list[Person]:
    names = [
        f"{f} {last}"
        for f, last in zip(rng.sample(_FIRST, 56), rng.sample(_LAST * 2, 56), strict=True)
    ]
    people = []
    for name in names:
        company, domain = rng.choice(_COMPANIES)
        first, last = name.lower().replace("á", "a").replace("é", "e").split()
        people.append(Person(name, f"{first}.{last}@{domain}", company))
    return people


def _me() -> tuple[str, str]:
    return (OWNER_NAME, OWNER)


def _threads(w: _Writer, rng: random.Random, now: datetime, people: list[Person]) -> None:
    """Conversations over the past year: frequent, regular and occasional correspondents."""
    year_ago = now - timedelta(days=365)
    for index, person in enumerate(people):
        threads = 20 if index < 10 else 9 if index < 30 else 3
        for _ in range(threads):
            start = _working_time(rng, year_ago + timedelta(days=rng.uniform(0, 340)))
            topic = rng.choice(_TOPICS).format(
                q=rng.randint(1, 4),
                other=rng.choice(people).name.split()[0],
                name=person.name.split()[0],
                company=person.company,
            )
            owner_first = rng.random() < 0.5
            cc = [(p.name, p.address) for p in rng.sample(people, rng.choice((0, 0, 1, 2)))]
            parent = None
            when = start
            for turn in range(rng.choice((1, 2, 2, 3, 4, 5))):
                mine = (turn % 2 == 0) == owner_first
                sender, to = (_me(), (person.name, person.address))
                if not mine:
                    sender, to = to, sender
                subject = topic if turn == 0 else f"Re: {topic}"
                body = f"Hi {to[0].split()[0]},\n\nA short note about {topic.lower()}.\n"
                parent = w.write(
                    sender, [to], subject, when, body=body, cc=cc or None, parent=parent
                )
                written = when
                when = _working_time(rng, when + timedelta(hours=rng.uniform(2, 60)))
                if when >= now - timedelta(days=10):
                    break
            if not mine and written >= now - _ANSWERED_WITHIN:
                _answer(w, person, topic, written, parent, cc)


# Ordinary threads whose last message is theirs and this recent get the owner's answer, so the
# sample owes exactly one reply (_owed's) at any hour and weekday the demo runs: the threads'
# days move with `now`, and a thread that happened to end with their mail 29 days before a
# Wednesday afternoon was a second reply owed (the policy's reply_owed_within is 30 days).
_ANSWERED_WITHIN = timedelta(days=45)


def _answer(
    w: _Writer,
    person: Person,
    topic: str,
    after: datetime,
    parent: tuple[str, tuple[str, ...]] | None,
    cc: list[tuple[str, str]],
) -> None:
    """The owner's short answer three hours after their message, with a Message-ID of its own
    that draws nothing from the sample's random sequence (everything after stays as it was)."""
    first = person.name.split()[0]
    w.write(
        _me(),
        [(person.name, person.address)],
        f"Re: {topic}",
        after + timedelta(hours=3),
        body=f"Hi {first},\n\nThanks, noted.\n",
        cc=cc or None,
        message_id=f"<answer.{w.count}@{OWNER.split('@')[1]}>",
        parent=parent,
    )


def _special_people(w: _Writer, rng: random.Random, now: datetime, people: list[Person]) -> None:
    """The quiet person, the unanswered one, a 1:1 yesterday, an out-of-office reply."""
    quiet, awaiting = people[-1], people[-2]
    last = now - timedelta(days=152)
    parent = None
    for months in range(7, 0, -1):  # monthly exchanges that stop five months ago
        when = _working_time(rng, last - timedelta(days=30 * months))
        parent = w.write(
            (quiet.name, quiet.address), [_me()], "Catching up", when, body="Hi Alex,\n"
        )
        reply = _working_time(rng, when + timedelta(days=1))
        parent = w.write(
            _me(),
            [(quiet.name, quiet.address)],
            "Re: Catching up",
            reply,
            body="Hi!\n",
            parent=parent,
        )
    w.write(
        (quiet.name, quiet.address),
        [_me()],
        "Re: Catching up",
        _working_time(rng, last),
        body="Talk soon.\n",
        parent=parent,
    )
    asked = _business_days_before(now, 7).replace(hour=10, minute=12, second=0)
    earlier = w.write(
        (awaiting.name, awaiting.address),
        [_me()],
        "Pricing for the pilot",
        asked - timedelta(days=20),
        body="Hi Alex,\n",
    )
    w.write(
        _me(),
        [(awaiting.name, awaiting.address)],
        "Re: Pricing for the pilot",
        asked,
        body="Here is the proposal we discussed. Does it work for your team?\n",
        parent=earlier,
    )
    away = people[3]
    asked_away = _working_time(rng, now - timedelta(days=40))
    question = w.write(
        _me(), [(away.name, away.address)], "Quick question", asked_away, body="Hi,\n"
    )
    w.write(
        (away.name, away.address),
        [_me()],
        "Automatic reply: Quick question",
        asked_away + timedelta(minutes=1),
        body="I am out of the office until Monday.\n",
        parent=question,
        extra={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )


OWED_INDEX = 6  # a frequent correspondent (the first ten have about twenty threads each)
TRANSACTIONAL = Person("Dana Whitfield", "dana.whitfield@atlas-logistics.example", "Atlas")
MOVED = Person("Jordan Reyes", "jordan.reyes@helios.example", "Helios Energy")
MOVED_TO = "jordan.reyes@solstice.example"


def _ties(w: _Writer, rng: random.Random, now: datetime, friend: Person) -> None:
    """Issue 11's cases: a transactional tie gone quiet, a colleague who moved (their new
    address only on a third party's mail), and a lunch with the quiet friend (a warm tie: the
    occasion a check-in may recall)."""
    stop = now - timedelta(days=160)
    for months in range(7, 0, -1):  # monthly invoices, answered, ending five months ago
        when = _working_time(rng, stop - timedelta(days=30 * months))
        number = 4400 + months * 17
        parent = w.write(
            (TRANSACTIONAL.name, TRANSACTIONAL.address),
            [_me()],
            f"Invoice {number}",
            when,
            body="Attached.\n",
        )
        w.write(
            _me(),
            [(TRANSACTIONAL.name, TRANSACTIONAL.address)],
            f"Re: Invoice {number}",
            _working_time(rng, when + timedelta(days=1)),
            body="Approved.\n",
            parent=parent,
        )
    quiet = now - timedelta(days=200)
    for months in range(6, 0, -1):  # a working tie that stops when Jordan leaves Helios
        when = _working_time(rng, quiet - timedelta(days=30 * months))
        parent = w.write(_me(), [(MOVED.name, MOVED.address)], "Pilot results", when, body="Hi\n")
        w.write(
            (MOVED.name, MOVED.address),
            [_me()],
            "Re: Pilot results",
            _working_time(rng, when + timedelta(days=2)),
            body="Thanks.\n",
            parent=parent,
        )
    colleague = ("Rita Okafor", "rita.okafor@kestrel.example")
    w.write(
        colleague,
        [_me(), (MOVED.name, MOVED_TO)],
        "Panel line-up for the energy forum",
        _working_time(rng, now - timedelta(days=45)),
        body="Hi both,\n",
    )
    lunch = _working_time(rng, now - timedelta(days=152 + 40))
    parent = w.write(_me(), [(friend.name, friend.address)], "Lunch on Thursday", lunch, body="?\n")
    w.write(
        (friend.name, friend.address),
        [_me()],
        "Re: Lunch on Thursday",
        lunch + timedelta(hours=2),
        body="Yes!\n",
        parent=parent,
    )


OWED_SUBJECT = "Partnership terms for the Lisbon pilot"


def _owed(w: _Writer, now: datetime, person: Person) -> None:
    """A regular correspondent's question to the owner alone, four business days ago (after
    every other message with them), still unanswered: the reply the owner owes."""
    asked = _business_days_before(now, 4).replace(hour=9, minute=40, second=0)
    w.write(
        (person.name, person.address),
        [_me()],
        OWED_SUBJECT,
        asked,
        body=f"Hi Alex,\n\nCould you let me know where you landed on the terms?\n\n"
        f"{person.name.split()[0]}\n",
    )


def _bulk(w: _Writer, rng: random.Random, now: datetime) -> None:
    """Newsletters (List-Unsubscribe, List-Id) and machine notifications (noreply senders)."""
    for name, address, subject in _NEWSLETTERS:
        domain = address.split("@")[1]
        for n in range(52):
            when = (now - timedelta(weeks=52 - n, hours=rng.randint(0, 20))).replace(second=0)
            w.write(
                (name, address),
                [_me()],
                subject.format(n=n + 100),
                when,
                body="News.\n",
                extra={
                    "List-Id": f"<{domain.split('.')[0]}.list.{domain}>",
                    "List-Unsubscribe": f"<https://{domain}/unsubscribe>",
                    "Precedence": "bulk",
                },
            )
    for n in range(40):
        when = _working_time(rng, now - timedelta(days=rng.uniform(1, 360)))
        sender = rng.choice(
            (
                ("Calendar", "calendar-notification@google.example"),
                ("GitHub", "noreply@github.example"),
                ("Expensify", "no-reply@expenses.example"),
            )
        )
        w.write(
            sender,
            [_me()],
            f"Notification #{n + 1}",
            when,
            body="Automated.\n",
            extra={"Auto-Submitted": "auto-generated"},
        )


def write_sample(folder: Path, *, seed: int = 7, now: datetime) -> SampleInfo:
    """Write the sample account into `folder` (Maildir/ and calendar.ics) and describe it."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    people = _people(rng)
    writer = _Writer(folder / "Maildir", rng)
    _threads(writer, rng, now, people[:-2])
    _special_people(writer, rng, now, people)
    _bulk(writer, rng, now)
    cal = calendar_for(rng, now, people)
    # After the calendar, on its own generator: the rest of the sample stays as it was.
    _ties(writer, random.Random(seed + 11), now, people[-1])
    _owed(writer, now, people[OWED_INDEX])
    calendar = folder / "calendar.ics"
    calendar.write_bytes(cal.to_ical())
    return SampleInfo(
        maildir=folder / "Maildir",
        calendar=calendar,
        owner=OWNER,
        owner_name=OWNER_NAME,
        messages=writer.count,
        events=len(cal.walk("VEVENT")),
        people=tuple(p.address for p in people),
        quiet=people[-1].address,
        awaiting_reply=people[-2].address,
        met_yesterday=people[0].address,
        transactional=TRANSACTIONAL.address,
        moved=MOVED.address,
        moved_to=MOVED_TO,
        owed_reply=people[OWED_INDEX].address,
    )
