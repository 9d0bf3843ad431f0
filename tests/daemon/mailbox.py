"""A large, realistic mbox for the daemon's crash tests (headers as mail clients write them)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
DOMAINS = ["example.org", "example.com", "example.net", "mail.example.edu", "corp.example"]
TOPICS = [
    "Q3 planning",
    "lunch next week?",
    "the draft proposal",
    "intro: two people to meet",
    "thanks for yesterday",
    "hiring update",
    "conference talk",
    "invoice 2023-114",
]


def messages(
    count: int, *, seed: int = 7, end: datetime | None = None
) -> list[tuple[datetime, str, list[str]]]:
    """`count` messages (date, From_ line, header and body lines): half sent by the owner,
    a third of them replies with In-Reply-To and References, display names quoted or not."""
    rng = random.Random(seed)
    people = [
        (f"{f} {last}", f"{f.lower()}.{last.lower()}@{rng.choice(DOMAINS)}")
        for f in FIRST
        for last in LAST
    ]
    me = ("Owner Person", "me@example.com")
    # Ending `end` (default: 2024-01) so a test can make the history recent enough to draft from.
    last = end or datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
    start = last - timedelta(minutes=53 * count)
    ids: list[str] = []
    out = []
    for n in range(count):
        when = start + timedelta(minutes=53 * n + rng.randint(0, 40))
        other = rng.sample(people, rng.randint(1, 3))
        sender, recipients = (me, other) if n % 2 == 0 else (other[0], [me, *other[1:]])
        message_id = f"<{n}.{rng.getrandbits(40):x}@{sender[1].split('@')[1]}>"
        from_line = f"From {sender[1]} {when.strftime('%a %b %d %H:%M:%S %Y')}"
        lines = [
            f'From: "{sender[0]}" <{sender[1]}>',
            "To: " + ", ".join(f'"{name}" <{address}>' for name, address in recipients[:1]),
        ]
        if len(recipients) > 1:
            lines.append("Cc: " + ", ".join(f"{name} <{a}>" for name, a in recipients[1:]))
        subject = rng.choice(TOPICS)
        if ids and rng.random() < 0.4:
            parent = rng.choice(ids[-50:])
            lines += [f"In-Reply-To: {parent}", f"References: {parent}"]
            subject = "Re: " + subject
        lines += [
            f"Subject: {subject}",
            f"Date: {format_datetime(when)}",
            f"Message-ID: {message_id}",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Hello,",
            "",
            ">From the notes: a quoted From_ line that is not a separator.",
            f"Best, {sender[0].split()[0]}",
            "",
        ]
        ids.append(message_id)
        out.append((when, from_line, lines))
    return out


def write_mbox(path: Path, count: int, *, seed: int = 7, end: datetime | None = None) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for _when, from_line, lines in messages(count, seed=seed, end=end):
            f.write(from_line + "\n" + "\n".join(lines) + "\n")


def write_maildir(path: Path, count: int, *, seed: int = 7) -> None:
    """A Maildir (new/ cur/ tmp/); file names as Dovecot writes them (time.unique.host:2,S)."""
    for sub in ("new", "cur", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    for n, (when, _from_line, lines) in enumerate(messages(count, seed=seed)):
        name = f"{int(when.timestamp())}.M{n}P1.test:2,S"
        (path / "cur" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
