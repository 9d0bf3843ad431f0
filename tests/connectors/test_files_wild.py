"""Mail as other programs write it (issue 14): each shape generated here, read by the files
connector and, where the store decides, stored through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.contract import drain, interactions
from touchbase.agent.cli.main import main
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.models import InteractionRow, QuarantinedRecord
from touchbase.agent.pipeline.store import Store
from touchbase.agent.pipeline.sync import sync_account
from touchbase.connectors.base import InteractionRecord, Page, Quarantined, Role
from touchbase.connectors.files.source import FileSource

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def message(*headers: str, body: bytes = b"Hello.\r\n") -> bytes:
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + body


def pull(path: Path) -> tuple[list[InteractionRecord], list[Quarantined]]:
    pages, _ = drain(FileSource(path, now=NOW), None)
    return interactions(pages), [q for p in pages for q in p.quarantined]


def store_of(tmp_path: Path) -> Store:
    return Store(open_database(f"sqlite:///{tmp_path / 'touchbase.db'}"))


def import_into(store: Store, path: Path, name: str = "files") -> tuple[int, int]:
    """(stored, duplicates) of one import of `path` into `store`'s account `name`."""
    account = store.ensure_account(name, "files", NOW)
    result = sync_account(store, account, name, FileSource(path, now=NOW), clock=lambda: NOW)
    assert result.status == "ok", result.error
    return result.stored, result.duplicates


# -- 14.5: a file's mtime is not a message's date ------------------------------------------------

RECEIVED = (
    "Received: from relay.example.net by mx.example.org; Tue, 5 Mar 2002 10:00:00 +0000",
    "Received: from laptop by relay.example.net; Tue, 5 Mar 2002 09:58:00 +0000",
)


def test_a_message_without_date_takes_its_newest_received_stamp_not_the_files_mtime(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    # The older stamp first: "newest" is by date, not by position.
    headers = (RECEIVED[1], RECEIVED[0], "From: old@example.com", "To: me@example.org")
    (folder / "1").write_bytes(message(*headers, "Message-ID: <2002@example.com>"))
    (folder / "2").write_bytes(
        message(*headers, "Date: someday soon", "Message-ID: <garbled@example.com>")
    )
    items, quarantined = pull(folder)
    assert quarantined == []
    assert {i.occurred_at for i in items} == {datetime(2002, 3, 5, 10, 0, tzinfo=UTC)}


def test_an_mbox_message_without_date_prefers_received_to_the_from_line(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(
        b"From someone Sat Feb  5 09:19:10 2022\n"
        + message(RECEIVED[0], "From: a@example.com", "To: b@example.com").replace(b"\r\n", b"\n")
        + b"From other Sun Feb  6 10:00:00 2022\nFrom: c@example.com\nTo: d@example.com\n\nhi\n"
    )
    items, _ = pull(path)
    assert [i.occurred_at for i in items] == [
        datetime(2002, 3, 5, 10, 0, tzinfo=UTC),  # Received, although the From_ line says 2022
        datetime(2022, 2, 6, 10, 0, tzinfo=UTC),  # no Received: the From_ line
    ]


def test_a_message_with_no_date_anywhere_is_quarantined_as_undated(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    path = folder / "undated.eml"
    path.write_bytes(message("From: ghost@example.com", "To: me@example.org", "Subject: when?"))
    os.utime(path, (time.time(), time.time()))  # copied today: must not make it today's mail
    items, quarantined = pull(folder)
    assert items == []
    assert [q.source_id for q in quarantined] == ["undated.eml"]
    assert "undated" in quarantined[0].reason and quarantined[0].location == "undated.eml"


# -- 14.6: Message-ID collisions --------------------------------------------------------------


def test_messages_sharing_a_message_id_are_two_unless_their_key_headers_match(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    shared = "Message-ID: <reused@example.com>"
    first = message(
        "From: ann@example.com",
        "To: me@example.org",
        "Date: Mon, 1 Jan 2024 10:00:00 +0000",
        shared,
    )
    (folder / "a").write_bytes(first)
    (folder / "a-copy").write_bytes(first.replace(b"Hello.", b"Hello again."))  # same headers
    (folder / "b").write_bytes(
        message(
            "From: bob@example.com",
            "To: me@example.org",
            "Date: Tue, 2 Jan 2024 10:00:00 +0000",
            shared,
        )
    )
    (folder / "c").write_bytes(  # same sender, another date: another message
        message(
            "From: ann@example.com",
            "To: me@example.org",
            "Date: Wed, 3 Jan 2024 10:00:00 +0000",
            shared,
        )
    )
    no_id = message(
        "From: dan@example.com", "To: me@example.org", "Date: Thu, 4 Jan 2024 10:00:00 +0000"
    )
    (folder / "d").write_bytes(no_id)
    (folder / "d-copy").write_bytes(no_id)
    store = store_of(tmp_path)
    assert import_into(store, folder) == (4, 2)
    with store.sessions() as session:
        rows = session.scalars(select(InteractionRow)).all()
        senders = sorted(p.address for r in rows for p in r.participants if p.role == "from")
    assert senders == ["ann@example.com", "ann@example.com", "bob@example.com", "dan@example.com"]
    # The same files again, as a new account's cursor would: nothing new, nothing doubled.
    assert import_into(store, folder, "again")[0] == 4
    stored, _ = import_into(store, folder)
    assert stored == 0


def test_two_imports_of_messages_sharing_a_message_id_list_both_senders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA's case through the real CLI: two files, two imports, one Message-ID, two senders on
    two dates. Both are people (the fold counted the second as a copy of the first); the same
    file imported again, and a Sent copy of the owner's message in an inbox, still count once."""
    shared = "Message-ID: <same@x.example>"
    files = {
        "one.eml": ("From: col1@x.example", "Date: Mon, 1 Jun 2026 10:00:00 +0000", "Subject: A"),
        "two.eml": ("From: col2@y.example", "Date: Tue, 2 Jun 2026 11:00:00 +0000", "Subject: B"),
    }
    for name, headers in files.items():
        (tmp_path / name).write_bytes(message(*headers, "To: me@example.org", shared))
    own = "Message-ID: <mine@example.org>", "Date: Wed, 3 Jun 2026 09:00:00 +0000"
    (tmp_path / "sent").mkdir()
    (tmp_path / "sent" / "mine.eml").write_bytes(
        message("From: me@example.org", "To: col2@y.example", "Subject: C", *own)
    )
    (tmp_path / "inbox").mkdir()  # a Bcc to oneself: the same message, filed again
    (tmp_path / "inbox" / "mine.eml").write_bytes(
        message("From: me@example.org", "To: col2@y.example", "Subject: C", *own)
    )
    base = ["--db", f"sqlite:///{tmp_path / 't.db'}"]
    for path in ("one.eml", "two.eml", "one.eml", "sent", "inbox"):
        assert main([*base, "import", str(tmp_path / path), "--me", "me@example.org"]) == 0
    capsys.readouterr()
    assert main([*base, "people", "--json", "--at", NOW.isoformat()]) == 0
    people = {a: p for p in json.loads(capsys.readouterr().out) for a in p["addresses"]}
    assert {"col1@x.example", "col2@y.example"} <= people.keys()
    assert people["col1@x.example"]["received_count"] == 1
    assert people["col2@y.example"]["received_count"] == 1
    assert people["col2@y.example"]["sent_count"] == 1


def test_a_page_holding_both_messages_of_a_reused_message_id_keeps_both(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(
        b"From a Mon Jan  1 10:00:00 2024\nFrom: ann@example.com\nTo: me@example.org\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <same@x>\n\nhi\n"
        b"From b Tue Jan  2 10:00:00 2024\nFrom: bob@example.com\nTo: me@example.org\n"
        b"Date: Tue, 2 Jan 2024 10:00:00 +0000\nMessage-ID: <same@x>\n\nhi\n"
    )
    store = store_of(tmp_path)
    assert import_into(store, path) == (2, 0)
    path.write_bytes(path.read_bytes())  # rewritten in place: read again whole
    assert import_into(store, path)[0] == 0


# -- 14.7: non-addresses are not people ------------------------------------------------------


def test_entries_that_are_not_addresses_are_dropped_with_a_counted_warning(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "m").write_bytes(
        message(
            "From: Ann <ann@example.com>",
            "To: foo, =?utf-16?b?2D3eAA==?=, bob@example.com",
            "Cc: Jürgen <jürgen@bücher.example>",
            "Date: Mon, 1 Jan 2024 10:00:00 +0000",
            "Message-ID: <m@example.com>",
        )
    )
    (folder / "n").write_bytes(
        message("From: foo", "To: bar", "Date: Mon, 1 Jan 2024 10:00:00 +0000")
    )
    items, quarantined = pull(folder)
    (item,) = items
    assert [(p.address, p.role) for p in item.participants] == [
        ("ann@example.com", Role.FROM),
        ("bob@example.com", Role.TO),
        ("jürgen@bücher.example", Role.CC),
    ]
    reasons = {q.source_id: q.reason for q in quarantined}
    assert set(reasons) == {"m", "n"}
    assert "'foo'" in reasons["m"] and "utf-16" in reasons["m"] and "kept" in reasons["m"]
    assert "no usable" in reasons["n"] and "'bar'" in reasons["n"]


# -- 14.8: binary is judged by the header block ---------------------------------------------


def test_a_nul_in_the_body_is_not_binary_but_one_in_the_headers_is(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    headers = ("From: a@example.com", "To: b@example.com", "Date: Mon, 1 Jan 2024 10:00:00 +0000")
    (folder / "body-nul").write_bytes(message(*headers, body=b"x" * 30_000 + b"\0raw\0"))
    (folder / "header-nul").write_bytes(message(*headers, "Subject: a\0b"))
    items, quarantined = pull(folder)
    assert len(items) == 1 and items[0].addresses() == ["a@example.com", "b@example.com"]
    assert [(q.source_id, "binary" in q.reason) for q in quarantined] == [("header-nul", True)]


# -- 13.11: symbolic links out of the tree ---------------------------------------------------


def test_a_symlink_out_of_the_tree_is_not_read_and_one_inside_is(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.write_bytes(
        message(
            "From: secret@example.com", "To: x@example.com", "Date: Mon, 1 Jan 2024 10:00:00 +0000"
        )
    )
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "cur" / "x.eml").symlink_to(outside)
    (root / "cur" / "dangling").symlink_to(tmp_path / "nowhere")
    archive = root / "archive"
    archive.mkdir()
    (archive / "kept").write_bytes(
        message(
            "From: kept@example.com", "To: me@example.org", "Date: Mon, 1 Jan 2024 10:00:00 +0000"
        )
    )
    (root / "new" / "link-to-kept").symlink_to(archive / "kept")
    items, quarantined = pull(root)
    assert {a for i in items for a in i.addresses()} == {"kept@example.com", "me@example.org"}
    reasons = {q.source_id: q.reason for q in quarantined}
    assert "outside" in reasons.pop("cur/x.eml")
    assert "secret" not in " ".join(reasons.values())


# -- 14.9: one quarantine entry per file and record ------------------------------------------


BROKEN_EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
    "BEGIN:VEVENT\r\nUID:broken@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:no start\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_the_same_broken_id_in_four_files_is_four_entries_each_naming_its_file(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "calendars"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.ics").write_text(BROKEN_EVENT)
    store = store_of(tmp_path)
    import_into(store, folder)
    import_into(store, folder, "again")
    with store.sessions() as session:
        entries = session.execute(
            select(QuarantinedRecord.source_id, QuarantinedRecord.location).where(
                QuarantinedRecord.account_id == store.ensure_account("files", "files", NOW)
            )
        ).all()
    assert sorted(location for _, location in entries) == [f"{n}.ics" for n in range(4)]


def test_a_quarantined_record_seen_again_in_its_file_is_one_entry(tmp_path: Path) -> None:
    store = store_of(tmp_path)
    account = store.ensure_account("a", "files", NOW)
    run = store.start_run(account, NOW)
    page = Page(
        quarantined=[Quarantined("x", "bad", "one.ics"), Quarantined("x", "bad", "two.ics")]
    )
    assert store.save_page(account, run, page, NOW).quarantined == 2
    store.save_page(account, run, page, NOW)
    with store.sessions() as session:
        assert len(session.scalars(select(QuarantinedRecord)).all()) == 2


@pytest.mark.parametrize("shape", ["crlf", "lf"])
def test_crlf_and_lf_mboxes_split_alike(tmp_path: Path, shape: str) -> None:
    text = (
        "From a Mon Jan  1 10:00:00 2024\nFrom: a@example.com\nTo: b@example.com\n"
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\n\nFrom here the body goes on.\n\n"
        "From b Tue Jan  2 10:00:00 2024\nFrom: c@example.com\nTo: d@example.com\n"
        "Date: Tue, 2 Jan 2024 10:00:00 +0000\n\nbye\n"
    )
    path = tmp_path / "box.mbox"
    path.write_bytes(text.replace("\n", "\r\n").encode() if shape == "crlf" else text.encode())
    items, quarantined = pull(path)
    assert [i.addresses(Role.FROM) for i in items] == [["a@example.com"], ["c@example.com"]]
    assert quarantined == []


def test_status_lists_every_quarantined_record_with_its_file_and_reason(tmp_path: Path) -> None:
    folder = tmp_path / "calendars"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.ics").write_text(BROKEN_EVENT)
    (folder / "undated.eml").write_bytes(message("From: a@example.com", "To: b@example.com"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOUCHBASE_", "XDG_"))}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), COLUMNS="200")
    base = [sys.executable, "-m", "touchbase.agent", "--db", f"sqlite:///{tmp_path / 'tb.db'}"]
    for args in (["import", str(folder)], ["status", "--quarantine"]):
        done = subprocess.run([*base, *args], capture_output=True, text=True, env=env, check=False)
        assert "Traceback" not in done.stderr, done.stderr
    listed = [line for line in done.stdout.splitlines() if "broken@t" in line]
    assert sorted(line.split(": ")[1] for line in listed) == [f"{n}.ics" for n in range(4)]
    assert any("undated.eml" in line and "undated" in line for line in done.stdout.splitlines())


def _what(pages: list[Page]) -> set[str]:
    return {i.source_id for i in interactions(pages)} | {
        f"{q.location}|{q.source_id}|{q.reason}" for p in pages for q in p.quarantined
    }


@pytest.mark.parametrize("shape", ["folder", "file", "mbox"])
def test_a_message_and_the_warning_about_it_survive_a_kill_between_pages(
    tmp_path: Path, shape: str
) -> None:
    def warned(n: int) -> bytes:
        return message(
            f"From: p{n}@example.com",
            "To: foo",  # not an address: a warning entry follows the record
            f"To: me{n}@example.org",
            "Date: Mon, 1 Jan 2024 10:00:00 +0000",
            f"Message-ID: <{n}@example.com>",
        ).replace(b"\r\n", b"\n")

    if shape == "folder":
        path = tmp_path / "mail"
        path.mkdir()
        for n in range(3):
            (path / str(n)).write_bytes(warned(n))
    elif shape == "file":
        path = tmp_path / "one.eml"
        path.write_bytes(warned(0))
    else:
        path = tmp_path / "box.mbox"
        path.write_bytes(
            b"".join(b"From x Mon Jan  1 10:00:00 2024\n" + warned(n) for n in range(3))
        )
    whole = list(FileSource(path, now=NOW, page_size=1).pull(None))
    expected = _what(whole)
    assert len(expected) == (2 if shape == "file" else 6)
    for cut in range(1, len(whole)):
        rest, _ = drain(FileSource(path, now=NOW, page_size=1), whole[cut - 1].cursor)
        assert _what(whole[:cut]) | _what(rest) == expected, cut
