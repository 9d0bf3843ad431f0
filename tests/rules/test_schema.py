"""The settings schema's own rules: durations, unknown keys, lists, secrets, what is said first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from touchbase.rules.schema import (
    REQUIRED,
    Choice,
    Duration,
    Entry,
    Flag,
    SchemaError,
    Secret,
    SecretRef,
    Strings,
    Table,
    Text,
    Whole,
    parse_duration,
    toml,
)

TABLE = Table(
    "[demo]",
    (
        Entry("host", Text(example="mail.example.com"), REQUIRED, "the server"),
        Entry("port", Whole(1, 65535), 993, "the port"),
        Entry("every", Duration(positive=True), "15m", "how often"),
        Entry("folders", Strings(what="folder names"), ["INBOX"], "folders to read"),
        Entry("mode", Choice("tls", "plain"), "tls", "how to connect"),
        Entry("verbose", Flag(), False, "say more"),
        Entry("password", Secret(), None, "the password"),
    ),
)


def parse(**values: Any) -> dict[str, Any]:
    return TABLE.parse({"host": "h", **values}, "demo.", account="work")


def error(**values: Any) -> SchemaError:
    with pytest.raises(SchemaError) as raised:
        parse(**values)
    return raised.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("36h", timedelta(hours=36)),
        ("30d", timedelta(days=30)),
        ("6w", timedelta(weeks=6)),
        ("2y", timedelta(days=730)),
        ("1d12h", timedelta(hours=36)),
        ("1.5h", timedelta(minutes=90)),
        (" 1d 12h ", timedelta(hours=36)),
        ("0d", timedelta(0)),
    ],
)
def test_the_one_duration_grammar(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "15", "2 years", "1d-2h", "h", "3x"])
def test_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_defaults_are_read_like_the_file_and_unset_stays_none() -> None:
    values = parse()
    assert values == {
        "host": "h",
        "port": 993,
        "every": timedelta(minutes=15),
        "folders": ("INBOX",),
        "mode": "tls",
        "verbose": False,
        "password": None,
    }


def test_an_unknown_key_names_its_table_the_closest_key_and_all_of_them() -> None:
    raised = error(prot=1)
    assert str(raised) == "demo.prot: unknown key in [demo]; did you mean 'port'?"
    assert raised.advice == (
        "known settings in [demo]: every, folders, host, mode, password, port, verbose"
    )
    assert "did you mean" not in str(error(colour="red"))  # nothing close: no guess


@pytest.mark.parametrize(
    ("values", "message", "advice"),
    [
        ({"port": "993"}, 'demo.port must be a whole number, not "993"', "from 1 to 65535"),
        ({"port": 0}, "demo.port must be between 1 and 65535, not 0", "whole number"),
        ({"port": True}, "demo.port must be a whole number, not true", "from 1 to 65535"),
        ({"verbose": "yes"}, 'demo.verbose must be true or false, not "yes"', "verbose = true"),
        ({"mode": "ssl"}, 'demo.mode must be one of "tls" or "plain", not "ssl"', '"tls"'),
        ({"every": "soon"}, 'demo.every must be a duration like "36h"', '"1d12h"'),
        ({"every": 900}, "demo.every must be a duration", 'every = "900s"'),
        ({"every": "0s"}, "demo.every must be a duration longer than zero", "unit"),
        ({"host": 3}, "demo.host must be non-empty text, not 3", 'host = "mail.example.com"'),
        ({"host": "  "}, "demo.host must be non-empty text", "host ="),
        ({"folders": [1]}, "demo.folders[0] must be non-empty text, not 1", "each item"),
        ({"folders": {"a": 1}}, "demo.folders must be a list of folder names", "folders = ["),
    ],
)
def test_a_wrong_value_names_its_path_what_is_expected_and_what_to_write(
    values: dict[str, Any], message: str, advice: str
) -> None:
    raised = error(**values)
    assert str(raised).startswith(message)
    assert advice in raised.advice


def test_a_string_where_a_list_belongs_shows_the_list_to_write() -> None:
    raised = error(folders="Sent Items")
    assert str(raised) == "demo.folders must be a list, not a single string"
    assert raised.advice == 'write it as a list: folders = ["Sent Items"]'


@pytest.mark.parametrize("inline", ["hunter2", 123456789, ["s3cr3t"], 1.5, True])
def test_a_secret_is_a_reference_and_an_inline_one_is_never_repeated(inline: object) -> None:
    raised = error(password=inline)
    assert str(raised) == "demo.password is written inline; secrets never live in the config file"
    assert 'password = { keyring = "touchbase/work" }' in raised.advice
    assert str(inline) not in str(raised) + raised.advice
    assert parse(password={"env": "MAIL_PW"})["password"] == SecretRef("env", "MAIL_PW")


@pytest.mark.parametrize("reference", [{}, {"env": "A", "file": "b"}, {"env": 3}, {"vault": "x"}])
def test_a_malformed_reference_says_what_one_looks_like(reference: dict[str, Any]) -> None:
    raised = error(password=reference)
    assert "exactly one of keyring, command, env, file" in str(raised)


def test_what_is_written_wrong_is_said_before_what_is_missing() -> None:
    with pytest.raises(SchemaError, match="written inline"):
        TABLE.parse({"password": "x"}, "demo.")
    with pytest.raises(SchemaError) as raised:
        TABLE.parse({}, "demo.")
    assert str(raised.value) == "demo has no host, which is required"
    assert raised.value.advice == 'add host = "mail.example.com": the server'


def test_values_are_shown_as_the_file_writes_them() -> None:
    assert toml({"a": [1, "x"], "b c": True}) == '{ a = [1, "x"], "b c" = true }'
    assert toml('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert "..." in error(host=["x" * 100]).args[0]  # a long value is cut short


def test_a_table_refuses_an_entry_declared_twice() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        Table("[t]", (Entry("a", Flag()), Entry("a", Flag())))
