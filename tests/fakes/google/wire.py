"""Wire helpers for the fake Google: JSON replies, Google's error shape, multipart/mixed batches.

Batch format (https://developers.google.com/gmail/api/guides/batch): the request body is
multipart/mixed, each part `Content-Type: application/http` holding one HTTP request; the reply
is multipart/mixed with CRLF line endings, each part echoing `Content-ID: <response-ID>`.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import compat32
from http import HTTPStatus

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    410: "GONE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class Reply:
    """One HTTP answer: status, headers and a body."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One HTTP request as the fake sees it (top level or inside a batch)."""

    method: str
    path: str  # without the query string, starting with "/"
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.body or b"{}")
        return data


def json_reply(obj: object, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(obj).encode()
    all_headers = {"Content-Type": "application/json; charset=UTF-8"}
    all_headers.update(headers or {})
    return Reply(status, body, all_headers)


def error_reply(
    status: int,
    message: str,
    reason: str,
    *,
    domain: str = "global",
    headers: dict[str, str] | None = None,
) -> Reply:
    """Google's JSON error envelope (https://cloud.google.com/apis/design/errors#http_mapping)."""
    error = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return json_reply(error, status, headers)


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


def parse_batch(content_type: str, body: bytes) -> list[tuple[str, Call]]:
    """The (Content-ID, request) pairs of a multipart/mixed batch body."""
    if not _BOUNDARY.search(content_type):
        raise ValueError("batch without a multipart boundary")
    message = BytesParser(policy=compat32).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("batch body is not multipart")
    calls = []
    for part in message.get_payload():
        assert not isinstance(part, str)
        content_id = str(part["Content-ID"] or "")
        raw = part.get_payload(decode=False)
        calls.append((content_id, parse_http_request(raw if isinstance(raw, str) else "")))
    return calls


def parse_http_request(text: str) -> Call:
    """One application/http part: request line, headers, blank line, body."""
    from urllib.parse import parse_qs, urlsplit

    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    url = urlsplit(target)
    return Call(method, url.path, parse_qs(url.query), headers, body.encode())


def format_batch(parts: list[tuple[str, Reply]]) -> tuple[str, bytes]:
    """A multipart/mixed reply (content type, body) with CRLF endings, as Google sends it."""
    boundary = "batch_" + uuid.uuid4().hex
    out: list[str] = []
    for content_id, reply in parts:
        inner = content_id.strip()
        if inner.startswith("<") and inner.endswith(">"):
            inner = inner[1:-1]
        status_text = HTTPStatus(reply.status).phrase
        out.append(f"--{boundary}\r\n")
        out.append("Content-Type: application/http\r\n")
        out.append(f"Content-ID: <response-{inner}>\r\n\r\n")
        out.append(f"HTTP/1.1 {reply.status} {status_text}\r\n")
        for name, value in reply.headers.items():
            out.append(f"{name}: {value}\r\n")
        out.append(f"Content-Length: {len(reply.body)}\r\n\r\n")
        out.append(reply.body.decode())
        out.append("\r\n")
    out.append(f"--{boundary}--\r\n")
    return f"multipart/mixed; boundary={boundary}", "".join(out).encode()
