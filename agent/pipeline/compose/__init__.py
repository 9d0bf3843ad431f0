"""Drafting: decisions in, personal plain-text messages and RFC 5322 drafts out.

The names below are made on first use (issue 16): importing a submodule (drafts.lifecycle reads
compose.message to list drafts) runs this file, and `touchbase drafts` should not pay for the
renderer and the rules it writes with.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from touchbase.agent.pipeline.compose.message import (
        Envelope,
        InvalidAddress,
        Recipient,
        build_message,
    )
    from touchbase.agent.pipeline.compose.render import Drafter, Rendered, templates_dir
    from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest, LastConversation

__all__ = [
    "DraftKind",
    "DraftRequest",
    "Drafter",
    "Envelope",
    "InvalidAddress",
    "LastConversation",
    "Recipient",
    "Rendered",
    "build_message",
    "templates_dir",
]

_FROM = {
    "Envelope": "message",
    "InvalidAddress": "message",
    "Recipient": "message",
    "build_message": "message",
    "Drafter": "render",
    "Rendered": "render",
    "templates_dir": "render",
    "DraftKind": "request",
    "DraftRequest": "request",
    "LastConversation": "request",
}


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_FROM[name]}"), name)
    globals()[name] = value
    return value
