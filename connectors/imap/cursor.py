"""The IMAP cursor: per folder, UIDVALIDITY, the last UID stored and HIGHESTMODSEQ, as JSON.

RFC 3501 2.3.1.1: UIDs only grow while UIDVALIDITY stays the same, so "every UID up to last_uid
is stored" is an exact resume point; a new UIDVALIDITY means the folder must be read again.
HIGHESTMODSEQ (RFC 7162 CONDSTORE) is kept where the server has it, for status and for a later
flag or expunge sync; new mail is detected by UIDNEXT alone.
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
        lines.append(line)
    return lines or ["no folder synced yet"]
