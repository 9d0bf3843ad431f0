"""Dead addresses from Gmail (issue 18): Gmail's own delivery failures carry X-Failed-Recipients,
asked for with the other header fields in messages.get(format=metadata); end to end through the
real google-api-python-client, the fake Google, the CLI's store and the rules."""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.test_life_events_bounces import JANE, ME, exchange, gmail, postfix
from tests.connectors.test_gmail_auth import ConsentingBrowser
from tests.fakes.google import FakeGoogle
from tests.fakes.google.client import client_file, settings, signed_in
from tests.fakes.google.wire import Call, Reply
from touchbase.agent.cli.main import main
from touchbase.connectors.base import Flag, Role
from touchbase.connectors.google import gmail as gmail_connector

BOB = "bob@globex.example"
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
AT = "2024-06-01T12:00:00+00:00"


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle(address=ME) as server:
        yield server


def _message(when: str, sender: str, to: str, subject: str, ident: str) -> list[tuple[str, str]]:
    return [
        ("From", sender),
        ("To", to),
        ("Subject", subject),
        ("Date", when),
        ("Message-ID", f"<{ident}>"),
    ]


def _friendship(fake: FakeGoogle, address: str) -> None:
    """Two-way mail with `address` once a month through 2023."""
    for m, month in enumerate(_MONTHS, start=1):
        day = f"Mon, 2 {month} 2023"
        fake.gmail.add_message(
            _message(f"{day} 10:00:00 +0000", ME, address, f"lunch plans {m}", f"o{m}{address}"),
            ("SENT",),
        )
        fake.gmail.add_message(
            _message(f"{day} 12:00:00 +0000", address, ME, "re", f"i{m}{address}"), ("INBOX",)
        )


def test_a_gmail_bounce_names_its_failed_recipient_from_headers_alone(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    fake.gmail.add_raw(gmail(JANE), ("INBOX",))
    # A Postfix report-only bounce: its recipient is in the report part, which format=metadata
    # cannot read; it stays an ordinary (automated) notice and names no one.
    fake.gmail.add_raw(postfix(BOB), ("INBOX",))
    queries: list[dict[str, list[str]]] = []
    original = fake.gmail._get_message

    def spy(call: Call, msg_id: str) -> Reply:
        queries.append(call.query)
        return original(call, msg_id)

    fake.gmail._get_message = spy  # type: ignore[method-assign]
    account = gmail_connector.open_account(settings(fake, tmp_path), signed_in(fake))
    try:
        records = [r for page in account.pull(None) for r in page.interactions]
    finally:
        account.close()
    failed = {r.subject: sorted(r.addresses(Role.FAILED)) for r in records}
    assert failed == {
        "Delivery Status Notification (Failure)": [JANE],
        "Undelivered Mail Returned to Sender": [],
    }
    bounce = next(r for r in records if r.addresses(Role.FAILED))
    assert Flag.AUTOMATED in bounce.flags
    # Only metadata was asked for, and the bounce field among the headers.
    assert queries and all(q["format"] == ["metadata"] for q in queries)
    assert all("X-Failed-Recipients" in q["metadataHeaders"] for q in queries)


def _ndr_in_thread(fake: FakeGoogle, to: tuple[str, ...], ident: str) -> None:
    """The owner's message to `to`, and an Exchange NDR naming the failed address only in its
    report part, with In-Reply-To/References naming that message, filed in its thread."""
    sent = _message("Tue, 5 Mar 2024 08:58:00 +0000", ME, ", ".join(to), "Lunch next week?", ident)
    original = fake.gmail.add_message([*sent, ("Cc", ME)], ("SENT",))  # a copy to oneself
    raw = exchange(to[0]).replace(
        b"Subject: Undeliverable:",
        f"In-Reply-To: <{ident}>\r\nReferences: <{ident}>\r\nSubject: Undeliverable:".encode(),
    )
    thread = fake.gmail.messages[original].thread_id
    fake.gmail.add_raw(raw, ("INBOX",), thread_id=thread)


def test_a_report_only_bounce_names_the_sole_recipient_of_the_message_it_returns(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    _ndr_in_thread(fake, (JANE,), "lunch@owner.example")
    # Sent to two: the NDR's headers cannot say which of them failed.
    _ndr_in_thread(fake, (BOB, "carl@initech.example"), "agenda@owner.example")
    fake.gmail.add_raw(postfix(BOB), ("INBOX",))  # no In-Reply-To: no thread is asked for
    threads: list[dict[str, list[str]]] = []
    original = fake.gmail._get_thread

    def spy(call: Call, thread_id: str) -> Reply:
        threads.append(call.query)
        return original(call, thread_id)

    fake.gmail._get_thread = spy  # type: ignore[method-assign]
    account = gmail_connector.open_account(settings(fake, tmp_path), signed_in(fake))
    try:
        records = [r for page in account.pull(None) for r in page.interactions]
    finally:
        account.close()
    failed = [sorted(r.addresses(Role.FAILED)) for r in records if r.folder == "inbox"]
    assert sorted(failed) == [[], [], [JANE]]
    assert len(threads) == 2  # the two NDRs' threads, nothing else
    assert all(q["format"] == ["metadata"] for q in threads)
    assert all(q["metadataHeaders"] == gmail_connector.THREAD_HEADERS for q in threads)


def test_end_to_end_no_draft_goes_to_an_address_gmail_said_bounced(
    fake: FakeGoogle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake token endpoint is http
    browser = ConsentingBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)
    _friendship(fake, JANE)
    _friendship(fake, BOB)
    fake.gmail.add_raw(gmail(JANE), ("INBOX",))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[me]\nname = "Olivia Owner"\naddresses = ["{ME}"]\n\n'
        f'[[account]]\nname = "gmail"\ntype = "gmail"\n'
        f'client_file = "{client_file(fake, tmp_path)}"\napi_root = "{fake.url}"\n'
    )
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 't.db'}"]
    assert main([*base, "auth", "gmail"]) == 0
    assert main([*base, "sync", "--json"]) == 0
    capsys.readouterr()

    assert main([*base, "drafts", "create", "--at", AT, "--json"]) == 0
    drafts = json.loads(capsys.readouterr().out)
    assert any(BOB in json.dumps(d["to"]) for d in drafts)  # the live tie is still drafted
    assert all(JANE not in json.dumps(d["to"]) for d in drafts)
    assert main([*base, "person", JANE, "--json", "--at", AT]) == 0
    person = json.loads(capsys.readouterr().out)
    assert person["undeliverable"] == {JANE: "2024-03-06T16:00:00+00:00"}
    assert [e["kind"] for e in person["events"]] == ["undeliverable"]
    assert any(m["rule"] == "delivery-failure" for m in person["timeline"])
    assert fake.send_attempts() == []
