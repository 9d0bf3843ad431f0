"""The configuration file: one TOML file, validated on load with messages that say what to fix.

Layout (`touchbase init` writes a commented starter, agent/starter.toml):

    [me]          name, addresses, time_zone, signature, keep_subjects
    [database]    url (optional; --db and TOUCHBASE_DB win)
    [daemon]      sync_every, digest_at (optional)
    [[account]]   name, type, sync_every (optional), then the connector's own settings
    [policy]      the rules' settings, validated by touchbase.rules.policy

Secrets are never written inline: a setting whose name says it is a secret (password, token...)
must be a reference table, `{ keyring = "service/user" }`, `{ command = "pass show mail" }`,
`{ env = "VARIABLE" }` or `{ file = "~/.config/touchbase/mail.pw" }` (readable by the owner only).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from touchbase.agent.errors import ConfigError
from touchbase.rules.policy import PolicyError, load_policy

APP = "touchbase"
SECRET_NAMES = re.compile(r"(password|passwd|secret|token|api_key|apikey)", re.IGNORECASE)
SECRET_KINDS = ("keyring", "command", "env", "file")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'touchbase.db'}"


def parse_duration(value: object, key: str) -> float:
    """Seconds from "15m", "2h", "1d", "90s" or a number of seconds."""
    if isinstance(value, bool):
        raise ConfigError(f'{key}: expected a duration like "15m", got {value!r}')
    if isinstance(value, int | float) and value > 0:
        return float(value)
    if isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
        if seconds > 0:
            return seconds
    raise ConfigError(f'{key}: expected a duration like "90s", "15m", "2h" or "1d", got {value!r}')


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: kind is keyring, command, env or file."""

    kind: str
    where: str


@dataclass(frozen=True)
class Me:
    name: str = ""
    addresses: tuple[str, ...] = ()
    time_zone: str = "UTC"
    signature: str = ""
    keep_subjects: bool = True


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
    sync_every: float = 900.0  # 15 minutes: fresh enough for a daily habit, gentle on quotas
    digest_at: str = "08:00"
    digest_draft: bool = False  # also put the daily digest into the owner's Drafts folder

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
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return parse_config(data, path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", advice=exc.advice) from None


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> Config:
    _only(data, {"me", "database", "daemon", "account", "policy"}, "the top level")
    me = _parse_me(_table(data, "me"))
    database = _table(data, "database")
    _only(database, {"url"}, "[database]")
    url = database.get("url")
    if url is not None and not isinstance(url, str):
        raise ConfigError(f"database.url: expected a string URL, got {url!r}")
    daemon = _table(data, "daemon")
    _only(daemon, {"sync_every", "digest_at", "digest_draft"}, "[daemon]")
    digest_draft = daemon.get("digest_draft", False)
    if not isinstance(digest_draft, bool):
        raise ConfigError(f"daemon.digest_draft: expected true or false, got {digest_draft!r}")
    sync_every = parse_duration(daemon.get("sync_every", "15m"), "daemon.sync_every")
    digest_at = daemon.get("digest_at", "08:00")
    if not isinstance(digest_at, str) or not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", digest_at):
        raise ConfigError(f'daemon.digest_at: expected a time like "08:00", got {digest_at!r}')
    raw_accounts = data.get("account", [])
    if not isinstance(raw_accounts, list):
        raise ConfigError("account: write each account as an [[account]] table")
    accounts = tuple(_parse_account(a, i) for i, a in enumerate(raw_accounts))
    names = [a.name for a in accounts]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"account names must be unique; repeated: {', '.join(duplicated)}")
    policy = _table(data, "policy")
    try:  # validated now, so a typo in [policy] is reported at load, not mid-cycle
        load_policy({"timezone": me.time_zone, **policy})
    except PolicyError as exc:
        raise ConfigError(
            str(exc), advice="rules/default.toml lists every policy setting"
        ) from None
    return Config(
        path=path,
        me=me,
        accounts=accounts,
        policy=policy,
        database_url=url,
        sync_every=sync_every,
        digest_at=digest_at,
        digest_draft=digest_draft,
    )


def _table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table [{key}], got {type(value).__name__}")
    return value


def _only(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {where}",
            advice=f"allowed keys there: {', '.join(sorted(allowed))}",
        )


def _parse_me(me: Mapping[str, Any]) -> Me:
    _only(me, {"name", "addresses", "time_zone", "signature", "keep_subjects"}, "[me]")
    addresses = me.get("addresses", [])
    if isinstance(addresses, str):
        addresses = [addresses]
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise ConfigError("me.addresses: expected a list of e-mail addresses")
    for address in addresses:
        if "@" not in address or any(c.isspace() for c in address.strip()):
            raise ConfigError(f"me.addresses: {address!r} is not an e-mail address")
    zone = me.get("time_zone", "UTC")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"me.time_zone: unknown time zone {zone!r}",
            advice='use an IANA name such as "Europe/Berlin" or "America/New_York"',
        ) from None
    for key in ("name", "signature"):
        if not isinstance(me.get(key, ""), str):
            raise ConfigError(f"me.{key}: expected text")
    keep = me.get("keep_subjects", True)
    if not isinstance(keep, bool):
        raise ConfigError("me.keep_subjects: expected true or false")
    return Me(
        name=me.get("name", ""),
        addresses=tuple(a.strip().lower() for a in addresses),
        time_zone=str(zone),
        signature=me.get("signature", ""),
        keep_subjects=keep,
    )


def _parse_account(raw: object, index: int) -> AccountConfig:
    where = f"account #{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected an [[account]] table")
    name = raw.get("name")
    if not isinstance(name, str) or not _ACCOUNT_NAME.match(name):
        raise ConfigError(
            f"{where}: name: expected a short name of letters, digits, '.', '_' or '-', "
            f"got {name!r}"
        )
    where = f"account {name!r}"
    type_ = raw.get("type")
    if not isinstance(type_, str) or not type_:
        raise ConfigError(f'{where}: type: expected one of the account types, e.g. "imap"')
    settings: dict[str, Any] = {}
    secrets: dict[str, SecretRef] = {}
    for key, value in raw.items():
        if key in ("name", "type", "sync_every"):
            continue
        if isinstance(value, dict) and set(value) & set(SECRET_KINDS):
            secrets[key] = _secret_ref(value, f"{where}: {key}")
        elif SECRET_NAMES.search(key) and isinstance(value, str):
            raise ConfigError(
                f"{where}: {key} is written inline; secrets never live in the config file",
                advice=f'write {key} = {{ keyring = "touchbase/{name}" }} (then `touchbase auth '
                f'{name}` stores it), or {{ command = "pass show mail" }}, {{ env = "VAR" }}, '
                f'{{ file = "~/.config/touchbase/{name}.secret" }} (chmod 600)',
            )
        else:
            settings[key] = value
    sync_every = None
    if "sync_every" in raw:
        sync_every = parse_duration(raw["sync_every"], f"{where}: sync_every")
    return AccountConfig(name, type_, settings, secrets, sync_every)


def _secret_ref(value: Mapping[str, Any], where: str) -> SecretRef:
    kinds = [k for k in SECRET_KINDS if k in value]
    if len(kinds) != 1 or len(value) != 1 or not isinstance(value[kinds[0]], str):
        raise ConfigError(
            f"{where}: a secret reference has exactly one of keyring, command, env, file with "
            f'a text value, e.g. {{ keyring = "touchbase/work" }}'
        )
    return SecretRef(kinds[0], value[kinds[0]])
