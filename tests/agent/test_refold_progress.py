"""A full refold of the persisted contact state shows a bar on a terminal (issue 16), only when
one happens, and the service hands the refold's progress to it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from touchbase.agent.cli import output
from touchbase.agent.pipeline.config import Config, Me
from touchbase.agent.service import Service
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

ME = "me@example.com"
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


def _mail(i: int, sender: str, to: str) -> InteractionRecord:
    return InteractionRecord(
        source_id=f"m{i}",
        kind=Kind.MAIL,
        occurred_at=NOW - timedelta(days=30 - i),
        participants=(Participant(sender, Role.FROM), Participant(to, Role.TO)),
        subject=f"note {i}",
        message_id=f"<m{i}@example.com>",
    )


def test_the_service_reports_a_full_refold_once_and_nothing_after(tmp_path: Path) -> None:
    service = Service(Config(me=Me(addresses=(ME,))), f"sqlite:///{tmp_path / 'tb.db'}")
    account = service.store.ensure_account("mail", "files", NOW)
    run = service.store.start_run(account, NOW)
    records = [
        _mail(i, *((ME, "ann@example.com") if i % 2 else ("ann@example.com", ME))) for i in range(6)
    ]
    service.store.save_page(account, run, Page(records, cursor="c1"), NOW)
    service.store.finish_run(run, "ok", NOW)
    seen: list[tuple[int, int]] = []
    service.refold_progress = lambda done, total: seen.append((done, total))
    service.people(NOW)
    assert seen and seen[0] == (0, 6) and seen[-1] == (6, 6)
    seen.clear()
    service.people(NOW)  # the state is current: no refold, no bar
    assert seen == []


def test_the_bar_appears_at_the_first_report_and_goes_at_the_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(output, "made", lambda _console: terminal)
    bar = output.RefoldBar()
    bar(0, 20_000)
    assert bar._bar is not None and bar._bar.live.is_started
    bar(10_000, 20_000)
    bar(20_000, 20_000)
    assert bar._bar is None
    assert "Refolding contacts" in screen.getvalue()
    shown = screen.getvalue()
    small = output.RefoldBar()
    small(0, 9_000)
    small(9_000, 9_000)
    assert small._bar is None and screen.getvalue() == shown  # a short refold: no flicker


def test_no_bar_when_the_error_stream_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "errors", Console(file=io.StringIO()))  # a pipe, a file
    assert output.refold_bar() is None
    monkeypatch.setattr(output, "errors", Console(file=io.StringIO(), force_terminal=True))
    assert isinstance(output.refold_bar(), output.RefoldBar)
