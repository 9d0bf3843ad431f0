"""`touchbase plan --held`: nobody `people --due` calls due is missing from `plan` (issue 11).

QA imported a mailbox where Jane Doe's newer address is an initial+surname form the owner wrote
to (jane.doe@oldco2.test -> jdoe@newco2.test): `people --due` said "due now" and `plan` (text
on a pipe, and --json) showed nothing about her. The rules held her ("other-address"), but no
command said so. Every due person is now in `plan --json` or in `plan --held --json`, with the
rule that held them and a sentence why; `plan` on a pipe says on stderr how many it held."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from touchbase.agent.cli.main import main
from touchbase.agent.pipeline.db import open_database
from touchbase.agent.pipeline.store import Store
from touchbase.connectors.base import InteractionRecord, Kind, Page, Participant, Role

ME = ("me@own.test", "Olivia Owner")
JANE = ("jane.doe@oldco2.test", "Jane Doe")
JDOE = ("jdoe@newco2.test", "Jane Doe")
MIKE = ("mike@smallco.test", "Mike")
TOM = ("tom.third@t.test", "Tom Third")
T0 = datetime(2023, 10, 5, 10, tzinfo=UTC)
AT = "2024-06-01T12:00:00+00:00"


def message(
    n: int,
    when: datetime,
    sender: tuple[str, str],
    to: tuple[str, str],
    subject: str,
    cc: tuple[str, str] | None = None,
) -> InteractionRecord:
    parties = [Participant(sender[0], Role.FROM, sender[1]), Participant(to[0], Role.TO, to[1])]
    if cc:
        parties.append(Participant(cc[0], Role.CC, cc[1]))
    return InteractionRecord(
        source_id=str(n),
        kind=Kind.MAIL,
        occurred_at=when,
        participants=tuple(parties),
        message_id=f"<{n}@qa.test>",
        subject=subject,
    )


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, str]:
    url = f"sqlite:///{tmp_path / 't.db'}"
    store = Store(open_database(url))
    account = store.ensure_account("mail", "files", T0)
    run = store.start_run(account, T0)
    records = []
    n = 0
    for who in (JANE, MIKE):  # a warm relationship each: four exchanges, a lunch answered
        for k in range(4):
            subject = "Lunch w/ Olivia" if k == 3 else f"Plan {k}"
            when = T0 + timedelta(days=30 * k)
            records.append(message(n := n + 1, when, ME, who, subject))
            records.append(message(n := n + 1, when + timedelta(days=1), who, ME, f"Re: {subject}"))
    records.append(message(n := n + 1, datetime(2024, 4, 10, tzinfo=UTC), TOM, ME, "Hi", JDOE))
    records.append(message(n := n + 1, datetime(2024, 5, 15, tzinfo=UTC), ME, JDOE, "New role"))
    store.save_page(account, run, Page(records, cursor="1"), T0)
    config = tmp_path / "config.toml"
    config.write_text('[me]\nname = "Olivia Owner"\naddresses = ["me@own.test"]\n')
    return config, url


def run_json(
    setup: tuple[Path, str], capsys: pytest.CaptureFixture[str], *args: str
) -> list[dict[str, object]]:
    config, url = setup
    assert main(["--config", str(config), "--db", url, *args, "--json", "--at", AT]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_every_due_person_is_planned_or_held_with_a_rule_and_a_sentence(
    setup: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    due = {r["person"] for r in run_json(setup, capsys, "people", "--due")}
    decided = {r["person"] for r in run_json(setup, capsys, "plan")}
    held = {r["person"]: r for r in run_json(setup, capsys, "plan", "--held")}
    assert JANE[0] in due and MIKE[0] in due
    assert due <= decided | set(held)
    jane = held[JANE[0]]
    assert jane["rule"] == "other-address" and jane["kind"] == "check-in"
    assert JDOE[0] in str(jane["reason"]) and jane["address"] == JANE[0]
    assert jane["name"] == "Jane Doe"


def test_plan_on_a_pipe_says_on_stderr_that_people_were_held(
    setup: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    config, url = setup
    assert main(["--config", str(config), "--db", url, "plan", "--at", AT]) == 0
    out, err = capsys.readouterr()
    assert MIKE[0] in out and JANE[0] not in out  # stdout: the table only, as scripts read it
    assert "1 more held back" in err and "plan --held" in err
    assert main(["--config", str(config), "--db", url, "plan", "--held", "--at", AT]) == 0
    out, _err = capsys.readouterr()
    assert JANE[0] in out and "other-address" in out and MIKE[0] not in out
