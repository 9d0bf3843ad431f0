"""Running the daemon as a real process: its sd_notify messages and its log lines, observed.

The test binds the notify socket itself (abstract namespace, as systemd often does) and reads
what the daemon reports: READY=1, STATUS= per page and per cycle, STOPPING=1. Tests wait for
those messages instead of sleeping.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from tests.conftest import REPO

WAIT = 30.0  # seconds: generous upper bound for anything a test waits for; never a sleep


class NotifySocket:
    """An AF_UNIX datagram socket in the abstract namespace, like systemd's $NOTIFY_SOCKET."""

    def __init__(self) -> None:
        self.name = f"@touchbase-test-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name[1:])
        self.messages: list[str] = []

    def receive(self, timeout: float) -> str | None:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return None
        text = data.decode()
        self.messages.append(text)
        return text

    def close(self) -> None:
        """Keep what is still queued (STOPPING=1 after exit), then close."""
        self.sock.setblocking(False)
        try:
            while data := self.sock.recv(65536):
                self.messages.append(data.decode())
        except BlockingIOError:
            pass
        self.sock.close()


class Daemon:
    """One `touchbase` process; `wait_for` reads notify messages until a predicate holds."""

    def __init__(
        self, args: Sequence[str], *, launcher: str = "tests.daemon.launch", env: dict | None = None
    ) -> None:
        self.notify = NotifySocket()
        environment = {**os.environ, "NOTIFY_SOCKET": self.notify.name, **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", launcher, *args],
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            self.lines.put(line)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = WAIT) -> str:
        """The first notify message (received from now on) that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self.notify.receive(min(left, 0.2))
            if message is not None and predicate(message):
                return message
            if message is None and self.process.poll() is not None:
                raise AssertionError(f"daemon exited ({self.process.returncode}):\n{self.text}")
        raise AssertionError(f"no matching notify message in {timeout}s; log:\n{self.text}")

    def wait_log(self, needle: str, timeout: float = WAIT) -> str:
        """The first stderr line (from now on) containing `needle`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            if needle in line:
                return line
        raise AssertionError(f"no log line with {needle!r} in {timeout}s; log:\n{self.text}")

    @property
    def text(self) -> str:
        return "".join(self.log)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT)
        self.close()

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then the exit status (raises if it takes longer than `timeout`)."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self.close()
        return code

    def close(self) -> None:
        if self.notify.sock.fileno() < 0:
            return
        self._reader.join(timeout=WAIT)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.notify.close()

    def __enter__(self) -> Daemon:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)
        self.close()


def write_config(
    path: Path, accounts: Sequence[Mapping[str, object]], sync_every: str = "1h"
) -> Path:
    lines = ['[me]\naddresses = ["me@example.com"]\n', f'[daemon]\nsync_every = "{sync_every}"\n']
    for account in accounts:
        lines.append("[[account]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in account.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def idle(message: str) -> bool:
    return "STATUS=idle" in message


def ready(message: str) -> bool:
    return "READY=1" in message
