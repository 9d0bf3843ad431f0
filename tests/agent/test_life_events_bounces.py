"""Dead addresses (issue 18): generated bounces in the shapes Postfix, Exchange and Gmail send,
read from files (Maildir, mbox, .eml) by their headers and report part only, then end to end
through import, plan and drafts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from touchbase.agent.cli.main import main
from touchbase.connectors.base import Flag, InteractionRecord, Role
from touchbase.connectors.bounces import (
    add_failures,
    failed_recipients,
    report_part,
    report_recipients,
)
from touchbase.connectors.files.source import FileSource
from touchbase.connectors.headers import parse_header_block

ME = "olivia@owner.example"
JANE = "jane.doe@acme.example"
SECRET = "SECRET-BODY-WORDS"  # in the returned message: must never reach a record


def postfix(failed: str = JANE, when: str = "Mon, 4 Mar 2024 10:00:00 +0000") -> bytes:
    b = "8A1B2C3D4E.1709546400/mail.owner.example"
    return f"""From: MAILER-DAEMON@mail.owner.example (Mail Delivery System)
To: {ME}
Subject: Undelivered Mail Returned to Sender
Date: {when}
Message-Id: <20240304100000.8A1B2C3D4E@mail.owner.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{b}"

This is a MIME-encapsulated message.

--{b}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.owner.example.
I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. {SECRET}

<{failed}>: host mx.acme.example[192.0.2.1] said: 550 5.1.1 User unknown

--{b}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.owner.example
X-Postfix-Queue-ID: 8A1B2C3D4E
Arrival-Date: {when}

Final-Recipient: rfc822; {failed}
Original-Recipient: rfc822;{failed}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected

--{b}
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: {ME}
To: {failed}
Subject: {SECRET}
Date: {when}

{SECRET}

--{b}--
""".replace("\n", "\r\n").encode()


def exchange(failed: str = JANE) -> bytes:
    b, inner = "_000_DM6PR_NDR_", "_001_alt_"
    return f"""From: Microsoft Outlook
 <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@owner.example>
To: {ME}
Date: Tue, 5 Mar 2024 09:00:00 +0000
Subject: Undeliverable: Lunch next week?
Message-ID: <ndr-1@DM6PR.prod.outlook.com>
Content-Language: en-US
X-MS-Exchange-Message-Is-Ndr:
Content-Type: multipart/report; report-type="delivery-status";
 boundary="{b}"
MIME-Version: 1.0

--{b}
Content-Type: multipart/alternative; boundary="{inner}"

--{inner}
Content-Type: text/plain; charset="us-ascii"

Your message to {failed} couldn't be delivered. {SECRET}
--{inner}
Content-Type: text/html; charset="us-ascii"

<p>{SECRET}</p>
--{inner}--

--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns;DM6PR.prod.outlook.com
Received-From-MTA: dns;DM6PR.prod.outlook.com
Arrival-Date: Tue, 5 Mar 2024 08:59:58 +0000

Original-Recipient: rfc822;{failed}
Final-Recipient: rfc822;{failed}
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found

--{b}
Content-Type: message/rfc822-headers

From: Olivia <{ME}>
To: <{failed}>
Subject: {SECRET}

--{b}--
""".replace("\n", "\r\n").encode()


def gmail(failed: str = JANE) -> bytes:
    b = "000000000000a1b2c3d4e5f60718"
    return f"""Delivered-To: {ME}
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: {ME}
Auto-Submitted: auto-replied
Message-ID: <65e6f0a0.gmail-dsn-1@mx.google.com>
Date: Wed, 6 Mar 2024 08:00:00 -0800 (PST)
X-Failed-Recipients: {failed}
Subject: Delivery Status Notification (Failure)
References: <CAgmail-original@mail.gmail.com>
In-Reply-To: <CAgmail-original@mail.gmail.com>
Content-Type: multipart/report; boundary="{b}"; report-type=delivery-status

--{b}
Content-Type: multipart/related; boundary="{b}-rel"

--{b}-rel
Content-Type: text/html; charset="UTF-8"

<html>Address not found {SECRET}</html>
--{b}-rel--
--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Arrival-Date: Wed, 06 Mar 2024 08:00:00 -0800 (PST)

Final-Recipient: rfc822; {failed}
Action: failed
Status: 5.1.1

--{b}
Content-Type: message/rfc822

Subject: {SECRET}

{SECRET}
--{b}--
""".encode()


SHAPES = {"postfix": postfix, "exchange": exchange, "gmail": gmail}


def _header_and_body(raw: bytes) -> tuple[bytes, bytes]:
    split = raw.find(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.find(b"\n\n")
    return raw[:split], raw[split:]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_names_its_failed_recipient(shape: str) -> None:
    header, body = _header_and_body(SHAPES[shape]())
    fields = parse_header_block(header + b"\n", None)
    boundary = next(v for k, v in fields if k.lower() == "content-type").split("boundary=")[1]
    report = report_part(body, boundary.split(";")[0].strip().strip('"'))
    assert report is not None and SECRET.encode() not in report  # only the status part
    assert report_recipients(report) == [JANE]
    assert failed_recipients(fields, report) == (JANE,)


def test_only_failed_recipients_count() -> None:
    report = (
        b"Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; ok@x.example\nAction: delivered\n\n"
        b"Final-Recipient: rfc822; later@x.example\nAction: delayed\n\n"
        b"Final-Recipient: rfc822; gone@x.example\nAction: failed\n"
    )
    assert report_recipients(report) == ["gone@x.example"]


def test_ordinary_mail_is_untouched_and_its_body_never_read() -> None:
    header = b"From: jane@x.example\nTo: me@x.example\nSubject: multipart plans\n"

    def body(n: int) -> bytes:
        raise AssertionError("the body of ordinary mail was read")

    assert add_failures([], header, body) == []


def _pull(path: Path) -> list[InteractionRecord]:
    source = FileSource(path)
    return [r for page in source.pull(None) for r in page.interactions]


def _failed(record: InteractionRecord) -> list[str]:
    return [p.address for p in record.participants if p.role is Role.FAILED]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_maildir_and_eml_bounces_carry_the_failed_recipient(tmp_path: Path, shape: str) -> None:
    cur = tmp_path / "Maildir" / "cur"
    cur.mkdir(parents=True)
    (cur / f"1709546400.{shape}.host:2,S").write_bytes(SHAPES[shape]())
    (tmp_path / "Maildir" / "new").mkdir()
    (tmp_path / "Maildir" / "tmp").mkdir()
    [record] = _pull(tmp_path / "Maildir")
    assert _failed(record) == [JANE] and Flag.AUTOMATED in record.flags
    assert SECRET not in repr(record)
    eml = tmp_path / f"{shape}.eml"
    eml.write_bytes(SHAPES[shape]())
    [again] = _pull(eml)
    assert _failed(again) == [JANE]


def test_mbox_bounces_between_other_messages(tmp_path: Path) -> None:
    plain = (
        b"From: jane@x.example\nTo: "
        + ME.encode()
        + b"\nSubject: hi\nDate: "
        + (b"Mon, 4 Mar 2024 09:00:00 +0000\nMessage-ID: <p1@x>\n\nhello\n")
    )
    parts = [plain, postfix().replace(b"\r\n", b"\n"), plain.replace(b"<p1@x>", b"<p2@x>")]
    parts.insert(2, gmail(failed="bob@globex.example"))
    mbox = tmp_path / "Inbox.mbox"
    mbox.write_bytes(b"".join(b"From MAILER-DAEMON Mon Mar  4 10:00:00 2024\n" + p for p in parts))
    records = _pull(mbox)
    assert [_failed(r) for r in records] == [[], [JANE], ["bob@globex.example"], []]


# -- end to end: import -> plan -> drafts ----------------------------------------------------


def _mail(when: str, sender: str, to: str, subject: str, ident: str, name: str = "") -> bytes:
    shown = f"{name} <{sender}>" if name else sender
    return (
        f"From: {shown}\nTo: {to}\nSubject: {subject}\nDate: {when}\nMessage-ID: <{ident}>\n\n"
        "body\n"
    ).encode()


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _friendship(root: Path, address: str, name: str, months: range, year: int = 2023) -> None:
    """Two-way mail with `address` once a month."""
    for month in months:
        y, m = year + (month - 1) // 12, (month - 1) % 12 + 1
        day = f"Mon, 2 {_MONTHS[m - 1]}"
        (root / "sent" / "cur" / f"{y}{m:02}.out.{address}").write_bytes(
            _mail(f"{day} {y} 10:00:00 +0000", ME, address, f"lunch plans {m}", f"o{y}{m}{address}")
        )
        (root / "inbox" / "cur" / f"{y}{m:02}.in.{address}").write_bytes(
            _mail(f"{day} {y} 12:00:00 +0000", address, ME, "re", f"i{y}{m}{address}", name)
        )


def _tree(root: Path) -> None:
    for folder in ("sent", "inbox"):
        for sub in ("cur", "new", "tmp"):
            (root / folder / sub).mkdir(parents=True, exist_ok=True)


def _cli(tmp_path: Path, *args: str) -> int:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text(f'[me]\nname = "Olivia Owner"\naddresses = ["{ME}"]\n')
    return main(["--config", str(config), "--db", f"sqlite:///{tmp_path / 't.db'}", *args])


def test_end_to_end_no_draft_goes_to_a_dead_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "mail"
    _tree(root)
    _friendship(root, JANE, "Jane Doe", range(1, 13))  # 2023, monthly
    _friendship(root, "bob@globex.example", "Bob Stone", range(1, 13))
    (root / "inbox" / "cur" / "2024-dsn").write_bytes(
        postfix(when="Mon, 4 Mar 2024 10:00:00 +0000")
    )
    assert _cli(tmp_path, "import", str(root), "--me", ME) == 0
    capsys.readouterr()
    assert _cli(tmp_path, "plan", "--at", "2024-06-01T12:00:00+00:00", "--json") == 0
    plan = json.loads(capsys.readouterr().out)
    text = json.dumps(plan)
    assert "bob@globex.example" in text  # the live one is still due
    assert JANE not in text  # no decision for her
    assert _cli(tmp_path, "drafts", "create", "--at", "2024-06-01T12:00:00+00:00", "--json") == 0
    drafts = json.loads(capsys.readouterr().out)
    assert drafts and all(JANE not in json.dumps(d["to"]) for d in drafts)
    assert _cli(tmp_path, "person", JANE, "--json", "--at", "2024-06-01T12:00:00+00:00") == 0
    person = json.loads(capsys.readouterr().out)
    assert person["undeliverable"] == {JANE: "2024-03-04T10:00:00+00:00"}
    assert [e["kind"] for e in person["events"]] == ["undeliverable"]
    assert any(m["rule"] == "delivery-failure" for m in person["timeline"])
