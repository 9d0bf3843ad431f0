"""Drafting: decisions in, personal plain-text messages and RFC 5322 drafts out.

The names below are made on first use (issue 16): importing a submodule (drafts.lifecycle reads
compose.message to list drafts) runs this file, and `touchbase drafts` should not pay for the
renderer and the rules it writes with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from touchbase.agent.lazy import lazy_names

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


__getattr__ = lazy_names(__name__, {name: f"{__name__}.{module}" for name, module in _FROM.items()})
