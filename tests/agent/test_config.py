"""Configuration: bad files get messages naming the key and the fix; secrets are never inline."""

from __future__ import annotations

from pathlib import Path

import pytest

from touchbase.agent.pipeline.config import (
    ConfigError,
    SecretRef,
    load_config,
    parse_config,
)


def test_a_full_file_loads_into_typed_values(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        """
[me]
name = "Alex Morgan"
addresses = ["Alex@Morgan.example", "alex@work.example"]
time_zone = "Europe/Berlin"

[daemon]
sync_every = "5m"

[[account]]
name = "work"
type = "imap"
host = "imap.example.com"
username = "alex"
password = { keyring = "touchbase/work" }
sync_every = "1h"

[policy]
max_drafts_per_run = 3
"""
    )
    config = load_config(path)
    assert config.me.addresses == ("alex@morgan.example", "alex@work.example")
    assert config.sync_every == 300
    work = config.account("work")
    assert work.settings == {"host": "imap.example.com", "username": "alex"}
    assert work.secrets == {"password": SecretRef("keyring", "touchbase/work")}
    assert work.sync_every == 3600
    assert config.policy == {"max_drafts_per_run": 3}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[me]\naddresses = ["not-an-address"]', "me.addresses[0] must be an e-mail address"),
        ('[me]\ntime_zone = "Mars/Olympus"', 'IANA time zone name like "Europe/Berlin"'),
        ("[me]\nnmae = 'x'", "me.nmae: unknown key in [me]; did you mean 'name'?"),
        ("[surprise]\nx = 1", "surprise: unknown key in the top level"),
        ('[[account]]\nname = "a b"\ntype = "imap"', "account #1: name must be a short name"),
        ('[[account]]\nname = "w"\ntype = "imap"\npassword = "hunter2"', "written inline"),
        ('[[account]]\nname = "w"\ntype = "imap"\nsync_every = "soon"', "must be a duration"),
        ('[[account]]\nname = "w"\ntype = "x"\n[[account]]\nname = "w"\ntype = "x"', "unique"),
        ('[daemon]\ndigest_at = "25:00"', "digest_at"),
    ],
)
def test_bad_configuration_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_config(path)


@pytest.mark.parametrize("account_type", ["imap", "x-registered-at-run-time"])
def test_an_inline_secret_is_refused_with_the_reference_to_write_instead(account_type: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"account": [{"name": "w", "type": account_type, "password": "abc"}]})
    assert "keyring" in info.value.advice
    assert "abc" not in str(info.value) + info.value.advice


def test_broken_toml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[me\nname = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_a_missing_explicit_file_points_to_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml")
    assert "touchbase init" in info.value.advice


@pytest.mark.parametrize(
    ("value", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("1d12h", 129600)]
)
def test_durations(value: str, seconds: float) -> None:
    config = parse_config({"daemon": {"sync_every": value}})
    assert config.sync_every == seconds
