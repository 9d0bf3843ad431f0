"""The fake Google held to the discovery documents google-api-python-client ships (gmail.v1,
calendar.v3): requests with parameters a method does not declare are refused as Google refuses
them, and every JSON answer the fake produces is checked against the method's response schema
(keys and types). A violation is the fake's bug or the connector's: it is recorded and the fake
refuses to stop quietly (FakeGoogle.stop raises).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from googleapiclient import discovery_cache


@dataclass(frozen=True)
class Method:
    """One API method: its HTTP verb, path pattern, parameters and response schema."""

    api: str
    name: str
    http: str
    pattern: re.Pattern[str]
    parameters: frozenset[str]
    response: str | None


@cache
def document(api: str, version: str) -> dict[str, Any]:
    text = discovery_cache.get_static_doc(api, version)
    assert text is not None, f"google-api-python-client lacks {api} {version}"
    data: dict[str, Any] = json.loads(text)
    return data


def _methods(doc: dict[str, Any], resources: dict[str, Any], prefix: str) -> list[Method]:
    found: list[Method] = []
    shared = frozenset(doc.get("parameters", {}))
    for rname, resource in resources.items():
        for mname, method in resource.get("methods", {}).items():
            path = doc["servicePath"] + (method.get("flatPath") or method["path"])
            regex = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape("/" + path))
            found.append(
                Method(
                    doc["name"],
                    f"{prefix}{rname}.{mname}",
                    method["httpMethod"],
                    re.compile(regex + "$"),
                    frozenset(method.get("parameters", {})) | shared,
                    (method.get("response") or {}).get("$ref"),
                )
            )
        found += _methods(doc, resource.get("resources", {}), f"{prefix}{rname}.")
    return found


@cache
def methods() -> tuple[Method, ...]:
    out: list[Method] = []
    for api, version in (("gmail", "v1"), ("calendar", "v3")):
        doc = document(api, version)
        out += _methods(doc, doc["resources"], "")
    return tuple(out)


def method_for(http: str, path: str) -> Method | None:
    # Longest pattern first, so users/{u}/messages/{id} does not match .../messages/batchDelete.
    candidates = [m for m in methods() if m.http == http and m.pattern.match(path)]
    literal = [m for m in candidates if "[^/]+$" not in m.pattern.pattern]
    chosen = literal or candidates
    return chosen[0] if chosen else None


def unknown_parameters(method: Method, query: dict[str, list[str]]) -> list[str]:
    return sorted(name for name in query if name not in method.parameters)


def violations(method: Method, body: object) -> list[str]:
    """Where `body` breaks the method's response schema (keys and JSON types)."""
    if method.response is None:
        return []
    doc = document(method.api, "v1" if method.api == "gmail" else "v3")
    problems: list[str] = []
    _check(doc, {"$ref": method.response}, body, method.response, problems)
    return problems


_JSON_TYPES = {
    "string": str,
    "boolean": bool,
    "array": list,
    "object": dict,
}


def _check(
    doc: dict[str, Any], schema: dict[str, Any], value: object, at: str, out: list[str]
) -> None:
    if "$ref" in schema:
        schema = doc["schemas"][schema["$ref"]]
    kind = schema.get("type")
    if kind == "any" or (kind is None and "properties" not in schema):
        return
    if kind == "integer":
        # int64/uint64 travel as JSON strings in Google's APIs; int32 as numbers.
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok:
            out.append(f"{at}: {value!r} is not an integer")
        return
    if kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            out.append(f"{at}: {value!r} is not a number")
        return
    expected = _JSON_TYPES.get(kind or "object", dict)
    if not isinstance(value, expected):
        out.append(f"{at}: {type(value).__name__} where the document says {kind}")
        return
    if (
        kind == "string"
        and schema.get("format") in ("int64", "uint64")
        and not str(value).lstrip("-").isdigit()
    ):
        out.append(f"{at}: {value!r} is not a {schema['format']} string")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check(doc, schema.get("items", {}), item, f"{at}[{i}]", out)
    elif isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                _check(doc, properties[key], item, f"{at}.{key}", out)
            elif extra is not None:
                _check(doc, extra, item, f"{at}.{key}", out)
            elif properties is not None:
                out.append(f"{at}: key {key!r} is not in the document")
