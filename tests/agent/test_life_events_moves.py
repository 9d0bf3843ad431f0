"""Job changes (issue 18), end to end: a mailbox where a person moves domains, and LinkedIn
exports, through import, people suggestions, merge, plan, drafts and the person page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.agent.test_life_events_bounces import ME, _cli, _friendship, _mail, _tree

OLD, NEW = "jane.doe@acme.example", "jane.doe@globex.example"
AT = "2024-03-06T12:00:00+00:00"  # three days after her first mail from globex


def _mailbox(tmp_path: Path) -> Path:
    """Jane writes from acme monthly through 2023, then from globex from 4 Mar 2024."""
    root = tmp_path / "mail"
    _tree(root)
    _friendship(root, OLD, "Jane Doe", range(1, 13))
    (root / "inbox" / "cur" / "2024-new").write_bytes(
        _mail("Mon, 4 Mar 2024 09:00:00 +0000", NEW, ME, "New address", "n1@globex", "Jane Doe")
    )
    return root


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_a_person_who_moves_domains_is_suggested_merged_and_congratulated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(tmp_path, "import", str(_mailbox(tmp_path)), "--me", ME) == 0
    capsys.readouterr()
    # Never merged silently: offered with the evidence of the move.
    assert _cli(tmp_path, "people", "suggestions", "--json", "--at", AT) == 0
    [offer] = [o for o in _json(capsys) if {o.get("address"), o.get("other")} == {OLD, NEW}]
    assert "moved from acme.example to globex.example" in offer["reason"]
    assert f"{OLD} wrote until 2023-12-02" in offer["reason"]
    assert _cli(tmp_path, "people", "merge", OLD, NEW) == 0
    capsys.readouterr()
    assert _cli(tmp_path, "person", OLD, "--json", "--at", AT) == 0
    person = _json(capsys)
    assert isinstance(person, dict) and person["address"] == NEW
    [moved] = person["events"]
    assert moved["kind"] == "moved" and moved["at"] == "2024-03-04T09:00:00+00:00"
    assert moved["text"] == "moved from acme.example to globex.example"
    assert any(row["rule"] == "life-event" for row in person["timeline"])
    assert _cli(tmp_path, "drafts", "create", "--at", AT, "--json") == 0
    drafts = _json(capsys)
    [draft] = [d for d in drafts if NEW in json.dumps(d["to"])]
    assert draft["kind"] == "congratulate"
    # The congratulation names where they went (the new domain's organisation), never a domain.
    assert "on the move to Globex!" in draft["body"]
    assert "globex.example" not in draft["subject"] + draft["body"]
    assert draft["reasons"][0].startswith("moved from acme.example to globex.example")
    assert any("first mail from globex.example on 2024-03-04" in r for r in draft["reasons"])
    # The reason says their mail awaits a reply and to congratulate in it: the draft does.
    assert any("awaits your reply: congratulate in it" in r for r in draft["reasons"])
    assert draft["in_reply_to"] == "<n1@globex>"
    assert draft["subject"] == "Congratulations!"  # "New address" reads as no topic


@pytest.mark.parametrize(
    ("subject", "shown"), [("RE: FW: re", None), ("Bishops Corner draw", "Re: Bishops Corner draw")]
)
def test_a_congratulation_answers_their_awaiting_mail_in_its_thread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], subject: str, shown: str | None
) -> None:
    root = tmp_path / "mail"
    _tree(root)
    _friendship(root, OLD, "Jane Doe", range(1, 13))
    (root / "inbox" / "cur" / "2024-new").write_bytes(
        _mail("Mon, 4 Mar 2024 09:00:00 +0000", NEW, ME, subject, "n2@globex", "Jane Doe")
    )
    assert _cli(tmp_path, "import", str(root), "--me", ME) == 0
    assert _cli(tmp_path, "people", "merge", OLD, NEW) == 0
    capsys.readouterr()
    assert _cli(tmp_path, "drafts", "create", "--at", AT, "--json") == 0
    [draft] = [d for d in _json(capsys) if NEW in json.dumps(d["to"])]
    assert draft["kind"] == "congratulate" and draft["in_reply_to"] == "<n2@globex>"
    assert draft["subject"] == (shown or "Congratulations!")


def test_after_the_window_a_check_in_goes_to_the_new_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(tmp_path, "import", str(_mailbox(tmp_path)), "--me", ME) == 0
    assert _cli(tmp_path, "people", "merge", OLD, NEW) == 0
    capsys.readouterr()
    assert _cli(tmp_path, "drafts", "create", "--at", "2024-08-01T12:00:00+00:00", "--json") == 0
    [draft] = _json(capsys)
    assert draft["kind"] == "check-in" and draft["to"] == [NEW]


PREAMBLE = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses are '
    "missing. You will only see email addresses for connections who have allowed their "
    "connections to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    'https://www.linkedin.com/help/linkedin/answer/261"\n'
    "\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
)


def _connections(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(PREAMBLE + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_linkedin_connections_fill_people_and_a_newer_export_is_a_job_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "mail"
    _tree(root)
    _friendship(root, OLD, "Jane Doe", range(1, 13))
    _friendship(root, "sam.lee@initech.example", "Sam Lee", range(1, 13))
    assert _cli(tmp_path, "import", str(root), "--me", ME) == 0
    first = _connections(
        tmp_path,
        "Connections.csv",
        [
            f"Jane,Doe,https://www.linkedin.com/in/janedoe,{OLD},Acme,Engineer,04 Mar 2021",
            "Sam,Lee,https://www.linkedin.com/in/samlee,,Initech,Analyst,12 Jan 2020",
            'Ada,"Byron, Jr",https://www.linkedin.com/in/ada,,"Analytical, Inc",Chief,01 Feb 2019',
        ],
    )
    capsys.readouterr()
    assert _cli(tmp_path, "contacts", "import", str(first), "--json") == 0
    result = _json(capsys)
    assert result == {"imported": 3, "problems": [], "job_changes": []}
    # Sam has no email in the export: kept, and offered when mail from a Sam Lee is stored.
    assert _cli(tmp_path, "people", "suggestions", "--json", "--at", "2024-01-01T00:00:00Z") == 0
    offers = _json(capsys)
    [sam] = [o for o in offers if o["address"] == "sam.lee@initech.example"]
    assert sam["other"] == "https://www.linkedin.com/in/samlee"
    assert "LinkedIn connection (Analyst, Initech)" in sam["reason"]
    assert _cli(tmp_path, *sam["command"].split()[1:]) == 0
    # A newer export: Jane moved to Globex, Sam was promoted.
    newer = _connections(
        tmp_path,
        "Connections (1).csv",
        [
            f"Jane,Doe,https://www.linkedin.com/in/janedoe,{OLD},Globex,CTO,04 Mar 2021",
            "Sam,Lee,https://www.linkedin.com/in/samlee,,Initech,Director,12 Jan 2020",
        ],
    )
    capsys.readouterr()
    assert _cli(tmp_path, "contacts", "import", str(newer), "--json") == 0
    result = _json(capsys)
    assert isinstance(result, dict)
    assert result["job_changes"] == [
        "Jane Doe: moved from Acme to Globex (CTO)",
        "Sam Lee: new position at Initech: Director",
    ]
    assert _cli(tmp_path, "person", OLD, "--json") == 0
    jane = _json(capsys)
    assert isinstance(jane, dict)
    assert jane["standing"][0] == "CTO at Globex; connected on LinkedIn 2021-03-04"
    [event] = [e for e in jane["events"] if e["kind"] == "new-role"]
    assert event["text"] == "moved from Acme to Globex (CTO)"
    assert "company: Acme -> Globex" in event["evidence"]
    assert _cli(tmp_path, "drafts", "create", "--json") == 0
    drafts = _json(capsys)
    kinds = {d["to"][0]: d["kind"] for d in drafts}
    # Jane's only address is at Acme, which she left: held until her new one is known.
    assert kinds == {"sam.lee@initech.example": "congratulate"}


def test_the_person_page_shows_the_move_on_its_history_and_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import datetime

    from touchbase.agent.pipeline.config import load_config
    from touchbase.agent.service import Service
    from touchbase.agent.web.security import access_token
    from touchbase.agent.web.site import Site, create_app

    assert _cli(tmp_path, "import", str(_mailbox(tmp_path)), "--me", ME) == 0
    assert _cli(tmp_path, "people", "merge", OLD, NEW) == 0
    capsys.readouterr()
    now = datetime.fromisoformat(AT)
    config = load_config(tmp_path / "config.toml")
    service = Service(config, f"sqlite:///{tmp_path / 't.db'}", lambda: now)
    client = create_app(Site(service, at=now)).test_client()
    assert client.get(f"/?token={access_token(service)}").status_code in (200, 302)
    page = client.get(f"/contact/{NEW}", follow_redirects=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<li class="life-event">' in html and "moved from acme.example to globex.example" in html
    assert 'class="event-marker event-moved"' in html
    assert "2024-03-04: moved from acme.example to globex.example" in html  # the marker's title


def test_an_out_of_office_reply_from_a_new_address_is_offered_as_a_merge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "mail"
    _tree(root)
    _friendship(root, OLD, "Jane Doe", range(1, 13))
    (root / "sent" / "cur" / "2024-q").write_bytes(
        _mail("Fri, 1 Mar 2024 09:00:00 +0000", ME, OLD, "Lunch?", "q1@owner.example")
    )
    # Two mails while she was away, two auto-replies: one offer.
    (root / "sent" / "cur" / "2024-q2").write_bytes(
        _mail("Sat, 2 Mar 2024 09:00:00 +0000", ME, OLD, "Lunch next week?", "q2@owner.example")
    )
    for n, (day, to) in enumerate((("Fri, 1", "q1"), ("Sat, 2", "q2")), 1):
        (root / "inbox" / "cur" / f"2024-ooo{n}").write_bytes(
            f"From: jdoe@globex.example\nTo: {ME}\nSubject: Automatic reply: Lunch?\n"
            f"Date: {day} Mar 2024 09:05:00 +0000\nMessage-ID: <ooo{n}@globex.example>\n"
            f"In-Reply-To: <{to}@owner.example>\nAuto-Submitted: auto-replied\n\nbody\n".encode()
        )
    assert _cli(tmp_path, "import", str(root), "--me", ME) == 0
    capsys.readouterr()
    assert _cli(tmp_path, "people", "suggestions", "--json", "--at", AT) == 0
    [offer] = [o for o in _json(capsys) if o.get("other") == "jdoe@globex.example"]
    assert offer["address"] == OLD
    assert offer["reason"] == (
        f"your mail to {OLD} of 2024-03-01 was answered by an out-of-office reply from "
        "jdoe@globex.example on 2024-03-01: moved from acme.example to globex.example?"
    )
    assert _cli(tmp_path, *offer["command"].split()[1:]) == 0
    capsys.readouterr()
    assert _cli(tmp_path, "person", OLD, "--json", "--at", AT) == 0
    assert [e["text"] for e in _json(capsys)["events"]] == [
        "moved from acme.example to globex.example"
    ]


FRANK = "frank@hooli.example"


def _frank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """Frank writes from Hooli through 2023; an export says Hooli, a newer one Raviga Capital."""
    root = tmp_path / "mail"
    _tree(root)
    _friendship(root, FRANK, "Frank Fox", range(1, 13))
    assert _cli(tmp_path, "import", str(root), "--me", ME) == 0
    row = "Frank,Fox,https://www.linkedin.com/in/frankfox," + FRANK + ",{},{},04 Mar 2021"
    older = _connections(tmp_path, "Connections.csv", [row.format("Hooli", "Engineer")])
    newer = _connections(tmp_path, "Connections (1).csv", [row.format("Raviga Capital", "Partner")])
    assert _cli(tmp_path, "contacts", "import", str(older), "--json") == 0
    assert _cli(tmp_path, "contacts", "import", str(newer), "--json") == 0
    capsys.readouterr()
    return older, newer


def test_no_congratulation_goes_to_the_address_at_the_company_they_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _frank(tmp_path, capsys)
    assert _cli(tmp_path, "drafts", "create", "--json") == 0
    assert [d for d in _json(capsys) if FRANK in json.dumps(d["to"])] == []
    assert _cli(tmp_path, "person", FRANK, "--json") == 0
    [event] = _json(capsys)["events"]
    assert event["text"] == "moved from Hooli to Raviga Capital (Partner)"
    assert event["evidence"][-1] == (
        "their address is at Hooli, which they left; add their new address"
    )
    # Once his new address is known the congratulation goes there, never to Hooli.
    assert _cli(tmp_path, "people", "merge", FRANK, "frank@raviga.example") == 0
    capsys.readouterr()
    assert _cli(tmp_path, "drafts", "create", "--json") == 0
    [draft] = _json(capsys)
    assert draft["kind"] == "congratulate" and draft["to"] == ["frank@raviga.example"]
    assert "on the move to Raviga Capital!" in draft["body"]


def test_importing_the_older_export_again_does_not_reverse_the_job_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    older, _newer = _frank(tmp_path, capsys)
    os.utime(older, (1_600_000_000, 1_600_000_000))  # 2020: exported before the newer one
    assert _cli(tmp_path, "contacts", "import", str(older), "--json") == 0
    result = _json(capsys)
    assert result["job_changes"] == []
    [problem] = result["problems"]
    assert "older than the job change recorded" in problem["reason"]
    assert _cli(tmp_path, "person", FRANK, "--json") == 0
    frank = _json(capsys)
    assert [e["text"] for e in frank["events"]] == ["moved from Hooli to Raviga Capital (Partner)"]
    assert frank["standing"][0].startswith("Partner at Raviga Capital")
    # A newer export (its mtime after the recorded change) still applies.
    later = _connections(
        tmp_path,
        "Connections (2).csv",
        ["Frank,Fox,https://www.linkedin.com/in/frankfox,,Hooli,CEO,04 Mar 2021"],
    )
    os.utime(later, (4_100_000_000, 4_100_000_000))
    assert _cli(tmp_path, "contacts", "import", str(later), "--json") == 0
    assert _json(capsys)["job_changes"] == ["Frank Fox: moved from Raviga Capital to Hooli (CEO)"]
