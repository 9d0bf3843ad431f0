"""The demo's sample account: deterministic, realistic, and always with someone due."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.contract import drain, interactions
from touchbase.agent.demo.mailbox import OWNER, SampleInfo, write_sample
from touchbase.connectors.base import Flag, InteractionRecord, Kind, Response, Role
from touchbase.connectors.files.source import FileSource

NOW = datetime(2025, 6, 11, 15, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleInfo, list[InteractionRecord]]:
    folder = tmp_path_factory.mktemp("sample")
    info = write_sample(folder, now=NOW)
    pages, _ = drain(FileSource(folder, now=NOW), None)
    assert not [q for p in pages for q in p.quarantined]
    return info, interactions(pages)


def _with(items: list[InteractionRecord], address: str) -> list[InteractionRecord]:
    return sorted((i for i in items if address in i.addresses()), key=lambda i: i.occurred_at)


def test_a_year_of_mail_in_inbox_and_sent(
    sample: tuple[SampleInfo, list[InteractionRecord]],
) -> None:
    info, items = sample
    mail = [i for i in items if i.kind is Kind.MAIL]
    assert len(mail) == info.messages and 1300 <= len(mail) <= 1700
    assert {i.folder for i in mail} == {"inbox", "sent"}
    assert all(NOW - timedelta(days=400) < i.occurred_at < NOW for i in items if i.kind == "mail")
    sent = [i for i in mail if i.folder == "sent"]
    assert sent and all(i.addresses(Role.FROM) == [OWNER] for i in sent)
    replies = [i for i in mail if i.in_reply_to]
    assert len(replies) > 300 and all(i.references[-1] == i.in_reply_to for i in replies)


def test_newsletters_notifications_and_an_out_of_office_are_flagged(
    sample: tuple[SampleInfo, list[InteractionRecord]],
) -> None:
    _, items = sample
    assert sum(Flag.BULK in i.flags for i in items) >= 100
    assert sum(Flag.AUTOMATED in i.flags and Flag.AUTO_REPLY not in i.flags for i in items) >= 2
    assert sum(Flag.AUTO_REPLY in i.flags for i in items) == 1


def test_the_people_the_demo_surfaces(sample: tuple[SampleInfo, list[InteractionRecord]]) -> None:
    info, items = sample
    quiet = _with(items, info.quiet)
    assert timedelta(days=140) < NOW - quiet[-1].occurred_at < timedelta(days=165)
    assert len(quiet) >= 10
    awaiting = _with(items, info.awaiting_reply)
    assert awaiting[-1].addresses(Role.FROM) == [OWNER]
    assert awaiting[-1].occurred_at.date() == datetime(2025, 6, 2, tzinfo=UTC).date()  # 7 bdays
    met = [i for i in _with(items, info.met_yesterday) if i.kind is Kind.MEETING]
    yesterday = [m for m in met if m.ended_at and m.ended_at.date() == (NOW.date() - timedelta(1))]
    assert len(yesterday) == 1 and set(yesterday[0].addresses()) == {OWNER, info.met_yesterday}


def test_the_calendar_has_the_meeting_shapes_real_ones_have(
    sample: tuple[SampleInfo, list[InteractionRecord]],
) -> None:
    _, items = sample
    meetings = [i for i in items if i.kind is Kind.MEETING]
    people = {a for m in meetings for a in m.addresses(Role.ATTENDEE, Role.ORGANIZER)}
    assert 40 <= len(people - {OWNER}) <= 50
    assert any(len(m.participants) >= 40 for m in meetings)  # the all-hands
    assert any(Flag.CANCELLED in m.flags for m in meetings)
    assert any(
        p.address == OWNER and p.response is Response.DECLINED
        for m in meetings
        for p in m.participants
    )
    assert any(p.resource for m in meetings for p in m.participants)
    assert any("/" in m.source_id for m in meetings)  # recurring series expanded


def test_the_sample_is_deterministic_and_rfc5322_clean(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    first = write_sample(one, now=NOW)
    write_sample(two, now=NOW)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
    for f in files[::25]:
        if f.suffix == ".ics" or f.name == "maildirfolder":
            continue
        raw = (one / f).read_bytes()
        assert b"\r\n\r\n" in raw and max(len(line) for line in raw.split(b"\r\n")) <= 998
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert not message.defects and message["Message-ID"] and message["Date"].datetime
    other = write_sample(tmp_path / "three", now=NOW, seed=8)
    assert other.people != first.people


def test_now_must_be_aware(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_sample(tmp_path, now=datetime(2025, 1, 1))
