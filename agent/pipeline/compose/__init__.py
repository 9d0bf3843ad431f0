"""Drafting: decisions in, personal plain-text messages and RFC 5322 drafts out."""

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
