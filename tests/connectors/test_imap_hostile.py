"""A hostile IMAP server cannot exhaust memory: `touchbase sync` under a 512 MiB address-space
limit refuses a 3 GB literal, an endless line and a flood of untagged responses before reading
them, fails that account with a clear error, and still syncs the other account (issue 13.2).

The server is a small socket server written here (it greets, accepts LOGIN, then misbehaves in
one of the ways below); `touchbase sync` runs in a subprocess with RLIMIT_AS set, as a user's
would run against such a server.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.connectors.imap_world import ImapWorld, raw_message
from tests.contract import drain, interactions, make_spec
from tests.servers.dovecot import Dovecot
from touchbase.connectors.headers import FIELDS

LIMIT = 512 << 20
CHUNK = b"x" * 65536
FIELD_LIST = " ".join(f.upper() for f in FIELDS)


def _stream_forever(sock: socket.socket, chunk: bytes) -> None:
    """Send `chunk` until the client hangs up (a server that would send 3 GB and more)."""
    try:
        while True:
            sock.sendall(chunk)
    except OSError:
        return


def _serve(sock: socket.socket, mode: str) -> None:
    sock.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hostile ready\r\n")
    reader = sock.makefile("rb")
    while True:
        line = reader.readline()
        if not line:
            return
        tag, _, rest = line.strip().partition(b" ")
        command = rest.split(b" ", 2)
        verb = command[0].upper()
        if verb == b"UID":
            verb = b"UID " + command[1].upper()
        done = tag + b" OK done\r\n"
        if verb == b"CAPABILITY":
            sock.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + done)
        elif verb == b"LOGOUT":
            sock.sendall(b"* BYE bye\r\n" + done)
            return
        elif verb == b"LIST" and mode == "literal":
            sock.sendall(b'* LIST () "/" {3000000000}\r\n')
            return _stream_forever(sock, CHUNK)
        elif verb == b"LIST" and mode == "line":
            sock.sendall(b'* LIST () "/" ')
            return _stream_forever(sock, CHUNK)
        elif verb == b"LIST" and mode == "flood":
            return _stream_forever(sock, b'* LIST () "/" INBOX\r\n' * 2000)
        elif verb == b"LIST":
            sock.sendall(b'* LIST (\\Sent) "/" Sent\r\n* LIST () "/" INBOX\r\n' + done)
        elif verb in (b"SELECT", b"EXAMINE"):
            sock.sendall(
                b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n* OK [UIDNEXT 2] x\r\n"
                + tag
                + b" OK [READ-ONLY] done\r\n"
            )
        elif verb == b"UID SEARCH":
            sock.sendall(b"* SEARCH 1\r\n" + done)
        elif verb == b"UID FETCH":
            sock.sendall(
                b'* 1 FETCH (UID 1 INTERNALDATE "01-Jun-2020 12:00:00 +0000" '
                b"BODY[HEADER.FIELDS (%s)] {3000000000}\r\n" % FIELD_LIST.encode()
            )
            return _stream_forever(sock, CHUNK)
        else:
            sock.sendall(done)


@pytest.fixture
def hostile() -> Iterator[tuple[str, dict[str, str]]]:
    """A server on a free loopback port; `modes["mode"]` says how it misbehaves."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    modes: dict[str, str] = {}

    def one(sock: socket.socket) -> None:
        with sock:
            _serve(sock, modes["mode"])

    def accept() -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=one, args=(sock,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"127.0.0.1:{port}", modes
    listener.close()


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _config(tmp_path: Path, address: str) -> Path:
    host, port = address.split(":")
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(
        b"From me@example.org Mon Jun  1 12:00:00 2020\n"
        b"From: me@example.org\nTo: ann@example.com\nDate: Mon, 1 Jun 2020 12:00:00 +0000\n"
        b"Message-ID: <one@example.org>\nSubject: Hello\n\nbody\n"
    )
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\naddresses = ["me@example.org"]\n\n'
        f'[[account]]\nname = "hostile"\ntype = "imap"\nhost = "{host}"\nport = {port}\n'
        'username = "me"\nsecurity = "plain"\npassword = { env = "TB_IMAP_PASSWORD" }\n'
        "timeout = 20\n\n"
        f'[[account]]\nname = "files"\ntype = "files"\npath = "{mbox}"\n'
    )
    return config


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("literal", "a literal of 3,000,000,000 bytes"),
        ("line", "a response line longer than"),
        ("flood", "untagged responses to a command"),
        ("fetch", "a literal of 3,000,000,000 bytes"),
    ],
)
def test_a_hostile_server_fails_its_account_clearly_within_bounded_memory(
    hostile: tuple[str, dict[str, str]], tmp_path: Path, mode: str, says: str
) -> None:
    address, modes = hostile
    modes["mode"] = mode
    config = _config(tmp_path, address)
    db = f"sqlite:///{tmp_path / 't.db'}"
    command = [str(Path(sys.executable).with_name("touchbase"))]
    base = [*command, "--config", str(config), "--db", db]
    env = {**os.environ, "TB_IMAP_PASSWORD": "secret", "COLUMNS": "200"}
    done = subprocess.run(
        [*base, "sync", "--json"],
        capture_output=True,
        timeout=120,
        preexec_fn=_limit,
        env=env,
        check=False,
    )
    out, err = done.stdout.decode(), done.stderr.decode()
    assert "Traceback" not in out + err, err[-3000:]
    assert "MemoryError" not in out + err
    assert done.returncode == 1, err[-3000:]
    results = {r["account"]: r for r in json.loads(out)}
    assert results["files"]["status"] == "ok" and results["files"]["stored"] == 1
    failed = results["hostile"]
    assert failed["status"] != "ok" and failed["stored"] == 0
    assert says in failed["error"] and "refused before reading it" in failed["error"]
    assert "check the host setting" in failed["advice"]
    # The cursor did not move and the failure is on record for `status`.
    shown = subprocess.run(
        [*base, "status", "--json"], capture_output=True, timeout=60, env=env, check=False
    )
    assert shown.returncode == 0, shown.stderr.decode()[-3000:]
    accounts = {a["account"]: a for a in json.loads(shown.stdout)["accounts"]}
    assert accounts["hostile"]["cursor"] is None
    assert says in accounts["hostile"]["last_sync"]["error"], accounts["hostile"]


@pytest.mark.servers
def test_a_message_with_megabytes_of_header_fields_is_quarantined_not_a_wedge(
    dovecot: Dovecot,
) -> None:
    """Header fields above the literal ceiling (here 150,000 addresses in To, 5 MB) are read off
    the wire and dropped: that message is quarantined with its reason, the rest is stored and
    the cursor passes it, so one absurd message cannot stop the account for good."""
    world = ImapWorld(dovecot)
    when = datetime(2024, 3, 1, tzinfo=UTC)
    crowd = ",\r\n ".join(f"person{n:06d}@crowd.example" for n in range(150_000))
    huge = (
        f"From: a@example.com\r\nTo: {crowd}\r\nDate: Fri, 1 Mar 2024 00:00:00 +0000\r\n"
        "Message-ID: <huge@example.com>\r\nSubject: All hands\r\n\r\nbody\r\n"
    ).encode()
    normal = [raw_message(make_spec(sent=False, date=when)) for _ in range(3)]
    mail = [normal[0], huge, *normal[1:]]
    dovecot.write_messages(world.user, "INBOX", [(raw, when) for raw in mail])
    pages, cursor = drain(world.source(), None)
    assert len(interactions(pages)) == 3
    (held,) = [q for page in pages for q in page.quarantined]
    assert "header fields of" in held.reason and "inbox folder, UID 2" in held.reason
    again, _ = drain(world.source(), cursor)
    assert interactions(again) == [] and not [q for p in again for q in p.quarantined]
    world.close_all()
