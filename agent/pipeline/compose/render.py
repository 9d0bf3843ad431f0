"""Drafts from requests: Jinja2 templates per kind, several phrasings, the owner's overrides.

Templates are plain text named `KIND.N.txt.j2` (check-in.1.txt.j2, ...). The first line is
`Subject: ...`, then a blank line, then the body. The owner may put templates of the same names
in `templates/` beside the configuration file: if any exist for a kind they replace the shipped
phrasings of that kind. Templates are rendered in Jinja2's sandbox with undefined variables as
errors, so a typo in an owner's template fails loudly instead of writing "Hi ," to someone.

Variables: first_name, name, topic (the cleaned subject or meeting title; empty when the owner
keeps no subjects), since ("about three months"), last_date (in the owner's time zone),
occasion, kind, reasons, signature, me_name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.compose.message import header_text
from touchbase.agent.pipeline.compose.request import DraftKind, DraftRequest
from touchbase.agent.pipeline.compose.words import clean_subject, first_name, since_words
from touchbase.agent.pipeline.config import Me

_NAME = re.compile(r"^(?P<kind>[a-z-]+)\.(?P<n>\d+)\.txt\.j2$")


@dataclass(frozen=True)
class Rendered:
    """A draft's text: what the owner reviews."""

    subject: str
    body: str
    template: str


class Drafter:
    """Renders DraftRequests for one owner; build one per run."""

    def __init__(self, me: Me, overrides: Path | None = None) -> None:
        self.me = me
        loaders: list[FileSystemLoader | PackageLoader] = []
        owner: set[str] = set()
        if overrides is not None and overrides.is_dir():
            loaders.append(FileSystemLoader(str(overrides)))
            owner = {p.name for p in overrides.iterdir() if _NAME.match(p.name)}
        loaders.append(PackageLoader("touchbase.agent.pipeline.compose", "templates"))
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,  # plain-text mail; the web page escapes when it shows it
            keep_trailing_newline=False,
        )
        self.variants: dict[str, list[str]] = {}
        shipped = [n for n in self.env.list_templates() if _NAME.match(n)]
        for kind in DraftKind:
            mine = [n for n in owner if _parts(n)[0] == kind.value]
            names = mine or [n for n in shipped if _parts(n)[0] == kind.value]
            self.variants[kind.value] = sorted(names, key=lambda n: _parts(n)[1])

    def choose(self, request: DraftRequest, sequence: int = 0) -> str:
        """The template for this person: fixed per person and kind, moving on by `sequence` (how
        many drafts of this kind they had before) so the same words are not sent twice running."""
        names = self.variants[request.kind.value]
        if not names:
            raise UserError(f"no templates for {request.kind.value} drafts")
        digest = hashlib.sha256(f"{request.person_key}|{request.kind.value}".encode()).digest()
        return names[(int.from_bytes(digest[:8], "big") + sequence) % len(names)]

    def render(self, request: DraftRequest, now: datetime, sequence: int = 0) -> Rendered:
        name = self.choose(request, sequence)
        topic = ""
        if self.me.keep_subjects:
            topic = clean_subject(request.meeting_title or request.topic or request.last.subject)
        zone = ZoneInfo(self.me.time_zone)
        last_at = request.last_contact or request.last.at
        context = {
            "first_name": first_name(request.name, request.addresses),
            "name": header_text(request.name),
            "topic": topic,
            "since": since_words(last_at, now),
            "last_date": _day(last_at.astimezone(zone)) if last_at else "",
            "occasion": header_text(request.occasion),
            "kind": request.kind.value,
            "reasons": list(request.reasons),
            "signature": self.me.signature or self.me.name,
            "me_name": self.me.name,
        }
        try:
            text = self.env.get_template(name).render(context)
        except TemplateError as exc:
            raise UserError(
                f"the draft template {name} failed: {exc}",
                advice="fix the template in your templates folder, or remove it to use the "
                "shipped one",
            ) from exc
        subject, body = _split(text, name)
        if request.kind is DraftKind.FOLLOW_UP and request.last.subject:
            # A follow-up answers in its thread: "Re: " and the original subject (RFC 5322 3.6.5).
            subject = "Re: " + clean_subject(request.last.subject)
        return Rendered(header_text(subject) or "Hello", body.strip("\n") + "\n", name)


def _day(value: datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def _parts(name: str) -> tuple[str, int]:
    match = _NAME.match(name)
    return (match["kind"], int(match["n"])) if match else ("", 0)


def templates_dir(config_path: Path | None) -> Path:
    """Where the owner's own templates live: `templates/` beside the configuration file."""
    from touchbase.agent.pipeline.config import config_path as default_config_path

    return (config_path or default_config_path()).parent / "templates"


def _split(text: str, name: str) -> tuple[str, str]:
    head, sep, body = text.lstrip("\n").partition("\n")
    if not head.lower().startswith("subject:") or not sep:
        raise UserError(
            f"the draft template {name} must start with a 'Subject: ...' line and a blank line"
        )
    return head.split(":", 1)[1].strip(), body.lstrip("\n")
