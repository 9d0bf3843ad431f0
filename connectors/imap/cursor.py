"""The IMAP cursor: per folder, UIDVALIDITY, the last UID stored and HIGHESTMODSEQ, as JSON.

RFC 3501 2.3.1.1: UIDs only grow while UIDVALIDITY stays the same, so "every UID up to last_uid
is stored" is an exact resume point; a new UIDVALIDITY means the folder must be read again.
HIGHESTMODSEQ (RFC 7162 CONDSTORE) is kept where the server has it, for status and for a later
flag or expunge sync; new mail is detected by UIDNEXT alone.

While a pull is under way, each page's cursor also holds, per folder the pull has reached,
`started`: the last UID stored when the pull began. A pull stores one interaction per message
identity (copies in other folders are skipped), remembering the identities it took; a pull that
was killed and resumes finds `started` and reads the UIDs in (started, last_uid] again to
remember them, so the resumed pull skips exactly the copies the uninterrupted one would have.
The cursor of a finished pull has no `started`: it is the same as before this field existed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

VERSION = 1


@dataclass(frozen=True, slots=True)
class FolderState:
    uidvalidity: int
    last_uid: int
    modseq: int | None = None
    started: int | None = None  # last_uid when the unfinished pull began (module docstring)


class BadCursor(ValueError):
    """A cursor this connector did not write (or an older format): start over."""


def load(cursor: str | None) -> dict[str, FolderState]:
    if cursor is None:
        return {}
    try:
        data = json.loads(cursor)
        if data.get("v") != VERSION:
            raise BadCursor(f"cursor version {data.get('v')!r}")
        return {
            name: FolderState(
                int(state["uidvalidity"]),
                int(state["last_uid"]),
                None if state.get("modseq") is None else int(state["modseq"]),
                None if state.get("started") is None else int(state["started"]),
            )
            for name, state in data["folders"].items()
        }
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BadCursor(str(exc)) from exc


def dump(states: dict[str, FolderState]) -> str:
    folders = {}
    for name in sorted(states):
        state = states[name]
        entry: dict[str, int] = {"uidvalidity": state.uidvalidity, "last_uid": state.last_uid}
        if state.modseq is not None:
            entry["modseq"] = state.modseq
        if state.started is not None:
            entry["started"] = state.started
        folders[name] = entry
    return json.dumps({"v": VERSION, "folders": folders}, separators=(",", ":"))


def describe(cursor: str | None) -> list[str]:
    """One line per folder for `touchbase status`: what the cursor holds, no message data."""
    try:
        states = load(cursor)
    except BadCursor:
        return ["unreadable cursor: the next sync reads every folder again"]
    lines = []
    for name in sorted(states):
        state = states[name]
        line = f"{name}: UIDVALIDITY {state.uidvalidity}, stored up to UID {state.last_uid}"
        if state.modseq is not None:
            line += f", HIGHESTMODSEQ {state.modseq}"
        if state.started is not None:
            line += f" (a sync from UID {state.started} was interrupted; the next one resumes it)"
        lines.append(line)
    return lines or ["no folder synced yet"]
