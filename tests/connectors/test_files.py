"""The files connector: the Source contract over a Maildir and an mbox, and resuming anywhere."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.connectors.filesworld import MaildirWorld, MboxWorld, render
from tests.contract import SourceContract, drain, interactions, make_spec
from touchbase.connectors.base import AccountContext, Flag, InteractionRecord, Page, Role
from touchbase.connectors.errors import ConnectorError
from touchbase.connectors.files.source import FileSource, open_account
from touchbase.connectors.files.tree import folder_hint


class _NoSecrets:
    def get(self, name: str) -> str | None:
        return None

    def set(self, name: str, value: str) -> None:
        raise AssertionError("the files connector has no secrets")


CONTEXT = AccountContext(name="files", secrets=_NoSecrets(), me=("me@example.org",))


class TestMaildirContract(SourceContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> Iterator[MaildirWorld]:
        yield MaildirWorld(tmp_path)


class TestMboxContract(SourceContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> Iterator[MboxWorld]:
        yield MboxWorld(tmp_path)


def _ids(pages: list[Page]) -> list[str]:
    return [i.source_id for i in interactions(pages)] + [
        q.source_id for p in pages for q in p.quarantined
    ]


CAL = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
    "BEGIN:VEVENT\r\nUID:weekly@t\r\nDTSTART:20240101T100000Z\r\nDTEND:20240101T103000Z\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=9\r\nSUMMARY:1:1\r\nORGANIZER:mailto:me@example.org\r\n"
    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:pat@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _mixed_tree(base: Path) -> tuple[Path, MaildirWorld, MboxWorld]:
    """A folder with a Maildir, a Takeout mbox, a calendar and an Enron-style folder."""
    root = base / "export"
    root.mkdir()
    maildir = MaildirWorld(root)
    maildir.add([make_spec() for _ in range(5)] + [make_spec(sent=False) for _ in range(4)])
    box = MboxWorld(root)
    box.add([make_spec() for _ in range(6)])
    (root / "calendar.ics").write_text(CAL)
    plain = root / "enron" / "sent_items"
    plain.mkdir(parents=True)
    for n in range(1, 5):
        (plain / f"{n}.").write_bytes(render(make_spec()))
    (root / "enron" / "notes.txt").write_text("not a message\n")
    return root, maildir, box


NOW = datetime(2024, 2, 1, tzinfo=UTC)


def test_killing_an_import_after_any_page_and_resuming_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    root, _, _ = _mixed_tree(tmp_path)
    pages, _ = drain(FileSource(root, now=NOW, page_size=4), None)
    everything = _ids(pages)
    assert (
        len(everything) == len(set(everything)) == 9 + 6 + 7 + 4 + 1
    )  # 7 weekly meetings up to NOW + 14 days
    for k, page in enumerate(pages):
        assert page.cursor is not None
        rest, _ = drain(FileSource(root, now=NOW, page_size=4), page.cursor)
        assert sorted(_ids(pages[: k + 1]) + _ids(rest)) == sorted(everything), f"page {k}"


def test_mail_arriving_while_an_import_is_stopped_is_picked_up_on_resume(tmp_path: Path) -> None:
    root, maildir, box = _mixed_tree(tmp_path)
    pages = list(FileSource(root, now=NOW, page_size=4).pull(None))
    first = pages[:3]
    newer = [make_spec(), make_spec(sent=False), make_spec()]
    maildir.add(newer[:2])
    box.add(newer[2:])
    (root / "enron" / "sent_items" / "99.").write_bytes(render(make_spec(n=999)))
    rest, cursor = drain(FileSource(root, now=NOW, page_size=4), first[-1].cursor)
    got = _ids(first) + _ids(rest)
    assert len(got) == len(set(got))
    assert {s.message_id for s in newer} | {"<contract-999@touchbase.test>"} <= set(got)
    assert set(_ids(pages)) <= set(got)
    again, _ = drain(FileSource(root, now=NOW, page_size=4), cursor)
    assert _ids(again) == []


def test_folder_hints_come_from_maildir_folders_and_gmail_labels(tmp_path: Path) -> None:
    root, _, _ = _mixed_tree(tmp_path)
    pages, _ = drain(FileSource(root, now=NOW), None)
    folders = {i.folder for i in interactions(pages)}
    assert folders == {"sent", "inbox", "calendar"}
    meeting = next(i for i in interactions(pages) if i.folder == "calendar")
    assert meeting.addresses(Role.ATTENDEE) == ["pat@example.com"]


@pytest.mark.parametrize(
    ("parts", "hint"),
    [
        (["Sent"], "sent"),
        (["sent_items"], "sent"),
        (["_sent_mail"], "sent"),
        (["Sent Items"], "sent"),
        (["INBOX", "Sent"], "sent"),
        (["[Gmail]", "Sent Mail"], "sent"),
        (["Sent", "2019"], "sent"),
        (["Drafts"], "drafts"),
        (["INBOX"], "inbox"),
        ([], "inbox"),
        (["bankrupt", "bridgeline"], "bankrupt/bridgeline"),
        (["sent-feedback"], "sent-feedback"),
    ],
)
def test_folder_names_that_say_sent_drafts_or_inbox_become_those_hints(
    parts: list[str], hint: str
) -> None:
    assert folder_hint(parts) == hint


def test_a_message_in_a_drafts_folder_is_flagged_draft(tmp_path: Path) -> None:
    drafts = tmp_path / "Maildir" / ".Drafts" / "cur"
    drafts.mkdir(parents=True)
    (tmp_path / "Maildir" / "cur").mkdir()
    (drafts / "1.M1.host:2,D").write_bytes(render(make_spec()))
    pages, _ = drain(FileSource(tmp_path / "Maildir"), None)
    (item,) = interactions(pages)
    assert item.folder == "drafts" and Flag.DRAFT in item.flags


def test_a_maildir_message_moved_from_new_to_cur_is_the_same_source_id(tmp_path: Path) -> None:
    world = MaildirWorld(tmp_path)
    world.add([make_spec(sent=False)])
    pages, cursor = drain(world.source(), None)
    (path,) = list((world.root / "new").iterdir())
    path.rename(world.root / "cur" / f"{path.name}:2,S")
    later, _ = drain(world.source(), cursor)
    # Re-read once at most (its ctime changed), and always with the same id: the store dedups.
    assert {i.source_id for i in interactions(later)} <= {i.source_id for i in interactions(pages)}


def test_an_mbox_rewritten_in_place_is_read_again_whole_and_marked_resync(tmp_path: Path) -> None:
    world = MboxWorld(tmp_path)
    specs = [make_spec() for _ in range(4)]
    world.add(specs)
    pages, cursor = drain(world.source(), None)
    with world.path.open("r+b") as f:  # a mail client expunged the first message (same inode)
        data = f.read()
        second = data.index(b"\nFrom ", 1) + 1
        f.seek(0)
        f.write(data[second:])
        f.truncate()
    world.add([make_spec()])
    again, _ = drain(world.source(), cursor)
    assert again[0].resync
    assert len(interactions(again)) == 4
    assert {i.source_id for i in interactions(again)} - {i.source_id for i in interactions(pages)}


def test_a_message_without_message_id_gets_the_same_id_on_every_import(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    raw = render(make_spec()).replace(b"Message-ID: <", b"X-Old-Id: <")
    (folder / "1").write_bytes(raw)
    first = interactions(drain(FileSource(folder), None)[0])
    second = interactions(drain(FileSource(folder), None)[0])
    assert first[0].source_id == second[0].source_id
    assert first[0].source_id.startswith("sha1:") and first[0].message_id is None


def test_unusable_files_are_quarantined_with_where_and_why(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "binary").write_bytes(b"\x00\x01PNG")
    (folder / "no-address").write_bytes(b"Subject: hi\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n")
    (folder / "huge").write_bytes(b"X-Junk: " + b"a" * 400_000)
    (folder / ".hidden").write_bytes(b"ignored")
    pages, _ = drain(FileSource(folder), None)
    reasons = {q.source_id: q.reason for p in pages for q in p.quarantined}
    assert set(reasons) == {"binary", "no-address", "huge"}
    assert {q.location for p in pages for q in p.quarantined} == set(reasons)  # each its file
    assert "binary" in reasons["binary"] and "no usable" in reasons["no-address"]
    assert "header block" in reasons["huge"]
    assert interactions(pages) == []


def test_cursor_is_compact_json(tmp_path: Path) -> None:
    world = MaildirWorld(tmp_path)
    world.add([make_spec() for _ in range(20)])
    _, cursor = drain(world.source(), None)
    assert cursor is not None and json.loads(cursor)["v"] == 1
    assert len(cursor) < 4000


def test_open_account_checks_its_settings(tmp_path: Path) -> None:
    source = open_account({"path": str(tmp_path), "lookahead_days": 3}, CONTEXT)
    assert isinstance(source, FileSource) and source.lookahead.days == 3
    for bad in ({}, {"path": str(tmp_path / "missing")}, {"path": str(tmp_path), "page_size": 0}):
        with pytest.raises(ConnectorError) as error:
            open_account(bad, CONTEXT)
        assert error.value.advice


def test_a_missing_path_is_an_account_error_not_a_crash(tmp_path: Path) -> None:
    source = FileSource(tmp_path / "gone")
    with pytest.raises(ConnectorError):
        list(source.pull(None))


def test_an_mbox_records_quarantine_entries_name_the_mbox(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(b"From x Sat Feb  5 09:19:10 2022\nSubject: nobody\n\nhi\n")
    pages, _ = drain(FileSource(tmp_path), None)
    (entry,) = [q for p in pages for q in p.quarantined]
    assert (entry.source_id, entry.location) == ("box.mbox@0", "box.mbox")


def test_mbox_dates_fall_back_to_the_from_line(tmp_path: Path) -> None:
    path = tmp_path / "old.mbox"
    path.write_bytes(b"From someone Sat Feb  5 09:19:10 2022\nFrom: a@x.org\nTo: b@y.org\n\nhi\n")
    (item,) = interactions(drain(FileSource(path), None)[0])
    assert item.occurred_at == datetime(2022, 2, 5, 9, 19, 10, tzinfo=UTC)
    assert isinstance(item, InteractionRecord) and os.path.exists(path)


def test_a_large_calendar_streams_and_resumes_from_any_page_losing_and_doubling_nothing(
    tmp_path: Path,
) -> None:
    """Calendars stream one event at a time (issue 13.1); a page boundary may fall anywhere."""
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:e{n}@t\r\nDTSTART:202401{1 + n % 28:02d}T{n % 24:02d}0000Z\r\n"
        f"SUMMARY:E{n}\r\nATTENDEE:mailto:p{n}@example.com\r\nEND:VEVENT\r\n"
        for n in range(40)
    )
    broken = "BEGIN:VEVENT\r\nUID:broken@t\r\nDTSTART:nonsense\r\nEND:VEVENT\r\n"
    path = tmp_path / "big.ics"
    path.write_text(CAL.replace("END:VCALENDAR\r\n", events + broken + "END:VCALENDAR\r\n"))
    pages, _ = drain(FileSource(path, now=NOW, page_size=6), None)
    everything = _ids(pages)
    assert len(everything) == len(set(everything)) == 7 + 40 + 1
    assert len(pages) > 5
    for k, page in enumerate(pages):
        rest, _ = drain(FileSource(path, now=NOW, page_size=6), page.cursor)
        assert sorted(_ids(pages[: k + 1]) + _ids(rest)) == sorted(everything), f"page {k}"
