"""Hostile mail through the real `touchbase import` under 1 GiB and 60 s (issues 13 and 14).

Each writer makes one hostile shape (a writer `(path, scale)` for bench/hostile.py as well); the
tests check that every message is stored or quarantined with a reason, and nothing else.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tests.hostile import ImportOutcome
from tests.hostile.conftest import RunImport

DATE = "Mon, 1 Jan 2024 10:00:00 +0000"


def _message(n: int, *extra: str, body: bytes = b"hi\n") -> bytes:
    headers = (f"From: p{n}@example.com", "To: me@example.org", f"Date: {DATE}", *extra)
    return ("\n".join(headers) + f"\nMessage-ID: <{n}@example.com>\n\n").encode() + body


def tiny_messages(path: Path, scale: int = 1) -> None:
    """An mbox of 100,000 (x scale) tiny messages, each from another sender."""
    with path.open("wb") as f:
        for n in range(100_000 * scale):
            f.write(b"From x Mon Jan  1 10:00:00 2024\n" + _message(n))


def endless_header(path: Path, scale: int = 1) -> None:
    """One .eml whose header block never ends: 8 MiB (x scale) of short header lines."""
    with path.open("wb") as f:
        f.write(b"From: a@example.com\nTo: b@example.com\n")
        line = b"X-Filler: " + b"a" * 60 + b"\n"
        f.write(line * (8 * (1 << 20) * scale // len(line)))


def huge_header_line(path: Path, scale: int = 1) -> None:
    """An mbox whose second message has a 16 MiB (x scale) Subject and no line end."""
    with path.open("wb") as f:
        f.write(b"From x Mon Jan  1 10:00:00 2024\n" + _message(1))
        f.write(b"From x Mon Jan  1 10:00:00 2024\n" + _message(2)[:-4])
        f.write(b"Subject: " + b"s" * (16 * (1 << 20) * scale))
        f.write(b"\n\nFrom x Mon Jan  1 10:00:00 2024\n" + _message(3))


def _account(outcome: ImportOutcome) -> tuple[set[str], dict[str, str]]:
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    return outcome.source_ids, outcome.quarantined


def test_a_hundred_thousand_tiny_messages_import_within_the_limits(
    tmp_path: Path, run_import: RunImport
) -> None:
    path = tmp_path / "tiny.mbox"
    tiny_messages(path)
    stored, quarantined = _account(run_import(path))
    assert len(stored) == 100_000 and quarantined == {}


def test_endless_and_huge_header_blocks_are_quarantined_and_their_neighbours_kept(
    tmp_path: Path, run_import: RunImport
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    endless_header(folder / "endless.eml")
    huge_header_line(folder / "huge.mbox")
    stored, quarantined = _account(run_import(folder))
    assert stored == {"<1@example.com>", "<3@example.com>"}
    assert set(quarantined) == {"endless.eml", next(k for k in quarantined if "huge.mbox@" in k)}
    assert all("header block" in reason for reason in quarantined.values())


def test_nuls_symlinks_undated_mail_and_broken_encodings(
    tmp_path: Path, run_import: RunImport
) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    cur = root / "cur"
    (cur / "body-nul").write_bytes(_message(1, body=b"\0" * 1000))
    (cur / "header-nul").write_bytes(_message(2, "Subject: a\0b"))
    (cur / "passwd.eml").symlink_to("/etc/passwd")
    (cur / "undated").write_bytes(b"From: ghost@example.com\nTo: me@example.org\n\nwhen?\n")
    (cur / "encodings").write_bytes(
        b"From: \xff\xfe <p3@example.com>\nTo: me@example.org\nDate: "
        + DATE.encode()
        + b"\nCc: =?utf-16?b?2D3eAA==?=, =?x-unknown?q?abc?= <c@example.com>, foo"
        + b"\nSubject: =?utf-8?b?////?= caf\xe9\nMessage-ID: <3@example.com>\n\nhi\n"
    )
    (cur / "escape").write_bytes(
        _message(4, "Subject: \x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\")
    )
    outcome = run_import(root)
    stored, quarantined = _account(outcome)
    assert stored == {"<1@example.com>", "<3@example.com>", "<4@example.com>"}
    assert set(quarantined) == {f"cur/{n}" for n in ("header-nul", "passwd.eml", "undated")} | {
        "cur/encodings"
    }
    assert "binary" in quarantined["cur/header-nul"]
    assert "outside" in quarantined["cur/passwd.eml"]
    assert "undated" in quarantined["cur/undated"]
    assert "not an e-mail address" in quarantined["cur/encodings"]  # kept without 'foo'
    assert "root:" not in outcome.stdout + outcome.stderr + "".join(quarantined.values())


def test_two_imports_of_one_mbox_at_once_report_what_each_stored(
    tmp_path: Path, run_import: RunImport
) -> None:
    """Issue 13.10: 20,000 and 16,000 "new" for a mailbox of 20,000."""
    path = tmp_path / "shared.mbox"
    with path.open("wb") as f:
        for n in range(20_000):
            f.write(b"From x Mon Jan  1 10:00:00 2024\n" + _message(n))
    outcomes: list[ImportOutcome] = []
    runs = [threading.Thread(target=lambda: outcomes.append(run_import(path))) for _ in "ab"]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert len(outcomes) == 2
    assert sum(o.stored for o in outcomes) == 20_000, [o.stored for o in outcomes]
    assert len(outcomes[-1].source_ids) == 20_000
