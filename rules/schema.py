"""One settings schema for the configuration file: declared entries, messages that say the fix.

Every table of the file ([me], [database], [daemon], each [[account]] type, [policy]) is a `Table`
of `Entry`s, as in pimutils/todoman's configuration: a name, a `Kind` (what the value must be: its
type, its range and how it is converted), a default written as it would be in the file, a one-line
help text, and for secrets the `Secret` kind. Every table reads by the same rules:

- an unknown key is an error naming the key and its table, with a did-you-mean and the known keys;
- a wrong type or value is an error naming the key's full path (`account 'work': port`,
  `policy.tiers.inner.cadence`), what is expected, and the line to write instead;
- a string where a list belongs is an error showing the list to write (`addresses = ["x@y"]`);
- every duration has one grammar (`parse_duration`: "36h", "30d", "2y", "1d12h");
- a secret is a reference (keyring, command, env, file), never an inline value, and a message
  never repeats what was written for one.

Pure: stdlib only; every layer (rules, connectors, agent) may import it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Final, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class SchemaError(ValueError):
    """A setting is unknown, missing or not what its entry declares; `advice` says what to write."""

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message)
        self.advice = advice


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final[Any] = _Required()  # an entry's default when the file must give the value

# -- durations: the one grammar -------------------------------------------------------------------

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdwy])")
DURATION_HINT = 'a duration like "36h", "30d" or "2y"'


def parse_duration(text: str) -> timedelta:
    """'36h' -> 36 hours; '1d12h' too. Units s, m (minutes), h, d, w, y (365 days)."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _DURATION.sub("", compact):
        raise ValueError(f"not {DURATION_HINT}: {text!r}")
    seconds = sum(float(n) * UNITS[u] for n, u in _DURATION.findall(compact))
    return timedelta(seconds=seconds)


# -- values as the file writes them ---------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml(value: Any) -> str:
    """`value` as a TOML file writes it, for messages, advice and the generated reference."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are valid TOML escapes
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        pairs = (f"{k if _BARE_KEY.match(k) else toml(k)} = {toml(v)}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return str(value)


def _shown(value: Any) -> str:
    text = toml(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- kinds: what a value must be ------------------------------------------------------------------


class Key(NamedTuple):
    """Where a value sits: its name in its table, its full path, and the account it belongs to."""

    name: str
    path: str
    account: str = ""

    def __str__(self) -> str:
        """The name as the file writes it left of `=`: bare, or quoted ("a@b.example")."""
        return self.name if _BARE_KEY.match(self.name) else toml(self.name)


def _wrong(key: Key, expects: str, value: Any, advice: str) -> SchemaError:
    return SchemaError(f"{key.path} must be {expects}, not {_shown(value)}", advice)


class Kind:
    """What a value must be. `check` returns it converted, or raises SchemaError naming the key.

    `expects` says it in words for messages and the reference ("a whole number from 1 to 65535");
    `example` is a value to show in advice when the entry gives none.
    """

    expects: str = "a value"
    example: Any = "..."

    def check(self, value: Any, key: Key) -> Any:
        raise NotImplementedError


class Text(Kind):
    """A string, stripped unless `strip` is false; empty only when `blank`; matching `pattern`."""

    def __init__(
        self,
        *,
        blank: bool = False,
        strip: bool = True,
        pattern: str | None = None,
        hint: str = "",
        example: str = "...",
    ) -> None:
        self.blank, self.strip, self.pattern = blank, strip, pattern
        self.expects = hint or ("text" if blank else "non-empty text")
        self.example = example

    def check(self, value: Any, key: Key) -> Any:
        text = value.strip() if isinstance(value, str) and self.strip else value
        if (
            not isinstance(text, str)
            or (not self.blank and not text.strip())
            or (self.pattern is not None and not re.match(self.pattern, text))
        ):
            raise _wrong(key, self.expects, value, f"write {key} = {toml(self.example)}")
        return text


class PathText(Text):
    """A file or folder path: text, or an os.PathLike when a program passes the table."""

    def __init__(self, *, example: str = "~/Mail/archive.mbox") -> None:
        super().__init__(hint="a path", example=example)

    def check(self, value: Any, key: Key) -> Any:
        return super().check(os.fspath(value) if isinstance(value, os.PathLike) else value, key)


class Address(Text):
    """An e-mail address: something@somewhere, no spaces."""

    def __init__(self, *, example: str = "you@example.com") -> None:
        super().__init__(hint="an e-mail address", example=example)

    def check(self, value: Any, key: Key) -> Any:
        text = super().check(value, key)
        if "@" not in text or any(c.isspace() for c in text):
            raise _wrong(key, self.expects, value, f"write {key} = {toml(self.example)}")
        return text


class Flag(Kind):
    """true or false."""

    expects = "true or false"
    example = True

    def check(self, value: Any, key: Key) -> Any:
        if not isinstance(value, bool):
            advice = f"write {key} = true or {key} = false"
            raise _wrong(key, self.expects, value, advice)
        return value


def _n(number: float) -> str:
    return str(int(number)) if number == int(number) else f"{number:g}"


def _bounds(low: float, high: float | None, above: bool) -> str:
    if high is not None:
        return f"between {_n(low)} and {_n(high)}"
    return f"above {_n(low)}" if above else f"at least {_n(low)}"


class Whole(Kind):
    """A whole number from `low` to `high` (no upper bound when None)."""

    def __init__(self, low: int = 0, high: int | None = None) -> None:
        self.low, self.high = low, high
        self.expects = (
            f"a whole number >= {low}" if high is None else f"a whole number from {low} to {high}"
        )
        self.example = low

    def check(self, value: Any, key: Key) -> Any:
        advice = f"use {self.expects}"
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(key, "a whole number", value, advice)
        if value < self.low or (self.high is not None and value > self.high):
            raise _wrong(key, _bounds(self.low, self.high, False), value, advice)
        return value


class Number(Kind):
    """A number, whole or not, from `low` (excluded when `above`) to `high`."""

    def __init__(self, low: float = 0, high: float | None = None, *, above: bool = False) -> None:
        self.low, self.high, self.above = low, high, above
        if high is not None:
            self.expects = f"a number from {_n(low)} to {_n(high)}"
        else:
            self.expects = f"a number {'>' if above else '>='} {_n(low)}"
        self.example = high if high is not None else low + 1

    def check(self, value: Any, key: Key) -> Any:
        advice = f"use {self.expects}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong(key, "a number", value, advice)
        too_low = value <= self.low if self.above else value < self.low
        if too_low or (self.high is not None and value > self.high):
            raise _wrong(key, _bounds(self.low, self.high, self.above), value, advice)
        return float(value)


class Duration(Kind):
    """A duration in the one grammar (`parse_duration`); longer than zero when `positive`."""

    expects = DURATION_HINT
    example = "30d"

    def __init__(self, *, positive: bool = False) -> None:
        self.positive = positive

    def check(self, value: Any, key: Key) -> Any:
        try:
            duration = parse_duration(value) if isinstance(value, str) else None
        except ValueError:
            duration = None
        if duration is None:
            raise _wrong(key, self.expects, value, self._advice(value, key))
        if self.positive and duration <= timedelta(0):
            raise _wrong(key, "a duration longer than zero", value, self._advice(value, key))
        return duration

    @staticmethod
    def _advice(value: Any, key: Key) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # A bare number is refused: 36 could mean hours or days, so the unit is written.
            n = f"{value:g}"
            return f'a number needs its unit: {key} = "{n}s", "{n}m", "{n}h" or "{n}d"'
        return (
            "write a number and a unit (s, m, h, d, w, y), or several: "
            f'{key} = "30d" or {key} = "1d12h"'
        )


class Choice(Kind):
    """One of a few words."""

    def __init__(self, *choices: str) -> None:
        self.choices = choices
        listed = [toml(c) for c in choices]
        self.expects = (
            f"one of {', '.join(listed[:-1])} or {listed[-1]}" if len(listed) > 1 else listed[0]
        )
        self.example = choices[0]

    def check(self, value: Any, key: Key) -> Any:
        if not isinstance(value, str) or value not in self.choices:
            raise _wrong(key, self.expects, value, f"use {self.expects}")
        return value


class Either(Kind):
    """A value of `first`, or else of `second` (a tier's cadence: "learned" or a duration)."""

    def __init__(self, first: Kind, second: Kind) -> None:
        self.first, self.second = first, second
        self.expects = f"{first.expects} or {second.expects}"
        self.example = second.example

    def check(self, value: Any, key: Key) -> Any:
        try:
            return self.first.check(value, key)
        except SchemaError:
            pass
        try:
            return self.second.check(value, key)
        except SchemaError as exc:
            raise _wrong(key, self.expects, value, exc.advice) from None


class ZoneName(Kind):
    """An IANA time zone name."""

    expects = 'an IANA time zone name like "Europe/Berlin"'
    example = "Europe/Berlin"

    def check(self, value: Any, key: Key) -> Any:
        advice = 'use an IANA name such as "Europe/Berlin" or "America/New_York"'
        if not isinstance(value, str):
            raise _wrong(key, self.expects, value, advice)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _wrong(key, self.expects, value, advice) from None
        return value


class Clock(Kind):
    """A time of day, "HH:MM" (24 hours)."""

    expects = 'a time like "08:00"'
    example = "08:00"

    def check(self, value: Any, key: Key) -> Any:
        if not isinstance(value, str) or not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", value):
            raise _wrong(key, self.expects, value, f'write {key} = "08:00" (24 hours)')
        return value


class Url(Kind):
    """An https:// URL; or http:// to this machine when `loopback_http`."""

    def __init__(
        self, *, loopback_http: bool = False, example: str = "https://example.com/"
    ) -> None:
        self.loopback_http = loopback_http
        self.expects = "an https:// URL" + (
            " (or http:// to this machine)" if loopback_http else ""
        )
        self.example = example

    def check(self, value: Any, key: Key) -> Any:
        if isinstance(value, str):
            parts = urlsplit(value.strip())
            loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
            plain_ok = parts.scheme == "http" and loopback and self.loopback_http
            if parts.hostname and (parts.scheme == "https" or plain_ok):
                return value.strip()
        raise _wrong(key, self.expects, value, f"write {key} = {toml(self.example)}")


class Strings(Kind):
    """A list of `item`s (non-empty text unless said), returned as a tuple; not empty if `filled`.

    A single string is the common slip (`addresses = "x@y"`): refused with the list to write.
    """

    def __init__(
        self,
        item: Kind | None = None,
        *,
        what: str = "text values",
        filled: bool = False,
        example: tuple[str, ...] = ("...",),
    ) -> None:
        self.item = item or Text()
        self.filled = filled
        self.expects = f"{'a non-empty' if filled else 'a'} list of {what}"
        self.example = list(example)

    def check(self, value: Any, key: Key) -> Any:
        if isinstance(value, str):
            raise SchemaError(
                f"{key.path} must be a list, not a single string",
                f"write it as a list: {key} = [{toml(value)}]",
            )
        if not isinstance(value, list | tuple) or (self.filled and not value):
            advice = f"write a list, e.g. {key} = {toml(self.example)}"
            raise _wrong(key, self.expects, value, advice)
        items = []
        for i, item in enumerate(value):
            try:
                items.append(self.item.check(item, Key(key.name, f"{key.path}[{i}]", key.account)))
            except SchemaError as exc:
                each = f"each item of {key} is {self.item.expects}"
                raise SchemaError(str(exc), f"{each}: {key} = {toml(self.example)}") from None
        return tuple(items)


# Where a secret lives: a reference table with exactly one of these keys.
SECRET_KINDS = ("keyring", "command", "env", "file")


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: kind is keyring, command, env or file."""

    kind: str
    where: str


class Secret(Kind):
    """A reference to a secret: { keyring = ... }, { command = ... }, { env = ... }, { file = ... }.

    Anything else (a string, a number, a list) is an inline secret and refused without repeating
    it: the file may be shared, backed up or pasted into a bug report.
    """

    expects = (
        "a secret reference: { keyring = ... }, { command = ... }, { env = ... } or { file = ... }"
    )
    example = MappingProxyType({"keyring": "touchbase/NAME"})

    def check(self, value: Any, key: Key) -> Any:
        account = key.account or "NAME"
        if not isinstance(value, Mapping):
            raise SchemaError(
                f"{key.path} is written inline; secrets never live in the config file",
                f'write {key} = {{ keyring = "touchbase/{account}" }} (then `touchbase auth '
                f'{account}` stores it), or {{ command = "pass show mail" }}, {{ env = "VAR" }}, '
                f'{{ file = "~/.config/touchbase/{account}.secret" }} (chmod 600)',
            )
        kinds = [k for k in SECRET_KINDS if k in value]
        if len(kinds) != 1 or len(value) != 1 or not isinstance(value[kinds[0]], str):
            raise SchemaError(
                f"{key.path}: a secret reference has exactly one of keyring, command, env, file "
                "with a text value",
                f'e.g. {key} = {{ keyring = "touchbase/{account}" }}',
            )
        return SecretRef(kinds[0], value[kinds[0]])


class Section(Kind):
    """A nested table with its own declared entries (`[me]`, a `[policy.tiers.NAME]`)."""

    expects = "a table"
    example = MappingProxyType({})

    def __init__(self, table: Table) -> None:
        self.table = table

    def check(self, value: Any, key: Key) -> Any:
        if not isinstance(value, Mapping):
            raise _wrong(key, "a table", value, f"write it as a table: [{key.path}]")
        return self.table.parse(value, f"{key.path}.", label=f"[{key.path}]", account=key.account)


class MapOf(Kind):
    """A table whose keys the owner chooses (addresses, tier names), each value a `value`."""

    example = MappingProxyType({})

    def __init__(self, value: Kind, *, what: str = "values") -> None:
        self.value = value
        self.expects = f"a table of {what}"

    def check(self, value: Any, key: Key) -> Any:
        if not isinstance(value, Mapping):
            raise _wrong(key, "a table", value, f"write it as a table: [{key.path}]")
        return {
            name: self.value.check(item, Key(name, f"{key.path}.{name}", key.account))
            for name, item in value.items()
        }


class AnyTable(Kind):
    """A table checked elsewhere (the [policy] override, which the rules' own schema checks)."""

    expects = "a table"
    example = MappingProxyType({})

    def check(self, value: Any, key: Key) -> Any:
        if not isinstance(value, Mapping):
            raise _wrong(key, "a table", value, f"write it as a table: [{key.path}]")
        return dict(value)


class TableArray(Kind):
    """An array of tables, `[[name]]`, each checked by its caller (accounts differ by type)."""

    expects = "an array of tables"
    example = ()

    def check(self, value: Any, key: Key) -> Any:
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise SchemaError(
                f"{key.path} must be an array of tables",
                f"write each one as a [[{key.path}]] table",
            )
        return list(value)


# -- entries and tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One declared key: its kind, its default as the file writes it, and a one-line help text.

    `default` is REQUIRED when the file must give a value, None when the key may stay unset.
    `example` is shown in advice and the reference when there is no default to show.
    `convert` turns the checked value into what the program keeps (a frozenset, a mapping).
    """

    name: str
    kind: Kind
    default: Any = None
    help: str = ""
    example: Any = None
    convert: Callable[[Any], Any] | None = None

    @property
    def secret(self) -> bool:
        return isinstance(self.kind, Secret)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def sample(self) -> Any:
        """A value to show: the example, else the default, else one the kind suggests."""
        if self.example is not None:
            return self.example
        if self.default is not None and self.default is not REQUIRED:
            return self.default
        return self.kind.example

    def read(self, value: Any, key: Key) -> Any:
        checked = self.kind.check(value, key)
        return self.convert(checked) if self.convert is not None else checked


@dataclass(frozen=True)
class Table:
    """A table's declared entries; `label` names it in messages ("[me]", "[policy.tiers.inner]")."""

    label: str
    entries: tuple[Entry, ...]
    _index: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {e.name: e for e in self.entries})
        if len(self._index) != len(self.entries):
            raise ValueError(f"{self.label}: an entry is declared twice")

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __getitem__(self, name: str) -> Entry:
        return self._index[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._index)

    def parse(
        self, values: Mapping[str, Any], at: str = "", *, label: str = "", account: str = ""
    ) -> dict[str, Any]:
        """Every entry's value from `values` (checked, converted) or its default.

        `at` prefixes each key's name to make its path ("me.", "account 'work': "); `label`
        overrides how the table is named in messages; `account` is used in secrets' advice.
        """
        label = label or self.label
        for name in values:
            if name not in self._index:
                raise self._unknown(name, at, label)
        # What is written wrong is said before what is missing.
        written = {
            e.name: e.read(values[e.name], Key(e.name, f"{at}{e.name}", account))
            for e in self.entries
            if e.name in values
        }
        parsed: dict[str, Any] = {}
        for entry in self.entries:
            if entry.name in written:
                parsed[entry.name] = written[entry.name]
            elif entry.required:
                where = at.rstrip(": .") or label
                raise SchemaError(
                    f"{where} has no {entry.name}, which is required",
                    f"add {entry.name} = {toml(entry.sample())}: {entry.help}",
                )
            elif entry.default is None:
                parsed[entry.name] = None
            else:
                key = Key(entry.name, f"{at}{entry.name}", account)
                parsed[entry.name] = entry.read(entry.default, key)
        return parsed

    def _unknown(self, name: str, at: str, label: str) -> SchemaError:
        guess = difflib.get_close_matches(name, list(self._index), n=1, cutoff=0.6)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return SchemaError(
            f"{at}{name}: unknown key in {label}{hint}",
            f"known settings in {label}: {', '.join(sorted(self._index))}",
        )


# -- the keys every [[account]] has ---------------------------------------------------------------

ACCOUNT_NAME = Entry(
    "name",
    Text(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        hint="a short name of letters, digits, '.', '_' or '-'",
        example="work",
    ),
    REQUIRED,
    "the account's name, as commands take it (`touchbase auth work`)",
)
ACCOUNT_TYPE = Entry(
    "type",
    Text(example="imap"),
    REQUIRED,
    "what the account is: files, imap, gmail, gcal, outlook, caldav or carddav",
)
ACCOUNT_SYNC_EVERY = Entry(
    "sync_every",
    Duration(positive=True),
    None,
    "how often the daemon syncs this account; default: [daemon] sync_every",
    example="1h",
)
ACCOUNT = Table("[[account]]", (ACCOUNT_NAME, ACCOUNT_TYPE, ACCOUNT_SYNC_EVERY))


def account_table(type_name: str, *entries: Entry) -> Table:
    """The table of an account of `type = type_name`: the keys every account has, then its own.

    Here name and type are optional: the agent requires them, and strips them (with sync_every
    and the secrets) before a connector sees its settings; a program may pass them or not.
    """
    head = tuple(replace(e, default=None) for e in ACCOUNT.entries)
    return Table(f'an [[account]] of type "{type_name}"', head + entries)
