"""Worlds for the files connector: a Maildir and a Takeout-style mbox that tests can add mail to."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

from tests.contract import MessageSpec, render_message
from touchbase.connectors.files.source import FileSource

_unique = itertools.count(1)


def render(spec: MessageSpec, *, labels: str | None = None) -> bytes:
    """A small message for `spec`; its body starts with "From" to trip naive mbox readers."""
    return render_message(
        spec,
        extra=(f"X-Gmail-Labels: {labels}",) if labels else (),
        body=(
            "Hello,",
            "From here on the body starts with From, which an mbox reader must not split on.",
        ),
    )


class MaildirWorld:
    """A Maildir++ tree: received mail in new/, sent mail in .Sent/cur/."""

    def __init__(self, base: Path, page_size: int = 3) -> None:
        self.root = base / "Maildir"
        self.page_size = page_size
        for sub in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "dovecot-uidlist").write_text("3 V1 N1\n")  # bookkeeping, not mail

    def add(self, specs: list[MessageSpec]) -> None:
        for spec in specs:
            unique = f"{int(spec.date.timestamp())}.M{next(_unique)}P{os.getpid()}.test"
            if spec.sent:
                path = self.root / ".Sent" / "cur" / f"{unique}:2,S"
            else:
                path = self.root / "new" / unique
            path.write_bytes(render(spec))

    def source(self) -> FileSource:
        return FileSource(self.root, page_size=self.page_size)

    def expire_cursors(self) -> None:
        """Restore the Maildir from a copy (a new folder at the same path)."""
        copy = self.root.with_name("Maildir.restored")
        shutil.copytree(self.root, copy)
        shutil.rmtree(self.root)
        copy.rename(self.root)


class MboxWorld:
    """One Google Takeout mbox: sent and received mail together, told apart by X-Gmail-Labels."""

    def __init__(self, base: Path, page_size: int = 3) -> None:
        self.path = base / "All mail Including Spam and Trash.mbox"
        self.path.write_bytes(b"")
        self.page_size = page_size

    def add(self, specs: list[MessageSpec]) -> None:
        with self.path.open("ab") as f:
            for spec in specs:
                labels = "Sent,Opened" if spec.sent else "Inbox,Category Personal"
                stamp = spec.date.strftime("%a %b %d %H:%M:%S +0000 %Y")
                f.write(f"From {next(_unique)}@xxx {stamp}\n".encode())
                f.write(render(spec, labels=labels).replace(b"\r\n", b"\n") + b"\n")

    def source(self) -> FileSource:
        return FileSource(self.path, page_size=self.page_size)

    def expire_cursors(self) -> None:
        """Google Takeout hands out a new export: the same mail in a new file."""
        fresh = self.path.with_suffix(".new")
        fresh.write_bytes(self.path.read_bytes())
        os.replace(fresh, self.path)
