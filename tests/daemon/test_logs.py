"""Structured logs: one line per event, no secrets ever, no addresses or subjects at INFO."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator

import pytest

from touchbase.agent import logs


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    out = io.StringIO()
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_info_hides_addresses_and_subjects_and_keeps_the_rest(stream: io.StringIO) -> None:
    logs.setup(logging.DEBUG, stream=stream)
    log = logging.getLogger("touchbase.connectors.imap.account")
    logs.event(
        log,
        logging.INFO,
        "message skipped",
        account="work",
        subject="Your offer from ACME",
        to=["ada@example.org"],
        count=3,
    )
    log.warning("cannot parse From: Ada <ada.lovelace@example.org> in folder %s", "Sent")
    text = stream.getvalue()
    assert "example.org" not in text and "ACME" not in text
    assert "account=work" in text and "count=3" in text and "folder Sent" in text
    assert text.count(logs.ADDRESS_MASK) == 2
    assert len(lines(stream)) == 2


def test_debug_keeps_addresses_for_the_owner_but_never_secrets(stream: io.StringIO) -> None:
    logs.setup(logging.DEBUG, stream=stream)
    log = logging.getLogger("touchbase.connectors.google.gmail")
    log.debug("fetching for ada@example.org with Authorization: Bearer ya29.SECRETVALUE")
    logs.event(log, logging.DEBUG, "token refreshed", refresh_token="1//SECRET", user="ada")
    log.debug('response {"access_token": "SECRET2", "expires_in": 3599}')
    log.debug("login password=hunter2 ok")
    text = stream.getvalue()
    assert "ada@example.org" in text
    for secret in ("SECRETVALUE", "1//SECRET", "SECRET2", "hunter2"):
        assert secret not in text
    assert "expires_in" in text and "user=ada" in text


def test_a_traceback_stays_on_one_line_and_is_redacted(stream: io.StringIO) -> None:
    logs.setup(logging.INFO, stream=stream)
    try:
        raise ValueError("bad header for bob@example.net")
    except ValueError:
        logging.getLogger("touchbase.agent.pipeline.sync").exception("account work failed")
    assert len(lines(stream)) == 1
    assert "ValueError" in stream.getvalue() and "bob@example.net" not in stream.getvalue()


def test_json_lines(stream: io.StringIO) -> None:
    logs.setup(logging.INFO, fmt="json", stream=stream)
    logs.event(
        logging.getLogger("touchbase.agent.daemon.cycle"),
        logging.INFO,
        "cycle done",
        cycle=2,
        ok=True,
    )
    record = json.loads(lines(stream)[0])
    assert record["event"] == "cycle done" and record["cycle"] == 2 and record["ok"] is True
    assert record["level"] == "info" and record["logger"] == "touchbase.agent.daemon.cycle"


def test_under_journald_lines_carry_a_priority_instead_of_a_timestamp(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    read, write = os.pipe()
    with os.fdopen(write, "w") as journal, os.fdopen(read) as reader:
        stat = os.fstat(journal.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{stat.st_dev}:{stat.st_ino}")
        logs.setup(logging.INFO, stream=journal)
        logging.getLogger("touchbase.agent").warning("account failed")
        logging.getLogger("touchbase.agent").info("cycle done")
        journal.flush()
        first, second = os.read(reader.fileno(), 4096).decode().splitlines()
    assert first.startswith("<4>level=warning") and second.startswith("<6>level=info")
    assert "ts=" not in first
