"""Which IMAP folders hold sent mail, drafts and received mail: SPECIAL-USE first, then names.

RFC 6154 SPECIAL-USE attributes (\\Sent, \\Drafts) come with a plain LIST on Dovecot, Gmail,
Fastmail and Exchange, so one LIST answers most accounts; servers without them get the common
and localised names below. The settings override both.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from touchbase.connectors.errors import ConnectorError
from touchbase.connectors.imap.settings import ImapSettings

SENT_NAMES = (
    "Sent",
    "Sent Items",
    "Sent Messages",
    "Sent Mail",
    "Gesendet",
    "Gesendete Elemente",
    "Gesendete Objekte",
    "Envoyés",
    "Messages envoyés",
    "Éléments envoyés",
    "Enviados",
    "Elementos enviados",
    "Posta inviata",
    "Inviata",
    "Verzonden",
    "Verzonden items",
    "Skickat",
    "Skickade objekt",
    "Sendt",
    "Sendte elementer",
    "Wysłane",
    "Отправленные",
)
DRAFT_NAMES = (
    "Drafts",
    "Draft",
    "Entwürfe",
    "Brouillons",
    "Borradores",
    "Bozze",
    "Concepten",
    "Utkast",
    "Kladder",
    "Kladde",
    "Szkice",
    "Черновики",
)


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder to sync. `kind` is "sent" or "received"; `hint` goes on Interaction.folder."""

    name: str
    kind: str
    hint: str


@dataclass(frozen=True, slots=True)
class Listed:
    """One LIST answer: the name as imapclient decodes it, its attributes, its delimiter."""

    name: str
    flags: frozenset[str]
    delimiter: str


def listed(raw: Sequence[tuple[Sequence[bytes], bytes | None, str]]) -> list[Listed]:
    """imapclient.list_folders() output as Listed values."""
    out = []
    for flags, delim, name in raw:
        names = frozenset(f.decode("ascii", "replace").lower() for f in flags)
        out.append(Listed(str(name), names, delim.decode("ascii") if delim else ""))
    return out


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _leaf(item: Listed) -> str:
    return item.name.rsplit(item.delimiter, 1)[-1] if item.delimiter else item.name


def _selectable(items: list[Listed]) -> list[Listed]:
    return [i for i in items if "\\noselect" not in i.flags and "\\nonexistent" not in i.flags]


def find_special(items: list[Listed], attribute: str, names: Sequence[str]) -> str | None:
    """A folder by SPECIAL-USE attribute, else by a known name (whole name, then the leaf)."""
    candidates = _selectable(items)
    for item in candidates:
        if attribute.lower() in item.flags:
            return item.name
    wanted = [_fold(n) for n in names]
    for pick in (lambda i: i.name, _leaf):
        by_name = {_fold(pick(i)): i.name for i in candidates}
        for name in wanted:
            if name in by_name:
                return by_name[name]
    return None


def _named(items: list[Listed], name: str, key: str) -> str:
    exact = {i.name: i.name for i in _selectable(items)}
    if name in exact:
        return name
    folded = {_fold(i.name): i.name for i in _selectable(items)}
    if _fold(name) in folded:
        return folded[_fold(name)]
    shown = ", ".join(sorted(exact)[:20])
    raise ConnectorError(
        f"IMAP folder {name!r} ({key}) does not exist",
        advice=f"set {key} to one of: {shown}",
    )


def sync_folders(items: list[Listed], settings: ImapSettings) -> list[Folder]:
    """The folders a pull reads, Sent first; ConnectorError when Sent cannot be found."""
    if settings.sent_folder:
        sent = _named(items, settings.sent_folder, "sent_folder")
    else:
        found = find_special(items, "\\Sent", SENT_NAMES)
        if found is None:
            shown = ", ".join(sorted(i.name for i in items)[:20])
            raise ConnectorError(
                "cannot tell which IMAP folder holds sent mail (no \\Sent folder, no known name)",
                advice=f'set sent_folder = "..." to one of: {shown}',
            )
        sent = found
    folders = [Folder(sent, "sent", "sent")]
    for name in settings.received_folders:
        real = _named(items, name, "received_folders")
        if real != sent:
            hint = "inbox" if real.upper() == "INBOX" else real
            folders.append(Folder(real, "received", hint))
    return folders


def drafts_folder(items: list[Listed], settings: ImapSettings) -> str:
    if settings.drafts_folder:
        return _named(items, settings.drafts_folder, "drafts_folder")
    found = find_special(items, "\\Drafts", DRAFT_NAMES)
    if found is None:
        raise ConnectorError(
            "cannot tell which IMAP folder holds drafts (no \\Drafts folder, no known name)",
            advice='set drafts_folder = "..." to the folder your mail program keeps drafts in',
        )
    return found
