"""Structured logging: one line per event on stderr, key=value (or JSON), journald-friendly.

Every record goes through `Redactor`, on the handler, so connectors' and libraries' log lines are
covered too: credentials are masked at every level (DESIGN.md contract 8), and at INFO and above
e-mail addresses are masked and `subject` fields dropped, so a journal shared in a bug report
tells nothing about the owner's correspondents. DEBUG keeps addresses for the owner's own digging.

Under systemd, stderr is the journal (JOURNAL_STREAM names the stream, systemd.exec(5)); lines
then start with a syslog priority prefix like "<4>" (sd-daemon(3)) instead of a timestamp, so
`journalctl -p warning` filters by level and the journal's own timestamps are not doubled.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

FIELDS = "fields"  # the `extra=` key that carries an event's structured fields
ADDRESS = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|api_?key|authorization|cookie|credential)", re.I
)
# Credentials inside free text: "Bearer abc", "access_token=abc", '"refresh_token": "abc"'.
_SECRET_TEXT = re.compile(
    r"(?i)(bearer\s+|(?:access|refresh|id)_token[\"']?\s*[:=]\s*[\"']?|"
    r"(?:password|passwd|secret|api_?key)[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;]+)"
)
_PRIVATE_FIELDS = {"subject", "subjects"}
_SYSLOG = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}
_PLAIN = re.compile(r"^[A-Za-z0-9_.:/@<>+\-]+$")
_HIDDEN = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
MASK = "<redacted>"
ADDRESS_MASK = "<address>"


def event(logger: logging.Logger, level: int, name: str, **fields: Any) -> None:
    """Log the event `name` with structured `fields` (one line, key=value)."""
    logger.log(level, name, extra={FIELDS: fields}, stacklevel=2)


def redact_text(text: str, *, addresses: bool) -> str:
    text = _SECRET_TEXT.sub(lambda m: m.group(1) + MASK, text)
    return ADDRESS.sub(ADDRESS_MASK, text) if addresses else text


def redact_fields(fields: Mapping[str, Any], *, private: bool) -> dict[str, Any]:
    """Mask secret-named fields always; at `private` (INFO+) drop subjects, mask addresses."""
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        if _SECRET_KEY.search(key):
            clean[key] = MASK
        elif private and key.lower() in _PRIVATE_FIELDS:
            continue
        elif isinstance(value, str):
            clean[key] = redact_text(value, addresses=private)
        elif isinstance(value, list | tuple) and private:
            clean[key] = [
                redact_text(v, addresses=True) if isinstance(v, str) else v for v in value
            ]
        else:
            clean[key] = value
    return clean


class Redactor(logging.Filter):
    """Rewrites each record in place before any formatter sees it; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        private = record.levelno >= logging.INFO
        message = record.getMessage()
        record.msg, record.args = redact_text(message, addresses=private), None
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, Mapping):
            setattr(record, FIELDS, redact_fields(fields, private=private))
        if record.exc_info and private:
            # Exception texts quote what they failed on (an address, a header line).
            record.exc_text = redact_text(
                logging.Formatter().formatException(record.exc_info), addresses=True
            )
            record.exc_info = None
        return True


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    text = str(value)
    if text and _PLAIN.match(text):
        return text
    # json.dumps escapes C0 controls but leaves C1 (CSI is U+009B) and bidi overrides raw:
    # a name from mail must not drive the terminal someone reads the log on (issue 13.4).
    return _HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


class KeyValueFormatter(logging.Formatter):
    """`ts=... level=info logger=agent.daemon event="cycle done" key=value ...` on one line."""

    def __init__(self, *, journal: bool = False) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        parts: list[str] = []
        if self.journal:
            prefix = f"<{_SYSLOG.get(record.levelno, 3 if record.levelno > 40 else 6)}>"
        else:
            prefix = ""
            stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            parts.append(f"ts={stamp}")
        parts += [f"level={record.levelname.lower()}", f"logger={record.name}"]
        parts.append(f"event={_value(record.getMessage())}")
        for key, value in (getattr(record, FIELDS, None) or {}).items():
            parts.append(f"{key}={_value(value)}")
        trace = record.exc_text or (
            self.formatException(record.exc_info) if record.exc_info else ""
        )
        if trace:
            parts.append(f"traceback={json.dumps(trace)}")  # one line, even with a traceback
        return prefix + " ".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        data.update(getattr(record, FIELDS, None) or {})
        trace = record.exc_text or (
            self.formatException(record.exc_info) if record.exc_info else ""
        )
        if trace:
            data["traceback"] = trace
        return json.dumps(data, default=str, ensure_ascii=False)


def on_journal(stream: TextIO) -> bool:
    """True when `stream` is the journal's stream for this service (JOURNAL_STREAM=dev:ino)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    try:
        stat = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{stat.st_dev}:{stat.st_ino}"


def setup(level: int = logging.INFO, *, fmt: str = "kv", stream: TextIO | None = None) -> None:
    """Route every logger to one redacting handler on stderr (replacing earlier handlers)."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(KeyValueFormatter(journal=on_journal(stream)))
    handler.addFilter(Redactor())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries chatter at INFO (alembic's migration context, urllib3's connections).
    for noisy in ("alembic", "urllib3", "googleapiclient", "msal"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
