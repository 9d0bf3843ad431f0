"""Where an account's secrets live: the OS keyring, or files only the owner can read.

A secret the configuration references explicitly (`password = { command = "pass show mail" }`)
is read from there; anything a connector stores by itself (a refresh token, msal's token cache)
goes to the keyring when one works here, else to an owner-only file (0600 in a 0700 folder).
Values never reach a log or an error message.
"""

from __future__ import annotations

import logging
import os
import shlex
import stat
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.config import SecretRef
from touchbase.connectors.errors import AuthError

log = logging.getLogger(__name__)
SERVICE = "touchbase"
COMMAND_TIMEOUT = 30  # a password manager waiting for a PIN should not hang the daemon forever


class SecretError(UserError, AuthError):
    """A secret that cannot be read: the person has to act. A UserError for the CLI and an
    AuthError for a sync (a connector reads its secrets mid-pull), so either way the message
    and its advice reach the person instead of "this is a bug"."""


def keyring_usable() -> bool:
    """True when a real keyring backend is configured (not keyring's 'fail' or 'null' ones)."""
    if os.environ.get("TOUCHBASE_SECRETS") == "file":
        return False
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # keyring's backends raise assorted errors on headless machines
        return False
    name = type(backend).__module__
    return not isinstance(backend, fail.Keyring) and "null" not in name and backend.priority > 0


@contextmanager
def _keyring_errors(what: str, service: str, user: str) -> Iterator[None]:
    """A keyring that cannot be reached (no backend on a headless machine, a locked or absent
    Secret Service) is the person's to fix, not a bug: say so, with the ways out."""
    from keyring.errors import KeyringError

    try:
        yield
    except KeyringError as exc:
        raise SecretError(
            f"{what}: the keyring entry {service} / {user} cannot be reached ({exc})",
            advice="unlock or install a keyring (e.g. gnome-keyring, or the keyrings.alt "
            "package), or keep the secret in an owner-only file: password = { file = "
            '"~/.config/touchbase/secret" } with chmod 600',
        ) from None


def read_owner_only(path: Path) -> str:
    """A secret file's text, refused when anyone but the owner may read it."""
    real = path.resolve()  # a link's own mode says nothing: the file it points to is read
    named = str(path) if real == path else f"{path} (a link to {real})"
    try:
        info = real.stat()
    except FileNotFoundError:
        raise SecretError(
            f"the secret file {named} does not exist",
            advice="create it (chmod 600), or point the setting at the right file",
        ) from None
    except OSError as exc:
        raise SecretError(f"cannot read the secret file {named}: {exc.strerror}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(
            f"the secret file {named} can be read by other users",
            advice=f"run: chmod 600 {shlex.quote(str(real))}",
        )
    try:
        return real.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise SecretError(
            f"the secret file {named} is not UTF-8 text", advice="save it as UTF-8"
        ) from None
    except OSError as exc:
        raise SecretError(f"cannot read the secret file {named}: {exc.strerror}") from None


def write_owner_only(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    os.replace(tmp, path)  # atomic: a crash never leaves half a token cache


class AccountSecrets:
    """The Secrets protocol (connectors/base.py) for one account."""

    def __init__(self, account: str, refs: Mapping[str, SecretRef], folder: Path) -> None:
        self.account = account
        self.refs = refs
        self.folder = folder  # the owner-only fallback, <data dir>/secrets/<account>

    def get(self, name: str) -> str | None:
        ref = self.refs.get(name)
        if ref is not None:
            return self._read(ref, name)
        if keyring_usable():
            import keyring

            return keyring.get_password(SERVICE, f"{self.account}:{name}")
        path = self.folder / name
        return read_owner_only(path) if path.exists() else None

    def set(self, name: str, value: str) -> None:
        ref = self.refs.get(name)
        if ref is not None and ref.kind in ("command", "env"):
            raise UserError(
                f"account {self.account}: {name} comes from a {ref.kind}, which touchbase cannot "
                "write to",
                advice=f"store it there yourself, or point {name} at a keyring entry or a file",
            )
        if ref is not None and ref.kind == "file":
            write_owner_only(Path(ref.where).expanduser(), value)
            return
        if ref is not None or keyring_usable():
            service, user = _keyring_place(ref, self.account, name)
            with _keyring_errors(f"account {self.account}: {name}", service, user):
                import keyring

                keyring.set_password(service, user, value)
            return
        write_owner_only(self.folder / name, value)

    def _read(self, ref: SecretRef, name: str) -> str | None:
        what = f"account {self.account}: {name}"
        if ref.kind == "env":
            value = os.environ.get(ref.where)
            if value is None:
                raise SecretError(
                    f"{what}: the environment variable {ref.where} is not set",
                    advice=f"export {ref.where}=... before starting touchbase",
                )
            return value
        if ref.kind == "file":
            return read_owner_only(Path(ref.where).expanduser())
        if ref.kind == "command":
            return self._command(ref.where, what)
        service, user = _keyring_place(ref, self.account, name)
        with _keyring_errors(what, service, user):
            import keyring

            return keyring.get_password(service, user)

    def _command(self, command: str, what: str) -> str:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise SecretError(f"{what}: the command {command!r} does not parse: {exc}") from None
        if not argv:
            raise SecretError(f"{what}: the command is empty", advice='e.g. "pass show mail"')
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                stdin=subprocess.DEVNULL,  # never wait on the terminal for a PIN nobody sees
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise SecretError(
                f"{what}: the command {argv[0]!r} is not installed (not found on PATH)",
                advice="install it, or give its full path in the setting",
            ) from None
        except subprocess.TimeoutExpired:
            raise SecretError(
                f"{what}: the command {argv[0]!r} did not finish in {COMMAND_TIMEOUT} s",
                advice="check that it runs without asking anything (an unlocked agent, a "
                "cached PIN): try it in a terminal with </dev/null",
            ) from None
        except OSError as exc:
            raise SecretError(f"{what}: cannot run {argv[0]!r}: {exc.strerror}") from None
        if done.returncode != 0:
            # stderr may echo the secret in a badly written helper: show only the exit code.
            raise SecretError(
                f"{what}: the command {argv[0]!r} exited with status {done.returncode}",
                advice=f"run it yourself to see why: {command}",
            )
        lines = done.stdout.decode("utf-8", "replace").splitlines()
        return lines[0] if lines else ""


def _keyring_place(ref: SecretRef | None, account: str, name: str) -> tuple[str, str]:
    """keyring = "service/user" names both; a bare word is the service, user = account:name."""
    if ref is None:
        return SERVICE, f"{account}:{name}"
    service, _, user = ref.where.partition("/")
    return service, user or f"{account}:{name}"
