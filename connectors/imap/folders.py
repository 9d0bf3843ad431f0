"""Which IMAP folders a sync reads, and which hold sent mail and drafts.

RFC 6154 SPECIAL-USE attributes (\\Sent, \\Drafts, \\Junk, \\Trash, \\All) come with a plain
LIST on Dovecot, Gmail, Fastmail and Exchange, so one LIST answers most accounts; servers without
them get the common and localised names below. The settings override both.

A sync reads every folder people file mail into (issue 15: with INBOX and Sent alone, a real
mailbox showed 237 of the 353 people its import found): every selectable folder but Junk,
Trash and Drafts and the `exclude_folders`, Sent first. An account with an all-mail folder
(\\All: Gmail's "[Gmail]/All Mail") reads Sent and that folder alone: every other folder is a
view of mail that is in it, and on Gmail archived mail is nowhere else. Sent is still read (and
read first) because its hint "sent" is how the owner's addresses are learned and a delegate
recognised (rules/owner.py, rules/contacts.py); the copies of its messages in \\All are the same
interactions (account.py: one identity per Message-ID within a pull). Direction is not the
folder's: the rules decide it from the addresses, as they do for imports, and a folder's hint is
the one an import of the same folder would give it (connectors/files/tree.py folder_hint).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from touchbase.connectors.errors import ConnectorError
from touchbase.connectors.files.tree import folder_hint
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

# Only looked for by name when no folder of the account carries the attribute.
JUNK_NAMES = ("Junk", "Spam", "Junk E-mail", "Junk Email", "Bulk Mail", "Spam-Verdacht", "Pourriel")
TRASH_NAMES = (
    "Trash",
    "Deleted Items",
    "Deleted Messages",
    "Papierkorb",
    "Gelöschte Elemente",
    "Corbeille",
    "Éléments supprimés",
    "Papelera",
    "Cestino",
    "Prullenbak",
    "Papperskorgen",
    "Kosz",
    "Корзина",
)
# RFC 6154: what is not mail that happened (Drafts), or not the owner's correspondence.
NOT_READ = (("\\Junk", JUNK_NAMES), ("\\Trash", TRASH_NAMES), ("\\Drafts", DRAFT_NAMES))


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


def _hint(item: Listed) -> str:
    if "\\sent" in item.flags:
        return "sent"  # a second \\Sent folder (an old account's, a delegate's)
    parts = item.name.split(item.delimiter) if item.delimiter else [item.name]
    return folder_hint(parts)


def _excluded(item: Listed, patterns: Sequence[str]) -> bool:
    """A name in `exclude_folders` leaves out that folder and every folder inside it."""
    name = _fold(item.name)
    for pattern in patterns:
        folded = _fold(pattern)
        if name == folded or (item.delimiter and name.startswith(folded + _fold(item.delimiter))):
            return True
    return False


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
    if settings.received_folders is not None:
        # Named in the settings (the default before every folder was read): those alone.
        for name in settings.received_folders:
            real = _named(items, name, "received_folders")
            if real != sent:
                hint = "inbox" if real.upper() == "INBOX" else real
                folders.append(Folder(real, "received", hint))
        return folders
    skipped: set[str] = set()
    for attribute, names in NOT_READ:
        marked = {i.name for i in items if attribute.lower() in i.flags}
        by_name = None if marked else find_special(items, attribute, names)
        skipped |= marked if by_name is None else {by_name}
    if settings.drafts_folder:
        skipped.add(_named(items, settings.drafts_folder, "drafts_folder"))
    chosen = [
        item
        for item in _selectable(items)
        if item.name != sent
        and item.name not in skipped
        and not _excluded(item, settings.exclude_folders)
    ]
    everything = [item for item in chosen if "\\all" in item.flags]
    if everything:
        chosen = everything[:1]
    # INBOX first, then by name: a message filed in two folders takes the first one's hint.
    chosen.sort(key=lambda i: (i.name.upper() != "INBOX", _fold(i.name)))
    for item in chosen:
        hint = _hint(item)
        folders.append(Folder(item.name, "sent" if hint == "sent" else "received", hint))
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
