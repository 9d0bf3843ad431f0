"""Helpers that point the real connectors at a FakeGoogle: a client file, secrets, a test clock."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.google.server import FakeGoogle
from touchbase.connectors.base import AccountContext
from touchbase.connectors.memory import MemorySecrets

DictSecrets = MemorySecrets


@dataclass
class FakeTime:
    """A monotonic clock that `sleep` moves forward; every sleep is recorded, none waits."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client_file(fake: FakeGoogle, folder: Path) -> Path:
    """An OAuth "Desktop app" client file whose endpoints are the fake's."""
    path = folder / "client.json"
    path.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": fake.oauth.client_id,
                    "client_secret": fake.oauth.client_secret,
                    "auth_uri": fake.url + "o/oauth2/auth",
                    "token_uri": fake.url + "token",
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    return path


def settings(fake: FakeGoogle, folder: Path, **extra: object) -> dict[str, object]:
    return {"client_file": str(client_file(fake, folder)), "api_root": fake.url, **extra}


def signed_in(fake: FakeGoogle, name: str = "google-test") -> AccountContext:
    """An account context whose secrets hold a refresh token the fake knows."""
    secrets = DictSecrets({"refresh_token": fake.oauth.issue_refresh_token()})
    return AccountContext(name=name, secrets=secrets, me=(fake.gmail.address,))
