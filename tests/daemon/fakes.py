"""Test account types for the daemon: a JSON-lines mailbox and an account that always fails.

`jsonl`: one interaction per line, read from a byte offset; the cursor is {"offset", "count"},
so a test can check that the stored interactions are exactly the ones before the cursor.
`broken`: every pull raises TransientError (a server that is down), after opening fine.
`locked`: cannot even be opened: AuthError with advice (a revoked grant).
Registered into agent.pipeline.accounts.FACTORIES by tests (in-process) or by
tests/daemon/launch.py.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from touchbase.connectors.base import (
    AccountContext,
    InteractionRecord,
    Kind,
    Page,
    Participant,
    Role,
)
from touchbase.connectors.errors import AuthError, TransientError

TYPES = dict.fromkeys(("jsonl", "broken", "locked"), "tests.daemon.fakes")


class JsonlSource:
    def __init__(self, path: Path, page_size: int) -> None:
        self.path, self.page_size = path, page_size

    def pull(self, cursor: str | None) -> Iterator[Page]:
        state = json.loads(cursor) if cursor else {"offset": 0, "count": 0}
        offset, count = state["offset"], state["count"]
        with self.path.open("rb") as f:
            f.seek(offset)
            while True:
                records = []
                for _ in range(self.page_size):
                    line = f.readline()
                    if not line.endswith(b"\n"):  # a half-written last line waits for later
                        break
                    offset += len(line)
                    records.append(_record(json.loads(line)))
                count += len(records)
                yield Page(records, cursor=json.dumps({"offset": offset, "count": count}))
                if len(records) < self.page_size:
                    return

    def close(self) -> None:
        pass


class BrokenSource:
    def pull(self, cursor: str | None) -> Iterator[Page]:
        raise TransientError("connection refused by mail.example.net for bob@example.org")
        yield Page()  # pragma: no cover - makes this a generator

    def close(self) -> None:
        pass


def open_account(settings: Mapping[str, Any], context: AccountContext) -> Any:
    if settings.get("locked"):
        raise AuthError("the grant was revoked", advice=f"run `touchbase auth {context.name}`")
    if "path" in settings:
        return JsonlSource(Path(settings["path"]), int(settings.get("page_size", 200)))
    return BrokenSource()


def _record(data: dict[str, Any]) -> InteractionRecord:
    return InteractionRecord(
        source_id=data["id"],
        kind=Kind.MAIL,
        occurred_at=datetime.fromisoformat(data["at"]),
        participants=(
            Participant(data["from"], Role.FROM),
            *(Participant(a, Role.TO) for a in data["to"]),
        ),
        subject=data["subject"],
        message_id=f"<{data['id']}@example.com>",
        folder="sent",
    )


def write_mailbox(path: Path, count: int, *, start: int = 0, seed: int = 1) -> None:
    """Append `count` realistic-looking messages to a JSON-lines mailbox."""
    rng = random.Random(seed + start)
    people = [f"person{i}@example{i % 7}.org" for i in range(300)]
    base = datetime(2023, 1, 1, tzinfo=UTC)
    with path.open("a", encoding="utf-8") as f:
        for n in range(start, start + count):
            record = {
                "id": f"m{n:06d}",
                "at": (base + timedelta(minutes=37 * n)).isoformat(),
                "from": "me@example.com",
                "to": rng.sample(people, rng.randint(1, 3)),
                "subject": f"Re: project {rng.randint(1, 500)}",
            }
            f.write(json.dumps(record) + "\n")
