"""What QA saw around issue 18 beyond life events: the starter's placeholder signature, and
`me add` without `[me] addresses`."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from tests.agent.test_life_events_bounces import ME, _cli, _friendship, _tree
from touchbase.agent.pipeline.compose.render import Drafter
from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest
from touchbase.agent.pipeline.config import Me, parse_config

NOW = datetime(2024, 3, 6, 12, tzinfo=UTC)


def _request() -> DraftRequest:
    return DraftRequest(
        kind=DraftKind.CHECK_IN,
        addresses=("jane.doe@acme.example",),
        name="Jane Doe",
        person_id=1,
        reasons=("due",),
        due=NOW,
    )


def test_the_starter_signs_with_the_name_the_owner_set() -> None:
    text = resources.files("touchbase.agent.pipeline").joinpath("starter.toml").read_text()
    text = text.replace('name = "Your Name"', 'name = "Olivia Owner"')
    me = parse_config(tomllib.loads(text)).me
    body = Drafter(me).render(_request(), NOW).body
    assert "Your Name" not in body and body.rstrip().endswith("Olivia")


def test_a_config_from_the_old_starter_signs_with_the_set_name() -> None:
    me = Me(name="Olivia Owner", addresses=(ME,), signature="\nBest,\nYour Name")
    body = Drafter(me).render(_request(), NOW).body
    assert body.rstrip().endswith("Best,\nOlivia Owner")
    # A name left as the placeholder changes nothing; a signature without it is the owner's.
    assert (
        Drafter(Me(name="Your Name", signature="Best,\nYour Name"))
        .render(_request(), NOW)
        .body.rstrip()
        .endswith("Your Name")
    )
    mine = Me(name="Olivia Owner", signature="Cheers,\nLiv")
    assert Drafter(mine).render(_request(), NOW).body.rstrip().endswith("Cheers,\nLiv")


def test_drafts_write_from_an_address_given_with_me_add(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text('[me]\nname = "Olivia Owner"\n')  # no addresses
    root = tmp_path / "mail"
    _tree(root)
    _friendship(root, "jane.doe@acme.example", "Jane Doe", range(1, 13))
    assert _cli(tmp_path, "me", "add", ME) == 0
    assert _cli(tmp_path, "import", str(root)) == 0
    capsys.readouterr()
    assert _cli(tmp_path, "drafts", "create", "--at", "2024-03-01T12:00:00+00:00", "--json") == 0
    [draft] = json.loads(capsys.readouterr().out)
    assert draft["to"] == ["jane.doe@acme.example"] and draft["kind"] == "check-in"
