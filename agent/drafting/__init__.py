"""Drafting: decisions in, personal plain-text messages and RFC 5322 drafts out."""

from agent.drafting.message import Envelope, InvalidAddress, Recipient, build_message
from agent.drafting.render import Drafter, Rendered, templates_dir
from agent.drafting.request import DraftKind, DraftRequest, LastConversation

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
