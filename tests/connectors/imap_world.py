"""A Dovecot user seen by the IMAP connector: fills folders, expires cursors, builds accounts."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient

from tests.contract import MessageSpec, render_message
from tests.servers.dovecot import PASSWORD, Dovecot
from touchbase.connectors.base import AccountContext
from touchbase.connectors.imap.account import ImapAccount, open_account
from touchbase.connectors.memory import MemorySecrets

DictSecrets = MemorySecrets


def raw_message(spec: MessageSpec) -> bytes:
    return render_message(spec, body=("A body that touchbase must never fetch.",))


@dataclass
class ImapWorld:
    """One fresh Dovecot user; `settings` are the account's TOML table."""

    server: Dovecot
    user: str = ""
    password: str = PASSWORD
    extra: dict[str, Any] = field(default_factory=dict)
    opened: list[ImapAccount] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.user:
            self.user = self.server.add_user()

    @property
    def settings(self) -> dict[str, Any]:
        base: dict[str, Any] = {
            "type": "imap",
            "host": self.server.host,
            "port": self.server.port,
            "username": self.user,
            "security": "plain",
            "timeout": 10,
        }
        base.update(self.extra)
        return base

    def admin(self) -> IMAPClient:
        client = IMAPClient(self.server.host, self.server.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, folder: str, messages: Iterable[bytes]) -> None:
        with self.admin() as client:
            for raw in messages:
                client.append(folder, raw, flags=(b"\\Seen",))

    # -- SourceWorld / SinkWorld ---------------------------------------------------------------

    def add(self, specs: list[MessageSpec]) -> None:
        self.append("Sent", [raw_message(s) for s in specs if s.sent])
        self.append("INBOX", [raw_message(s) for s in specs if not s.sent])

    def account(self, password: str | None = None, **settings: Any) -> ImapAccount:
        secrets = DictSecrets({"password": self.password if password is None else password})
        context = AccountContext(name=self.user, secrets=secrets)
        account = open_account({**self.settings, **settings}, context)
        self.opened.append(account)
        return account

    def source(self) -> ImapAccount:
        return self.account()

    sink = source

    def close_all(self) -> None:
        for account in self.opened:
            account.close()
        self.opened.clear()

    def expire_cursors(self) -> None:
        """A new UIDVALIDITY for every folder, the same messages and UIDs (a rebuilt server).

        Dovecot keeps UIDVALIDITY in each Maildir's dovecot-uidlist; with the sessions closed,
        bumping it there and dropping the index makes Dovecot announce the new value.
        """
        self.close_all()
        root = self.server.maildir(self.user)
        for folder in [root, *root.glob(".*")]:
            uidlist = folder / "dovecot-uidlist"
            if not uidlist.exists():
                continue
            head, _, rest = uidlist.read_text().partition("\n")
            words = [f"V{int(w[1:]) + 1000}" if w.startswith("V") else w for w in head.split()]
            uidlist.write_text(" ".join(words) + "\n" + rest)
            for name in os.listdir(folder):
                if name.startswith("dovecot.index"):
                    os.unlink(folder / name)

    def send_attempts(self) -> list[str]:
        """Dovecot here serves IMAP only; any submission or SMTP line in its log is a send."""
        return [
            line
            for line in self.server.log().splitlines()
            if "submission" in line.lower() or "smtp" in line.lower()
        ]
