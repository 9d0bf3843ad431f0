"""A private Dovecot IMAP server on 127.0.0.1: own config, own temp folder, fast Maildir fill.

Follows TESTING.md "Dovecot IMAP": `dovecot -F -c DIR/dovecot.conf`, every process as one
unprivileged user (`nobody` when we are root), ready on the `[CAPABILITY` greeting, stopped by
killing its process group. Any user name logs in (a static passdb), so
tests take a fresh user each instead of starting a server each.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
instance_name = touchbase-test-{port}
listen = 127.0.0.1
protocols = imap
{ssl}
auth_mechanisms = plain login
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
auth_failure_delay = 0
mail_uid = {user}
mail_gid = {group}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
maildir_very_dirty_syncs = yes
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
{special_use}}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No per-IP auth penalty (up to 15 s per login) after a test's deliberate wrong password.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-urlauth-login {{
  chroot =
}}
"""

_NO_TLS = """ssl = no
disable_plaintext_auth = no"""
# TLS as a provider runs it: imaps on its own port, STARTTLS on the plain one, and no password
# accepted before the connection is encrypted.
_TLS = """ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes"""

_unique = itertools.count(1)
PASSWORD = "secret"  # every user's password on these throw-away servers


def dovecot_binary() -> str | None:
    """The dovecot executable, or None when dovecot-imapd is not installed."""
    found = shutil.which("dovecot")
    if found is None and os.path.exists("/usr/sbin/dovecot"):
        found = "/usr/sbin/dovecot"
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Dovecot:
    """One private Dovecot. `start()` it, `add_user()` per test, `stop()` at the end."""

    def __init__(
        self,
        root: Path | None = None,
        port: int | None = None,
        *,
        tls: tuple[bytes, bytes] | None = None,
        special_use: dict[str, str] | None = None,
    ) -> None:
        """`tls`: (certificate chain PEM, private key PEM) to serve imaps on `tls_port` and
        STARTTLS on `port`, refusing a login before either; without it, plaintext only.
        `special_use`: more RFC 6154 attributes by folder name ({"Spam": "\\Junk"}), shown
        on LIST once a test creates the folder (Sent, Drafts and Trash always have theirs)."""
        self.root = Path(root or tempfile.mkdtemp(prefix="touchbase-dovecot-", dir="/tmp"))
        self.port = port or free_port()
        self.tls_port = free_port() if tls else 0
        self.host = "127.0.0.1"
        self.proc: subprocess.Popen[bytes] | None = None
        self._as_root = os.geteuid() == 0
        self._user = "nobody" if self._as_root else pwd.getpwuid(os.geteuid()).pw_name
        entry = pwd.getpwnam(self._user)
        self._uid, self._gid = entry.pw_uid, entry.pw_gid
        self._group = "nogroup" if self._as_root else grp.getgrgid(entry.pw_gid).gr_name
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        ssl = _NO_TLS
        if tls is not None:
            cert, key = self.root / "cert.pem", self.root / "key.pem"
            cert.write_bytes(tls[0])
            key.write_bytes(tls[1])
            key.chmod(0o600)
            self._chown(cert)
            self._chown(key)
            ssl = _TLS.format(cert=cert, key=key)
        (self.root / "dovecot.conf").write_text(
            _CONFIG.format(
                root=self.root,
                port=self.port,
                tls_port=self.tls_port,
                ssl=ssl,
                user=self._user,
                group=self._group,
                password=PASSWORD,
                special_use="".join(
                    f'  mailbox "{name}" {{\n    special_use = {attribute}\n  }}\n'
                    for name, attribute in (special_use or {}).items()
                ),
            )
        )
        self._chown(self.root)
        for sub in ("run", "state", "mail"):
            self._chown(self.root / sub)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Dovecot:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        command = [binary, "-F", "-c", str(self.root / "dovecot.conf")]
        if self._as_root:
            command = [
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "--",
                *command,
            ]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stop() kills every child
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                    greeting = sock.recv(4096)
                # "Waiting for authentication process" comes before the real greeting.
                if b"[CAPABILITY" in greeting:
                    return
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"dovecot not ready after {timeout}s: {self.log()[-2000:]}")

    def stop(self) -> None:
        """Kill the whole process group at once: a graceful stop sleeps 1-3 s on purpose."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        # Stale sockets and the master pid file from the killed instance would refuse a start.
        shutil.rmtree(self.root / "run", ignore_errors=True)
        (self.root / "run").mkdir()
        self._chown(self.root / "run")
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def imap_pids(self) -> list[int]:
        """Pids of the `imap` processes serving logged-in sessions (to kill one mid-stream)."""
        assert self.proc is not None
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != self.proc.pid:
                    continue
                name = (entry / "comm").read_text().strip()
            except (OSError, ProcessLookupError):
                continue
            if name == "imap":
                pids.append(int(entry.name))
        return pids

    # -- users and mail --------------------------------------------------------------------

    def add_user(self) -> str:
        """A fresh user with an empty mailbox (made at first login); returns the login name.

        A static passdb lets any name in with PASSWORD: a passwd-file would be re-read only
        when its mtime changes, which a second user added in the same second does not do.
        """
        return f"user{next(_unique)}"

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user / "Maildir"

    def write_messages(
        self, user: str, folder: str, messages: Iterable[tuple[bytes, datetime]]
    ) -> int:
        """Write messages straight into a Maildir folder: 100k in a few seconds.

        Dovecot assigns UIDs in file-name order when it first scans a folder, so the names start
        with the message's timestamp and a counter (Maildir++ `cur/`, flagged Seen). Files added
        after a session has opened the folder simply get UIDs after the existing ones.
        """
        home = self.root / "mail" / user
        base = home / "Maildir"
        # Maildir++ keeps a folder "A/B" (the namespace separator is "/") as ".A.B".
        path = base if folder == "INBOX" else base / f".{folder.replace('/', '.')}"
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        count = 0
        cur = path / "cur"
        for raw, when in messages:
            count += 1
            stamp = int(when.timestamp())
            name = f"{stamp:010d}.M{count:07d}P{os.getpid()}.touchbase,S={len(raw)}:2,S"
            with open(cur / name, "wb") as handle:
                handle.write(raw)
        for directory in (home, base, path, path / "cur", path / "new", path / "tmp"):
            self._chown(directory)
        return count

    def _chown(self, path: Path) -> None:
        if self._as_root:
            os.chown(path, self._uid, self._gid)
