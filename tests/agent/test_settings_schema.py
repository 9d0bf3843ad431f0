"""One settings schema for every table of the file: the same rules, the same messages, no drift.

Each rule is checked across the tables ([me], [database], [daemon], every account type, [policy])
through the doors users meet: loading a file, the rules' load_policy, a connector's settings.
"""

from __future__ import annotations

import ast
import re
import tomllib
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from touchbase.agent.errors import ConfigError
from touchbase.agent.pipeline import accounts
from touchbase.agent.pipeline.config import (
    ACCOUNT_TYPES,
    DAEMON,
    FILE,
    ME,
    SecretRef,
    parse_config,
)
from touchbase.agent.pipeline.config_reference import render
from touchbase.connectors.errors import ConnectorError
from touchbase.connectors.files.settings import parse_settings as files_settings
from touchbase.connectors.google.settings import parse_settings as google_settings
from touchbase.connectors.graph import http as graph_http
from touchbase.connectors.graph import msal_auth
from touchbase.connectors.graph import settings as graph
from touchbase.connectors.imap.settings import parse_settings as imap_settings
from touchbase.rules.policy import POLICY, TIER, PolicyError, default_table, load_policy
from touchbase.rules.schema import ACCOUNT, REQUIRED, Table

ROOT = Path(__file__).resolve().parents[2]
# The least each account type needs, so a case changes one key and nothing else is wrong.
MINIMAL: dict[str, dict[str, Any]] = {
    "files": {"path": "~/Mail/archive.mbox"},
    "gmail": {"client_file": "c.json"},
    "gcal": {"client_file": "c.json"},
    "imap": {"host": "imap.example.com", "username": "me"},
    "outlook": {"client_id": "abc"},
}


def config_error(data: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        parse_config(data)
    return raised.value


def account(type_: str, **settings: Any) -> dict[str, Any]:
    """A file with one account of `type_`, named "work"."""
    return {"account": [{"name": "work", "type": type_, **MINIMAL[type_], **settings}]}


def connector_error(type_: str, settings: dict[str, Any]) -> ConnectorError:
    table = {**MINIMAL[type_], **settings}
    with pytest.raises(ConnectorError) as raised:
        if type_ == "imap":
            imap_settings(table, account="work")
        elif type_ == "outlook":
            graph.parse_settings(table, account="work")
        elif type_ == "files":
            files_settings(table, account="work")
        else:
            google_settings(table, account="work", kind=type_)
    return raised.value


# -- an unknown key: an error naming it and its table, the closest key, and all of them ----------

UNKNOWN: dict[str, tuple[dict[str, Any], str, str]] = {
    "[me]": ({"me": {"nmae": "x"}}, "me.nmae: unknown key in [me]", "name"),
    "[database]": ({"database": {"ulr": "x"}}, "database.ulr: unknown key in [database]", "url"),
    "[daemon]": (
        {"daemon": {"sinc_every": "1h"}},
        "daemon.sinc_every: unknown key in [daemon]",
        "sync_every",
    ),
    "the top level": ({"polcy": {}}, "polcy: unknown key in the top level", "policy"),
    "[[account]] imap": (
        account("imap", hots="x"),
        "account 'work': hots: unknown key in [[account]] 'work' (type = \"imap\")",
        "host",
    ),
    "[[account]] gmail": (account("gmail", labls=["SENT"]), "account 'work': labls:", "labels"),
    "[[account]] gcal": (
        account("gcal", calender_id="x"),
        "account 'work': calender_id:",
        "calendar_id",
    ),
    "[[account]] outlook": (
        account("outlook", mail_foldrs=["inbox"]),
        "account 'work': mail_foldrs:",
        "mail_folders",
    ),
    "[[account]] files": (account("files", pathh="x"), "account 'work': pathh:", "path"),
    "[policy]": (
        {"policy": {"max_recipent": 3}},
        "policy.max_recipent: unknown key in [policy]",
        "max_recipients",
    ),
    "[policy.tiers.inner]": (
        {"policy": {"tiers": {"inner": {"cadense": "30d"}}}},
        "policy.tiers.inner.cadense: unknown key in [policy.tiers.inner]",
        "cadence",
    ),
}


@pytest.mark.parametrize(("data", "message", "guess"), UNKNOWN.values(), ids=list(UNKNOWN))
def test_an_unknown_key_is_an_error_with_a_suggestion_in_every_table(
    data: dict[str, Any], message: str, guess: str
) -> None:
    raised = config_error(data)
    assert str(raised).startswith(message)
    assert str(raised).endswith(f"; did you mean {guess!r}?")
    assert raised.advice.startswith("known settings in ")
    assert guess in raised.advice


@pytest.mark.parametrize("type_", sorted(MINIMAL))
def test_a_connector_called_directly_refuses_an_unknown_key_too(type_: str) -> None:
    raised = connector_error(type_, {"surplus": 1})
    assert "surplus: unknown key in an [[account]] of type" in str(raised)
    assert "known settings" in raised.advice


# -- a wrong type: the key's full path, what is expected, what to write --------------------------

WRONG: dict[str, tuple[dict[str, Any], str, str]] = {
    "[me] flag": (
        {"me": {"keep_subjects": "no"}},
        'me.keep_subjects must be true or false, not "no"',
        "keep_subjects = true",
    ),
    "[me] address": (
        {"me": {"addresses": ["me at example"]}},
        'me.addresses[0] must be an e-mail address, not "me at example"',
        'addresses = ["you@example.com"]',
    ),
    "[database] url": ({"database": {"url": 5}}, "database.url must be non-empty text", "url ="),
    "[daemon] clock": (
        {"daemon": {"digest_at": "25:00"}},
        'daemon.digest_at must be a time like "08:00", not "25:00"',
        '"08:00"',
    ),
    "imap port": (
        account("imap", port="993"),
        "account 'work': port must be a whole number, not \"993\"",
        "from 1 to 65535",
    ),
    "gmail range": (
        account("gmail", batch_size=500),
        "account 'work': batch_size must be between 1 and 50, not 500",
        "from 1 to 50",
    ),
    "gcal count": (account("gcal", past_days=-1), "account 'work': past_days must be", "0"),
    "outlook flag": (
        account("outlook", calendar="yes"),
        "account 'work': calendar must be true or false",
        "calendar = false",
    ),
    "outlook url": (
        account("outlook", graph_url="http://graph.example.com"),
        "account 'work': graph_url must be an https:// URL",
        "graph_url =",
    ),
    "files count": (account("files", page_size=0), "account 'work': page_size must be", ">= 1"),
    "policy count": (
        {"policy": {"max_recipients": "ten"}},
        'policy.max_recipients must be a whole number, not "ten"',
        ">= 0",
    ),
    "policy tier": (
        {"policy": {"tiers": {"inner": {"min_strength": 2}}}},
        "policy.tiers.inner.min_strength must be between 0 and 1, not 2",
        "from 0 to 1",
    ),
    "account name": (
        {"account": [{"name": "a b", "type": "imap"}]},
        "account #1: name must be a short name of letters",
        'name = "work"',
    ),
}


@pytest.mark.parametrize(("data", "message", "advice"), WRONG.values(), ids=list(WRONG))
def test_a_wrong_value_names_its_full_path_and_what_to_write(
    data: dict[str, Any], message: str, advice: str
) -> None:
    raised = config_error(data)
    assert str(raised).startswith(message)
    assert advice in raised.advice


# -- a string where a list belongs: an error that shows the list ---------------------------------

LISTS: dict[str, tuple[dict[str, Any], str, str]] = {
    "[me] addresses": (
        {"me": {"addresses": "x@y.example"}},
        "me.addresses",
        'addresses = ["x@y.example"]',
    ),
    "imap folders": (
        account("imap", received_folders="INBOX"),
        "account 'work': received_folders",
        'received_folders = ["INBOX"]',
    ),
    "gmail labels": (
        account("gmail", labels="SENT"),
        "account 'work': labels",
        'labels = ["SENT"]',
    ),
    "outlook folders": (
        account("outlook", mail_folders="inbox"),
        "account 'work': mail_folders",
        'mail_folders = ["inbox"]',
    ),
    "outlook scopes": (
        account("outlook", scopes="Mail.Read"),
        "account 'work': scopes",
        'scopes = ["Mail.Read"]',
    ),
    "policy domains": (
        {"policy": {"ignore_domains": "example.com"}},
        "policy.ignore_domains",
        'ignore_domains = ["example.com"]',
    ),
    "policy pinned": (
        {"policy": {"pinned": "ann@example.com"}},
        "policy.pinned",
        'pinned = ["ann@example.com"]',
    ),
}


@pytest.mark.parametrize(("data", "path", "fix"), LISTS.values(), ids=list(LISTS))
def test_a_string_where_a_list_belongs_is_an_error_showing_the_fix(
    data: dict[str, Any], path: str, fix: str
) -> None:
    raised = config_error(data)
    assert str(raised) == f"{path} must be a list, not a single string"
    assert raised.advice == f"write it as a list: {fix}"


# -- one duration grammar for every duration in the file ----------------------------------------

DURATIONS = {
    "90s": timedelta(seconds=90),
    "15m": timedelta(minutes=15),
    "36h": timedelta(hours=36),
    "1.5h": timedelta(minutes=90),
    "30d": timedelta(days=30),
    "6w": timedelta(weeks=6),
    "2y": timedelta(days=730),
    "1d12h": timedelta(hours=36),
}


def durations_in_every_table(text: object) -> dict[str, timedelta]:
    """`text` as [daemon] sync_every, an account's sync_every, a policy and a tier duration."""
    config = parse_config(
        {
            "daemon": {"sync_every": text},
            "account": [{"name": "w", "type": "files", "path": "x", "sync_every": text}],
        }
    )
    policy = load_policy({"thank_you_window": text, "tiers": {"inner": {"cadence": text}}})
    inner = next(t for t in policy.tiers if t.name == "inner")
    assert inner.cadence is not None
    return {
        "daemon": timedelta(seconds=config.sync_every),
        "account": timedelta(seconds=config.account("w").sync_every or 0),
        "policy": policy.thank_you_window,
        "tier": inner.cadence,
    }


@pytest.mark.parametrize(("text", "expected"), DURATIONS.items())
def test_every_duration_in_the_file_reads_the_same_grammar(text: str, expected: timedelta) -> None:
    assert set(durations_in_every_table(text).values()) == {expected}


@pytest.mark.parametrize("text", ["soon", "15", 15, "2 years", ""])
def test_every_duration_in_the_file_refuses_the_same_mistakes(text: object) -> None:
    files = [{"name": "w", "type": "files", "path": "x", "sync_every": text}]
    for data in (
        {"daemon": {"sync_every": text}},
        {"account": files},
        {"policy": {"thank_you_window": text}},
        {"policy": {"tiers": {"inner": {"cadence": text}}}},
    ):
        raised = config_error(data)
        assert "must be " in str(raised) and 'a duration like "36h"' in str(raised)


# -- secrets: references only; an inline value of any type is refused and never repeated --------

SECRETS = [("imap", "password"), ("imap", "access_token"), ("gmail", "refresh_token")]
SECRETS += [("gcal", "refresh_token"), ("outlook", "token_cache")]


@pytest.mark.parametrize(("type_", "key"), SECRETS)
@pytest.mark.parametrize("inline", ["hunter2", 123456789, ["s3cr3t"]])
def test_a_secret_written_inline_is_refused_everywhere(
    type_: str, key: str, inline: object
) -> None:
    for raised in (
        config_error(account(type_, **{key: inline})),
        connector_error(type_, {key: inline}),
    ):
        assert f"{key} is written inline; secrets never live in the config file" in str(raised)
        assert "keyring" in raised.advice
        assert str(inline) not in str(raised) + raised.advice


@pytest.mark.parametrize(("type_", "key"), SECRETS)
def test_a_secret_reference_goes_to_the_secrets_not_the_settings(type_: str, key: str) -> None:
    config = parse_config(account(type_, **{key: {"keyring": "touchbase/work"}}))
    work = config.account("work")
    assert work.secrets == {key: SecretRef("keyring", "touchbase/work")}
    assert key not in work.settings and work.settings == MINIMAL[type_]


def test_a_type_registered_at_run_time_keeps_its_settings_for_its_connector() -> None:
    config = parse_config(
        {"account": [{"name": "w", "type": "jsonl", "path": "x", "token": {"env": "T"}}]}
    )
    assert config.account("w").settings == {"path": "x"}
    assert config.account("w").secrets == {"token": SecretRef("env", "T")}


# -- no drift: types, defaults, examples, the starter file, default.toml, the reference ----------


def test_every_account_type_has_a_factory_and_a_settings_table() -> None:
    assert set(ACCOUNT_TYPES) == set(accounts.FACTORIES)


def test_graph_settings_agree_with_msal_and_the_client_they_configure() -> None:
    assert graph.DEFAULT_SCOPES == msal_auth.DEFAULT_SCOPES
    assert graph.MAX_CONCURRENCY == graph_http.MAX_CONCURRENCY


def tables() -> dict[str, Table]:
    found = {"[me]": ME, "[daemon]": DAEMON, "[[account]]": ACCOUNT, "[policy] tier": TIER}
    return found | {f'type = "{name}"': table for name, table in ACCOUNT_TYPES.items()}


@pytest.mark.parametrize("table", tables().values(), ids=list(tables()))
def test_every_entry_has_help_and_its_default_and_example_are_valid(table: Table) -> None:
    assert all(entry.help for entry in table.entries)
    shown = {e.name: e.sample() for e in table.entries}  # what the reference and advice show
    shown = {k: v for k, v in shown.items() if not table[k].secret}
    table.parse(shown, "t.")
    table.parse({e.name: e.sample() for e in table.entries if e.required}, "t.")


def uncommented(text: str) -> str:
    """The starter with its commented-out settings and tables switched on; prose stays comment."""
    setting = re.compile(r"^# ?((\[\[?[a-z.]+\]\]?)|([a-z_]+ = .*))$")
    return "\n".join(setting.sub(r"\1", line) for line in text.splitlines())


def starter() -> str:
    return resources.files("touchbase.agent.pipeline").joinpath("starter.toml").read_text()


def test_the_starter_file_loads_with_every_commented_setting_switched_on() -> None:
    text = starter()
    assert parse_config(tomllib.loads(text)).me.addresses == ("you@example.com",)
    data = tomllib.loads(uncommented(text))
    config = parse_config(data)  # every key it shows, commented or not, exists and is valid
    assert {a.type for a in config.accounts} == {"files", "imap"}
    assert config.database_url and config.policy


def test_the_starter_shows_every_key_of_me_and_daemon() -> None:
    data = tomllib.loads(uncommented(starter()))
    assert set(data["me"]) == set(ME.names)
    assert set(data["daemon"]) == set(DAEMON.names)
    assert set(data) == set(FILE.names)


def test_default_toml_and_the_policy_schema_declare_the_same_keys() -> None:
    shipped = default_table()
    assert list(shipped) == list(POLICY.names)  # same keys, same order as documented
    for name, tier in shipped["tiers"].items():
        assert set(tier) == set(TIER.names), name
    assert all(entry.default is REQUIRED for entry in POLICY.entries)  # defaults: default.toml


def test_the_configuration_reference_is_generated_from_the_schema() -> None:
    written = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert written == render(), (
        "docs/configuration.md is stale: run "
        "`python -m touchbase.agent.pipeline.config_reference docs/configuration.md`"
    )
    for name in (*ME.names, *DAEMON.names, *POLICY.names, *ACCOUNT_TYPES):
        assert f"`{name}`" in written or f'type = "{name}"' in written


def test_learn_addresses_is_declared_and_carried_on_me() -> None:
    assert parse_config({}).me.learn_addresses is True
    assert parse_config({"me": {"learn_addresses": False}}).me.learn_addresses is False
    raised = config_error({"me": {"learn_addresses": "no"}})
    assert str(raised) == 'me.learn_addresses must be true or false, not "no"'


def test_policy_errors_from_the_file_keep_their_advice() -> None:
    with pytest.raises(PolicyError) as direct:
        load_policy({"max_recipent": 3})
    raised = config_error({"policy": {"max_recipent": 3}})
    assert (str(raised), raised.advice) == (str(direct.value), direct.value.advice)


def test_the_readme_configuration_example_loads() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    config = parse_config(tomllib.loads(example))
    assert config.account("work").secrets["password"] == SecretRef("keyring", "touchbase/work")


def test_connectors_take_only_the_schema_from_rules() -> None:
    """The schema lives in rules/ so every layer may import it; connectors need nothing else."""
    found = set()
    for path in (ROOT / "connectors").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "touchbase.rules"
            ):
                found.add(node.module)
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("touchbase.rules")}
    assert found == {"touchbase.rules.schema"}
