"""Accounts as the owner looks after them: each one's cursor and last sync, what is failing and
how to fix it, quarantined records, and signing in (the only other place an account is opened
besides a sync and a push)."""

from __future__ import annotations

import importlib
import json
import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline import db, run_lock
from touchbase.agent.pipeline.models import (
    Account,
    Cursor,
    InteractionRow,
    QuarantinedRecord,
    SyncRun,
)

# Forgetting an account and signing in import what they need when run (issue 16): `status`
# loads no contact state (the rules behind it) and no connector.
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
            stored = {
                account_id: (count, latest)
                for account_id, count, latest in session.execute(
                    select(
                        InteractionRow.account_id,
                        func.count(),
                        func.max(InteractionRow.occurred_at),
                    ).group_by(InteractionRow.account_id)
                )
            }
            configured = {a.name for a in self._service.config.accounts}
            for account in session.scalars(select(Account).order_by(Account.name)):
                cursor = session.get(Cursor, account.id)
                count, latest = stored.get(account.id, (0, None))
                last = _latest(session, account.id, finished=False)
                status, error = (last.status, last.error) if last is not None else ("", None)
                sessions = self._service.sessions
                if status == RUNNING and run_lock.alive(sessions, account.id) is False:
                    status, error = INTERRUPTED, _rerun(account)  # its process is gone
                rows.append(
                    {
                        "account": account.name,
                        "type": account.type,
                        # Configured (synced by the daemon), or a one-off `touchbase import`.
                        "configured": account.name in configured,
                        "interactions": count,
                        "latest": iso(_aware(latest)),
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
                            "status": status,
                            "stored": last.stored,
                            "duplicates": last.duplicates,
                            "quarantined": last.quarantined,
                            "resyncs": last.resyncs,
                            "error": error,
                        },
                        "failing_since": iso(account.failing_since),
                        "last_error": account.last_error,
                        "quarantined": quarantined.get(account.id, 0),
                    }
                )
        return rows

    def counts(self, name: str) -> dict[str, int]:
        """What forgetting account `name` would remove: its interactions and quarantined records.
        Raises UserError naming the known accounts when there is none called that."""
        with self._service.sessions() as session:
            return counts_of(session, _named(session, name).id)

    def forget(self, name: str) -> dict[str, int]:
        """Remove account `name` with its cursor, sync history, quarantined records and
        interactions (their participants go with them), in one transaction. Drafts stay (they
        only lose the account they would be pushed to). A configured account is read again at
        the next sync: only an import, or an account taken out of the configuration, is gone
        for good."""
        from touchbase.agent.pipeline.contact_state import invalidate
        from touchbase.agent.pipeline.meeting_versions import settle, versioned_of

        with self._service.sessions() as session, session.begin():
            account = _named(session, name)
            removed = counts_of(session, account.id)
            versioned = versioned_of(session.connection(), account.id)
            session.execute(delete(InteractionRow).where(InteractionRow.account_id == account.id))
            settle(session.connection(), versioned)  # copies it superseded elsewhere stand again
            invalidate(session.connection())  # its people's contacts are folded again
            session.execute(
                delete(QuarantinedRecord).where(QuarantinedRecord.account_id == account.id)
            )
            session.execute(delete(Cursor).where(Cursor.account_id == account.id))
            session.execute(delete(SyncRun).where(SyncRun.account_id == account.id))
            session.delete(account)
        return removed

    def tightened(self) -> list[str]:
        """Files and folders whose modes this process made private on opening the database
        (an install from before, or one started with a loose umask), each with its old mode."""
        self._service.sessions  # noqa: B018 (opening the database is what tightens them)
        return list(db.TIGHTENED)

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
        """(account, where, reason) of every record a sync set aside: one per record and file.

        `where` is the source id, preceded by the file it came from when the id does not name
        it already (`cal/a.ics: event@uid`; an mbox record's id `box.mbox@1234` does). The files
        connector writes its reasons as `where: why`, so that is taken off the front of a
        reason: shown as `account: where: reason`, it would read `python3.11: python3.11:
        binary file`."""
        with self._service.sessions() as session:
            listed = []
            for record, name in session.execute(
                select(QuarantinedRecord, Account.name)
                .join(Account)
                .order_by(Account.name, QuarantinedRecord.location, QuarantinedRecord.source_id)
            ):
                source_id, location = record.source_id, record.location
                where = source_id
                if location and not source_id.startswith(location):
                    where = f"{location}: {source_id}"
                reason = record.reason.removeprefix(f"{source_id}: ").removeprefix(f"{location}: ")
                listed.append((name, where, reason))
            return listed

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
        from touchbase.agent.pipeline.accounts import account_context, connector_module

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
        if "password" not in account.secrets and account.type not in ("imap", "caldav", "carddav"):
            raise UserError(f"account {account.name} ({account.type}) needs no sign-in")
        password = ask_password(f"password for {account.name}: ")
        if not password:
            raise UserError("no password given; nothing stored")
        context.secrets.set("password", password)
        return f"stored the password for {account.name}"


def _aware(value: datetime | None) -> datetime | None:
    """max() over a column comes back naive from SQLite (the column type is not applied)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def counts_of(session: Session, account_id: int) -> dict[str, int]:
    def count(model: type[InteractionRow] | type[QuarantinedRecord]) -> int:
        query = select(func.count()).select_from(model).where(model.account_id == account_id)
        return session.scalar(query) or 0

    return {"interactions": count(InteractionRow), "quarantined": count(QuarantinedRecord)}


def _named(session: Session, name: str) -> Account:
    account = session.scalars(select(Account).where(Account.name == name)).first()
    if account is None:
        known = ", ".join(session.scalars(select(Account.name).order_by(Account.name))) or "none"
        raise UserError(
            f"no stored account called {name!r}",
            advice=f"stored accounts: {known} (`touchbase status` lists them)",
        )
    return account


RUNNING, INTERRUPTED = "running", "interrupted"
IMPORT_PREFIX = "import:"  # the account of `touchbase import PATH` (cli/commands/importing.py)


def _rerun(account: Account) -> str:
    """What to do about a run whose process is gone: run it again, and it resumes from the
    cursor its last stored page left (nothing stored is lost or doubled)."""
    if account.name.startswith(IMPORT_PREFIX):
        again = f"touchbase import {shlex.quote(account.name[len(IMPORT_PREFIX) :])}"
    else:
        again = f"touchbase sync --account {shlex.quote(account.name)}"
    return f"rerun `{again}` to finish (it resumes where it stopped)"


def _latest(session: Session, account_id: int, *, finished: bool) -> SyncRun | None:
    query = select(SyncRun).where(SyncRun.account_id == account_id)
    if finished:
        query = query.where(SyncRun.status != "running")
    return session.scalars(
        query.order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(1)
    ).first()


# The account types whose connector reads its own cursor for `status`, and the light module
# that does it: status once imported every account's connector to ask (icalendar for a folder of
# files, imapclient for IMAP: 0.15-0.5 s, issue 16). tests/agent/test_cli_startup.py keeps this
# in step with the connectors' `describe_cursor`.
CURSOR_READERS = {
    "imap": ("touchbase.connectors.imap.cursor", "describe"),
    "caldav": ("touchbase.connectors.dav.source", "describe_cursor"),
    "carddav": ("touchbase.connectors.dav.source", "describe_cursor"),
}


def describe_cursor(type_: str, value: str | None) -> list[str]:
    """The connector's own reading of its cursor (IMAP: per folder), when it offers one."""
    reader = CURSOR_READERS.get(type_)
    if reader is None or value is None:
        return []
    try:
        module = importlib.import_module(reader[0])
    except ImportError:
        return []
    describe = getattr(module, reader[1], None)
    return list(describe(value)) if callable(describe) else []


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
