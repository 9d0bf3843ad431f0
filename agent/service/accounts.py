"""Accounts as the owner looks after them: each one's cursor and last sync, what is failing and
how to fix it, quarantined records, and signing in (the only other place an account is opened
besides a sync and a push)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.accounts import FACTORIES, account_context, connector_module
from touchbase.agent.pipeline.models import Account, Cursor, QuarantinedRecord, SyncRun

if TYPE_CHECKING:
    from touchbase.agent.service import Service


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class Accounts:
    """`service.accounts`: status, problems and sign-in."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def status(self) -> list[dict[str, Any]]:
        """Per account: type, cursor (raw and as its connector reads it), the last sync,
        failing since when and why, and how many records are quarantined (`status --json`)."""
        rows: list[dict[str, Any]] = []
        with self._service.sessions() as session:
            quarantined = dict(
                session.execute(
                    select(QuarantinedRecord.account_id, func.count()).group_by(
                        QuarantinedRecord.account_id
                    )
                ).all()
            )
            for account in session.scalars(select(Account).order_by(Account.name)):
                cursor = session.get(Cursor, account.id)
                last = _latest(session, account.id, finished=False)
                rows.append(
                    {
                        "account": account.name,
                        "type": account.type,
                        "cursor": _decode(cursor.value) if cursor else None,
                        "cursor_summary": describe_cursor(
                            account.type, cursor.value if cursor else None
                        ),
                        "cursor_updated_at": iso(cursor.updated_at) if cursor else None,
                        "last_sync": None
                        if last is None
                        else {
                            "started_at": iso(last.started_at),
                            "finished_at": iso(last.finished_at),
                            "status": last.status,
                            "stored": last.stored,
                            "duplicates": last.duplicates,
                            "quarantined": last.quarantined,
                            "resyncs": last.resyncs,
                            "error": last.error,
                        },
                        "failing_since": iso(account.failing_since),
                        "last_error": account.last_error,
                        "quarantined": quarantined.get(account.id, 0),
                    }
                )
        return rows

    def failing(self) -> list[dict[str, str]]:
        """Accounts whose latest finished sync failed, with the error and the fix it names
        (an expired grant says `touchbase auth NAME`), whoever ran it: the CLI or the daemon."""
        problems = []
        with self._service.sessions() as session:
            for account in session.scalars(select(Account).order_by(Account.name)):
                latest = _latest(session, account.id, finished=True)
                if latest is not None and latest.status != "ok":
                    problems.append(
                        {
                            "account": account.name,
                            "status": latest.status,
                            "error": latest.error or "",
                        }
                    )
        return problems

    def quarantined(self) -> list[tuple[str, str, str]]:
        """(account, source id, reason) of every record a sync set aside."""
        with self._service.sessions() as session:
            return [
                (name, record.source_id, record.reason)
                for record, name in session.execute(
                    select(QuarantinedRecord, Account.name).join(Account).order_by(Account.name)
                )
            ]

    def authorize(
        self,
        name: str,
        *,
        say: Callable[[str], None],
        ask_password: Callable[[str], str],
        browser: bool = False,
    ) -> str:
        """Sign in to account `name` and keep the credential where it belongs (the keyring or
        an owner-only file); what was done, in a sentence. OAuth accounts run their provider's
        sign-in (`say` shows a device code), password accounts ask with `ask_password`."""
        account = self._service.config.account(name)
        module = connector_module(account)
        context = account_context(account, self._service.me())
        authorize = getattr(module, "authorize", None)
        if authorize is not None:
            granted = authorize(dict(account.settings), context)
            listed = isinstance(granted, tuple | list) and granted
            return f"signed in to {account.name}" + (f" ({', '.join(granted)})" if listed else "")
        connector = module.open_account(dict(account.settings), context)
        sign_in = getattr(connector, "sign_in", None)
        if sign_in is not None:  # Microsoft: device code (or browser) through msal
            sign_in(say, browser=browser)
            return f"signed in to {account.name}"
        if "password" not in account.secrets and account.type != "imap":
            raise UserError(f"account {account.name} ({account.type}) needs no sign-in")
        password = ask_password(f"password for {account.name}: ")
        if not password:
            raise UserError("no password given; nothing stored")
        context.secrets.set("password", password)
        return f"stored the password for {account.name}"


def _latest(session: Session, account_id: int, *, finished: bool) -> SyncRun | None:
    query = select(SyncRun).where(SyncRun.account_id == account_id)
    if finished:
        query = query.where(SyncRun.status != "running")
    return session.scalars(
        query.order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(1)
    ).first()


def describe_cursor(type_: str, value: str | None) -> list[str]:
    """The connector's own reading of its cursor (IMAP: per folder), when it offers one."""
    name = FACTORIES.get(type_)
    if name is None or value is None:
        return []
    try:
        module = importlib.import_module(name)
    except ImportError:
        return []
    describe = getattr(module, "describe_cursor", None)
    return list(describe(value)) if callable(describe) else []


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
