"""The configuration file: one TOML file, validated on load with messages that say what to fix.

Its schema is composed here from declared tables (rules/schema.py; `touchbase init` writes a
commented starter, agent/pipeline/starter.toml, and docs/configuration.md is generated from it):

    [me]          ME: name, addresses, time_zone, signature, keep_subjects, learn_addresses
    [database]    DATABASE: url (optional; --db and TOUCHBASE_DB win)
    [daemon]      DAEMON: sync_every, digest_at, digest_draft, notify
    [web]         WEB: host, port, allow_remote, tls_cert, tls_key, names (`touchbase serve`)
    [[account]]   ACCOUNT (name, type, sync_every), then ACCOUNT_TYPES[type]: each connector
                  declares its own table next to its code (connectors/*/settings.py)
    [policy]      POLICY in touchbase.rules.policy, over rules/default.toml

Every table reads by the same rules: an unknown key is an error with a did-you-mean, a value
is checked against its entry, every duration has one grammar ("15m", "36h", "1d12h", "2y").
Secrets are never written inline: a secret setting (password, token...) must be a reference
table, `{ keyring = "service/user" }`, `{ command = "pass show mail" }`, `{ env = "VARIABLE" }`
or `{ file = "~/.config/touchbase/mail.pw" }` (readable by the owner only).
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from touchbase.agent.errors import ConfigError
from touchbase.rules.policy import load_policy
from touchbase.rules.schema import (
    ACCOUNT,
    SECRET_KINDS,
    Address,
    AnyTable,
    Clock,
    Duration,
    Entry,
    Flag,
    Key,
    SchemaError,
    Secret,
    SecretRef,
    Section,
    Strings,
    Table,
    TableArray,
    Text,
    Whole,
    ZoneName,
)

APP = "touchbase"

ME = Table(
    "[me]",
    (
        Entry("name", Text(blank=True, strip=False), "", "your name, used in signatures"),
        Entry(
            "addresses",
            Strings(Address(), what="e-mail addresses", example=("you@example.com",)),
            [],
            "your addresses: mail from them is mail you sent",
            convert=lambda addresses: tuple(dict.fromkeys(a.lower() for a in addresses)),
        ),
        Entry("time_zone", ZoneName(), "UTC", "business days, quiet hours and dates use it"),
        Entry("signature", Text(blank=True, strip=False), "", "ends every draft"),
        Entry("keep_subjects", Flag(), True, "false: subjects are never stored or quoted"),
        Entry(
            "learn_addresses",
            Flag(),
            True,
            "addresses that send the mail found in your Sent folders are added as yours "
            "automatically",
        ),
    ),
)
DATABASE = Table(
    "[database]",
    (
        Entry(
            "url",
            Text(example="postgresql+psycopg://touchbase@localhost/touchbase"),
            None,
            "a SQLAlchemy URL; default SQLite in your data folder (--db and TOUCHBASE_DB win)",
        ),
    ),
)
DAEMON = Table(
    "[daemon]",
    (
        # 15 minutes: fresh enough for a daily habit, gentle on quotas.
        Entry("sync_every", Duration(positive=True), "15m", "how often each account is synced"),
        Entry("digest_at", Clock(), "08:00", "when the daily digest of who is due is logged"),
        Entry("digest_draft", Flag(), False, "true: also put the digest into your Drafts folder"),
        Entry(
            "notify",
            Flag(),
            False,
            "true: the digest also raises a desktop notification (D-Bus) with the drafts waiting",
        ),
    ),
)
WEB = Table(
    "[web]",
    (
        Entry("host", Text(), "127.0.0.1", "address the review page listens on (--host wins)"),
        Entry("port", Whole(0, 65535), 8765, "port of the review page (--port wins)"),
        Entry(
            "allow_remote",
            Flag(),
            False,
            "true: listen beyond this machine without TLS (plain HTTP; --allow-remote too)",
        ),
        Entry(
            "tls_cert",
            Text(example="~/.config/touchbase/cert.pem"),
            None,
            "a PEM certificate: the page is served over HTTPS (then it may listen beyond loopback)",
        ),
        Entry("tls_key", Text(example="~/.config/touchbase/key.pem"), None, "tls_cert's PEM key"),
        Entry(
            "names",
            Strings(Text(), what="host names", example=("touchbase.example.lan",)),
            [],
            "other host names the page answers to (loopback and --host always)",
        ),
    ),
)


class DeclaredTables(Mapping[str, Table]):
    """Account types and their settings' tables, each read from its connector's settings module
    on first look-up: a configuration without a Google account imports no Google settings, and
    a command before any account reads none of them (issue 16)."""

    def __init__(self, where: Mapping[str, tuple[str, str]]) -> None:
        self._where = dict(where)

    def __getitem__(self, type_: str) -> Table:
        module, name = self._where[type_]
        table: Table = getattr(importlib.import_module(module), name)
        return table

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


# Account types and their settings, declared by each connector. agent/pipeline/accounts.py maps
# the same types to their factories (a test keeps the two lists equal).
ACCOUNT_TYPES: Mapping[str, Table] = DeclaredTables(
    {
        "files": ("touchbase.connectors.files.settings", "TABLE"),
        "gmail": ("touchbase.connectors.google.settings", "GMAIL"),
        "gcal": ("touchbase.connectors.google.settings", "GCAL"),
        "imap": ("touchbase.connectors.imap.settings", "TABLE"),
        "outlook": ("touchbase.connectors.graph.settings", "TABLE"),
        "caldav": ("touchbase.connectors.dav.settings", "CALDAV"),
        "carddav": ("touchbase.connectors.dav.settings", "CARDDAV"),
    }
)
FILE = Table(
    "the top level",
    (
        Entry("me", Section(ME), {}, "who you are"),
        Entry("database", Section(DATABASE), {}, "where touchbase keeps what it learns"),
        Entry("daemon", Section(DAEMON), {}, "what `touchbase daemon` does when"),
        Entry("web", Section(WEB), {}, "the review page, `touchbase serve`"),
        Entry("account", TableArray(), [], "one [[account]] table per source"),
        Entry("policy", AnyTable(), {}, "the rules' settings, over rules/default.toml"),
    ),
)
_NAME = Table("[[account]]", (ACCOUNT["name"],))
# A type no table declares (a test double registered in accounts.FACTORIES) keeps the old
# reading of secrets: reference tables are secrets; an inline value under a secret's name is
# refused.
SECRET_NAMES = re.compile(r"(password|passwd|secret|token|api_key|apikey)", re.IGNORECASE)


def config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'touchbase.db'}"


@dataclass(frozen=True)
class Me:
    name: str = ""
    addresses: tuple[str, ...] = ()
    time_zone: str = "UTC"
    signature: str = ""
    keep_subjects: bool = True
    learn_addresses: bool = True


@dataclass(frozen=True)
class AccountConfig:
    name: str
    type: str
    settings: Mapping[str, Any]
    secrets: Mapping[str, SecretRef] = field(default_factory=dict)
    sync_every: float | None = None


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    me: Me = Me()
    accounts: tuple[AccountConfig, ...] = ()
    policy: Mapping[str, Any] = field(default_factory=dict)
    database_url: str | None = None
    sync_every: float = 900.0
    digest_at: str = "08:00"
    digest_draft: bool = False  # also put the daily digest into the owner's Drafts folder
    notify: bool = False  # the daily digest also raises a desktop notification
    web: Mapping[str, Any] = field(default_factory=lambda: WEB.parse({}))  # [web], all keys

    def account(self, name: str) -> AccountConfig:
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none configured"
        raise ConfigError(f"no account called {name!r} (accounts: {known})")


def load_config(path: Path | None, *, required: bool = False) -> Config:
    """Read and validate the file at `path` (or the default place). Missing is fine unless
    `required`; every problem raises ConfigError naming the key and what is expected."""
    explicit = path is not None
    path = path or config_path()
    if not path.exists():
        if required or explicit:
            raise ConfigError(
                f"no configuration file at {path}",
                advice="run `touchbase init` to write a commented starter file",
            )
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", advice="fix the line named") from exc
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line})",
            advice="TOML files are UTF-8: save it as UTF-8 in your editor "
            f"(or: iconv -f latin1 -t utf-8 {path})",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return parse_config(data, path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", advice=exc.advice) from None


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> Config:
    """The file's parsed TOML, checked against FILE and every table in it."""
    try:
        top = FILE.parse(data)
        me = Me(**top["me"])
        accounts = tuple(_parse_account(a, i) for i, a in enumerate(top["account"]))
        # Checked now, so a typo in [policy] is reported at load, not mid-cycle.
        load_policy({"timezone": me.time_zone, **top["policy"]})
    except SchemaError as exc:
        advice = exc.advice or "docs/configuration.md lists every setting"
        raise ConfigError(str(exc), advice=advice) from None
    names = [a.name for a in accounts]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"account names must be unique; repeated: {', '.join(duplicated)}")
    daemon = top["daemon"]
    return Config(
        path=path,
        me=me,
        accounts=accounts,
        policy=top["policy"],
        database_url=top["database"]["url"],
        sync_every=daemon["sync_every"].total_seconds(),
        digest_at=daemon["digest_at"],
        digest_draft=daemon["digest_draft"],
        notify=daemon["notify"],
        web=top["web"],
    )


def _parse_account(raw: Mapping[str, Any], index: int) -> AccountConfig:
    named = {k: v for k, v in raw.items() if k == "name"}
    name = _NAME.parse(named, f"account #{index + 1}: ")["name"]  # first: it names the rest
    where = f"account {name!r}: "
    values = ACCOUNT.parse({k: v for k, v in raw.items() if k in ACCOUNT}, where)
    table = ACCOUNT_TYPES.get(values["type"])
    if table is None:  # a type the agent registers at run time: its connector checks the rest
        return _undeclared_account(raw, values, where)
    label = f'[[account]] {name!r} (type = "{values["type"]}")'
    checked = table.parse(raw, where, label=label, account=name)
    own = [k for k in raw if k not in ACCOUNT]
    return AccountConfig(
        name=name,
        type=values["type"],
        settings={k: raw[k] for k in own if not table[k].secret},
        secrets={k: checked[k] for k in own if table[k].secret},
        sync_every=_seconds(values["sync_every"]),
    )


def _undeclared_account(
    raw: Mapping[str, Any], head: Mapping[str, Any], where: str
) -> AccountConfig:
    settings: dict[str, Any] = {}
    secrets: dict[str, SecretRef] = {}
    for key, value in raw.items():
        if key in ACCOUNT:
            continue
        if SECRET_NAMES.search(key) or (isinstance(value, dict) and set(value) & set(SECRET_KINDS)):
            secrets[key] = Secret().check(value, Key(key, f"{where}{key}", head["name"]))
        else:
            settings[key] = value
    return AccountConfig(
        head["name"], head["type"], settings, secrets, _seconds(head["sync_every"])
    )


def _seconds(duration: Any) -> float | None:
    return None if duration is None else float(duration.total_seconds())
