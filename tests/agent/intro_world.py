"""A generated mailbox for introductions (issue 20): relationships at three organisations.

The owner (Olivia, me@owner.example) writes with Anna (acme.example) and Ben (globex.example)
about battery storage pilots, never with both at once; with Carl (initech.example) about
battery costs, once with Anna on Cc (so Anna and Carl shared a thread); with Dana,
Anna's colleague at acme.example; and Eve (hooli.example) wrote once (not a relationship).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ME = "me@owner.example"
ANNA = "anna.archer@acme.example"
BEN = "ben.baker@globex.example"
CARL = "carl.cole@initech.example"
DANA = "dana.dorn@acme.example"
EVE = "eve.east@hooli.example"
NAMES = {
    ME: "Olivia Owner",
    ANNA: "Anna Archer",
    BEN: "Ben Baker",
    CARL: "Carl Cole",
    DANA: "Dana Dorn",
    EVE: "Eve East",
}
START = datetime(2023, 6, 5, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)


def message(
    folder: Path,
    name: str,
    sender: str,
    to: list[str],
    subject: str,
    at: datetime,
    message_id: str,
    *,
    cc: list[str] = (),  # type: ignore[assignment]
    in_reply_to: str | None = None,
) -> None:
    lines = [
        f'From: "{NAMES[sender]}" <{sender}>',
        "To: " + ", ".join(f'"{NAMES[a]}" <{a}>' for a in to),
    ]
    if cc:
        lines.append("Cc: " + ", ".join(f'"{NAMES[a]}" <{a}>' for a in cc))
    lines += [f"Subject: {subject}", f"Date: {format_datetime(at)}", f"Message-ID: {message_id}"]
    if in_reply_to:
        lines += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    lines += ["", "(body not read)", ""]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\r\n".join(lines), encoding="utf-8")


def exchange(
    folder: Path,
    who: str,
    subject: str,
    start: datetime,
    days: int,
    cc: list[str] = [],  # noqa: B006
) -> None:
    """The owner writes on `days` distinct days and `who` answers each time."""
    tag = who.split("@")[0]
    for n in range(days):
        at = start + timedelta(days=9 * n)
        mid = f"<{tag}.{n}.{subject.replace(' ', '')}@owner.example>"
        message(folder, f"{tag}-{subject[:8]}-{n}-out.eml", ME, [who], subject, at, mid, cc=cc)
        message(
            folder,
            f"{tag}-{subject[:8]}-{n}-in.eml",
            who,
            [ME],
            f"Re: {subject}",
            at + timedelta(hours=3),
            f"<{tag}.{n}.r.{subject.replace(' ', '')}@x.example>",
            in_reply_to=mid,
        )


def mailbox(folder: Path, start: datetime = START) -> Path:
    """The mailbox, its first message at `start` (its last about 75 days later)."""
    exchange(folder, ANNA, "Battery storage pilot", start, 4)
    exchange(folder, BEN, "Storage pilot sites", start + timedelta(days=2), 4)
    exchange(folder, CARL, "Battery costs", start + timedelta(days=4), 3)
    exchange(folder, DANA, "Battery storage pilot budget", start + timedelta(days=5), 3)
    # Carl's thread once had Anna on Cc: they know each other already.
    message(
        folder,
        "carl-cc-anna.eml",
        ME,
        [CARL],
        "Grid tariffs",
        start + timedelta(days=60),
        "<carl.cc@owner.example>",
        cc=[ANNA],
    )
    message(
        folder,
        "eve.eml",
        EVE,
        [ME],
        "Battery storage pilot",
        start + timedelta(days=70),
        "<eve@hooli.example>",
    )
    return folder
