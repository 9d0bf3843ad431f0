"""Gmail drafts: create one in the owner's Drafts (drafts.create), find one by its Message-ID.

There is no send here, and none anywhere: touchbase holds gmail.compose only to create drafts.
drafts.create is not idempotent, so it is sent once with no retry (not even a transport's silent
one, see google_http.GoogleHttp); after an ambiguous failure the agent calls `find_draft`.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from touchbase.connectors.base import DraftMessage
from touchbase.connectors.google.batch import UNITS, Batcher
from touchbase.connectors.google.http import execute_once

log = logging.getLogger(__name__)

LIST_PAGE = 500  # drafts.list's largest page


def _normal_id(value: str) -> str:
    """A Message-ID compared loosely: angle brackets and surrounding space do not matter."""
    return value.strip().strip("<>").strip().lower()


class GmailDrafts:
    """The DraftSink half of a Gmail account."""

    def __init__(
        self,
        service: Any,
        batcher: Batcher,
        get: Callable[[Callable[[], Any], str], dict[str, Any]],
        *,
        account: str,
    ) -> None:
        self._drafts = service.users().drafts()
        self._batcher = batcher
        self._get = get
        self._account = account

    def push_draft(self, draft: DraftMessage) -> str:
        """drafts.create with the RFC 5322 message, base64url (Gmail "Creating drafts")."""
        message: dict[str, str] = {"raw": base64.urlsafe_b64encode(draft.raw).decode("ascii")}
        if draft.thread_id:
            # Gmail files the draft in that thread only when its References/In-Reply-To and
            # Subject agree with it; the agent writes those headers for a follow-up.
            message["threadId"] = draft.thread_id
        self._batcher.budget.spend(UNITS["drafts.create"])
        created = execute_once(
            self._drafts.create(userId="me", body={"message": message}),
            self._account,
            "drafts.create",
        )
        log.info("account %s: draft created", self._account)
        return str(created["id"])

    def find_draft(self, draft: DraftMessage) -> str | None:
        """The id of a draft in Drafts whose Message-ID is the draft's, or None.

        drafts.list gives ids only, and `q` is refused beside gmail.metadata, so each draft's
        Message-ID is read with drafts.get(format=metadata), in batches, newest first.
        """
        wanted = _normal_id(draft.message_id)
        token: str | None = None
        while True:
            listed = self._get(
                partial(self._drafts.list, userId="me", maxResults=LIST_PAGE, pageToken=token),
                "drafts.list",
            )
            ids = [str(d["id"]) for d in listed.get("drafts", [])]
            for start in range(0, len(ids), self._batcher.batch_size):
                chunk = ids[start : start + self._batcher.batch_size]
                found = self._batcher.run(
                    chunk,
                    # drafts.get takes no metadataHeaders: metadata format returns every header.
                    lambda i: self._drafts.get(userId="me", id=i, format="metadata"),
                    units=UNITS["drafts.get"],
                    what="drafts.get",
                )
                for draft_id in chunk:
                    result = found.get(draft_id)
                    if isinstance(result, dict) and _has_message_id(result, wanted):
                        return draft_id
            token = listed.get("nextPageToken")
            if not token:
                return None


def _has_message_id(result: dict[str, Any], wanted: str) -> bool:
    headers = result.get("message", {}).get("payload", {}).get("headers", [])
    return any(
        str(h.get("name", "")).lower() == "message-id"
        and _normal_id(str(h.get("value", ""))) == wanted
        for h in headers
    )
