"""A private Radicale CalDAV/CardDAV server on 127.0.0.1: own config, own temp folder.

Follows TESTING.md "Radicale CalDAV": `python -m radicale -C DIR/config`, htpasswd auth with
plain passwords (Radicale 3.5+ refuses every login unless auth is set explicitly), owner_only
rights, ready when `OPTIONS /` answers. Collections are made with MKCOL (RFC 5689) and filled
with one PUT per resource, or, for big fixtures, one PUT of a whole calendar (TESTING.md: one PUT
per event gets slow past a few hundred).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from pathlib import Path

_CONFIG = """\
[server]
hosts = 127.0.0.1:{port}
[auth]
type = htpasswd
htpasswd_filename = {root}/users
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = {root}/collections
[web]
type = none
[logging]
level = warning
"""

_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
         xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/>{kind}</D:resourcetype>
    <D:displayname>{name}</D:displayname>
  </D:prop></D:set>
</D:mkcol>"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Radicale:
    """One running Radicale. `users` maps user names to passwords."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = users or {"alice": "secret"}
        self.root = Path(tempfile.mkdtemp(prefix="radicale-", dir="/tmp"))
        self.port = _free_port()
        (self.root / "users").write_text(
            "".join(f"{user}:{password}\n" for user, password in self.users.items())
        )
        (self.root / "config").write_text(_CONFIG.format(port=self.port, root=self.root))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "-C", str(self.root / "config")],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "radicale.log", "wb"),  # noqa: SIM115 (the child keeps it)
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = self.request("OPTIONS", "/")
                if status < 500:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"radicale did not start: {self.log()}")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "radicale.log").read_text(errors="replace")[-2000:]
        return ""

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str = b"",
        *,
        user: str | None = None,
        content_type: str = "text/xml",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One HTTP request as `user` (the first user by default): (status, body)."""
        user = user or next(iter(self.users))
        token = b64encode(f"{user}:{self.users[user]}".encode()).decode()
        data = body.encode() if isinstance(body, str) else body
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(
                method,
                path,
                body=data,
                headers={
                    "Authorization": f"Basic {token}",
                    "Content-Type": content_type,
                    **(headers or {}),
                },
            )
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _mkcol(self, path: str, kind: str, name: str, user: str | None) -> str:
        status, body = self.request(
            "MKCOL", path, _MKCALENDAR.format(kind=kind, name=name), user=user
        )
        if status != 201:
            raise RuntimeError(f"MKCOL {path}: {status} {body[:300]!r}")
        return path

    def make_calendar(self, name: str, *, user: str | None = None) -> str:
        """A new calendar collection; its path (`/alice/name/`)."""
        user = user or next(iter(self.users))
        return self._mkcol(f"/{user}/{name}/", "<C:calendar/>", name, user)

    def make_addressbook(self, name: str, *, user: str | None = None) -> str:
        user = user or next(iter(self.users))
        return self._mkcol(f"/{user}/{name}/", "<CR:addressbook/>", name, user)

    def put(self, path: str, data: str, *, user: str | None = None) -> None:
        """Create or replace one resource (a .ics event or a .vcf card, by its extension)."""
        kind = "text/vcard" if path.endswith(".vcf") else "text/calendar"
        status, body = self.request("PUT", path, data, user=user, content_type=kind)
        if status not in (201, 204):
            raise RuntimeError(f"PUT {path}: {status} {body[:300]!r}")

    def put_collection(self, path: str, data: str, *, user: str | None = None) -> None:
        """Replace a whole calendar with one iCalendar stream (fast fills, TESTING.md)."""
        self.put(path.rstrip("/") + "/", data, user=user)

    def delete(self, path: str, *, user: str | None = None) -> None:
        status, body = self.request("DELETE", path, user=user)
        if status not in (200, 204):
            raise RuntimeError(f"DELETE {path}: {status} {body[:300]!r}")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
