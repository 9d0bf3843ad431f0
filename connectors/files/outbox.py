"""A DraftSink for accounts with no Drafts folder (exported files): one .eml per draft in a folder.

The owner opens the .eml in their mail client (most offer "edit as new" or open it as a draft)
and sends it from there. Writing is idempotent: the file is named after the draft's idempotency
key, written to a temporary name and renamed into place (atomic on POSIX), so a retry after a
crash finds the finished file or writes it again, never two copies. Files are owner-only (0600):
a draft names people the owner deals with.
"""

from __future__ import annotations

import os
import re
import tempfile
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any

from touchbase.connectors.base import AccountContext, DraftMessage
from touchbase.connectors.errors import ConnectorError, TransientError

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class OutboxFolderSink:
    """Drafts as `<key>.eml` files in `folder`."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder).expanduser()

    def _path(self, draft: DraftMessage) -> Path:
        name = _SAFE.sub("_", draft.idempotency_key)[:120] or "draft"
        return self.folder / f"{name}.eml"

    def push_draft(self, draft: DraftMessage) -> str:
        path = self._path(draft)
        if path.exists():
            return path.name
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(draft.raw)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            if exc.errno in (28, 122):  # ENOSPC, EDQUOT: may pass once space is freed
                raise TransientError(f"cannot write {path}: {exc.strerror}") from exc
            raise ConnectorError(
                f"cannot write the draft to {self.folder}: {exc.strerror}",
                advice="check that the outbox folder exists and is writable",
            ) from exc
        return path.name

    def find_draft(self, draft: DraftMessage) -> str | None:
        path = self._path(draft)
        if path.exists():
            return path.name
        if not self.folder.is_dir():
            return None
        parser = BytesHeaderParser(policy=compat32)
        for candidate in self.folder.glob("*.eml"):
            with candidate.open("rb") as handle:
                headers = parser.parse(handle)
            if (headers.get("Message-ID") or "").strip() == draft.message_id:
                return candidate.name
        return None


def open_account(settings: dict[str, Any], context: AccountContext) -> OutboxFolderSink:
    """An outbox for a file account: `outbox` in its settings, else in the account's data folder."""
    folder = settings.get("outbox") or os.path.join(context.data_dir, "outbox")
    if not isinstance(folder, str):
        raise ConnectorError(f"account {context.name!r}: outbox: expected a folder path")
    return OutboxFolderSink(folder)
