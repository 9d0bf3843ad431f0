"""The review page: pending drafts with their reasons and history, a due list, person pages.

A plain Flask app with server-rendered, autoescaped Jinja2 templates and no script at all: each
action is a small form that POSTs and redirects back (so a reload never repeats it). Everything
the page needs from outside (the database, the owner, the clock, where drafts are pushed, who is
due) comes in through `Site`, so tests build it with fakes and the CLI with the real things.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.config import Me
from touchbase.agent.pipeline.drafts import lifecycle, review
from touchbase.agent.pipeline.drafts.review import SinkFor
from touchbase.agent.pipeline.models import Account, Draft, Person, PersonAddress, SyncRun
from touchbase.agent.web import security
from touchbase.agent.web.chart import build_chart
from touchbase.agent.web.history import events, learned_cadence, next_due

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueRow:
    """One line of the due list."""

    name: str
    address: str
    kind: str
    due: datetime | None
    reasons: tuple[str, ...]
    person_id: int | None = None
    draft_id: int | None = None


DueProvider = Callable[[Session, datetime], list[DueRow]]


@dataclass(frozen=True)
class StandingView:
    """Where the rules say a person stands: cadence, where it came from, next due."""

    cadence_days: int
    source: str  # "person", "tier", "learned", "tier-max"
    due: datetime | None


StandingProvider = Callable[[Session, list[str], datetime], StandingView | None]


def due_from_drafts(session: Session, now: datetime) -> list[DueRow]:
    """The due list when no rules are wired in: the open drafts, by due date."""
    rows = []
    for draft in session.scalars(
        select(Draft).where(Draft.status.in_(lifecycle.OPEN)).order_by(Draft.due_at, Draft.id)
    ):
        name, address = lifecycle.split_recipient(lifecycle.recipients(draft)[0])
        rows.append(
            DueRow(
                name,
                address,
                draft.kind,
                draft.due_at,
                tuple(lifecycle.reasons(draft)),
                draft.person_id,
                draft.id,
            )
        )
    return rows


@dataclass
class Site:
    sessions: sessionmaker[Session]
    me: Me
    me_addresses: tuple[str, ...]
    clock: Callable[[], datetime]
    sink_for: SinkFor | None = None
    due: DueProvider = due_from_drafts
    standing: StandingProvider | None = None  # the rules' view; a local estimate without it
    secret: str = ""
    allowed_hosts: frozenset[str] | None = None
    push_options: dict[str, Any] = field(default_factory=dict)


def account_problems(session: Session) -> list[dict[str, str]]:
    """Accounts whose latest sync failed, with the error and the fix it names (an expired
    grant says `touchbase auth NAME`). Shown on every page until a sync succeeds again."""
    problems = []
    for account in session.scalars(select(Account).order_by(Account.name)):
        latest = session.scalars(
            select(SyncRun)
            .where(SyncRun.account_id == account.id, SyncRun.status != "running")
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(1)
        ).first()
        if latest is not None and latest.status != "ok":
            problems.append(
                {"account": account.name, "status": latest.status, "error": latest.error or ""}
            )
    return problems


def create_app(site: Site) -> Flask:
    app = Flask(__name__)

    @app.context_processor
    def problems() -> dict[str, Any]:
        with site.sessions() as session:
            return {"account_problems": account_problems(session)}

    secret = site.secret or security.install_secret(site.sessions)
    security.configure(app, secret, site.allowed_hosts)
    app.jinja_env.filters["day"] = lambda d: d.date().isoformat() if d else "-"

    def back(draft_id: int | None = None) -> Response:
        target = url_for("review_page")
        return redirect(f"{target}#draft-{draft_id}" if draft_id else target, code=303)

    def act(draft_id: int, action: Callable[[], object], done: str) -> Response:
        try:
            action()
        except UserError as exc:
            flash(str(exc), "error")
        else:
            flash(done, "ok")
        return back(draft_id)

    @app.get("/")
    def review_page() -> str:
        now = site.clock()
        with site.sessions() as session:
            drafts = list(
                session.scalars(
                    select(Draft)
                    .where(Draft.status.in_(("pending", "approved")))
                    .order_by(Draft.due_at, Draft.id)
                )
            )
            snoozed = list(
                session.scalars(
                    select(Draft).where(Draft.status == "snoozed").order_by(Draft.snoozed_until)
                )
            )
            cards = [_card(session, site, d) for d in drafts]
        return render_template(
            "review.html", cards=cards, snoozed=[_card(None, site, d) for d in snoozed], now=now
        )

    @app.post("/drafts/<int:draft_id>/save")
    def save(draft_id: int) -> Response:
        subject, body = request.form.get("subject", ""), request.form.get("body", "")
        return act(
            draft_id,
            lambda: review.edit(site.sessions, draft_id, site.clock(), subject=subject, body=body),
            f"draft {draft_id} saved",
        )

    @app.post("/drafts/<int:draft_id>/approve")
    def approve(draft_id: int) -> Response:
        try:
            results = review.approve(
                site.sessions, [draft_id], site.sink_for, site.me, site.clock(), **site.push_options
            )
        except UserError as exc:
            flash(str(exc), "error")
            return back(draft_id)
        for result in results:
            if result.ok:
                flash(f"draft {draft_id} is in your Drafts folder; send it from your mail", "ok")
            else:
                flash(
                    f"draft {draft_id} approved; pushing failed ({result.error}), "
                    "the daemon will try again",
                    "error",
                )
        if not results:
            flash(f"draft {draft_id} approved", "ok")
        return back()

    @app.post("/drafts/<int:draft_id>/reject")
    def reject(draft_id: int) -> Response:
        reason = request.form.get("reason") or None
        return act(
            draft_id,
            lambda: review.reject(site.sessions, [draft_id], site.clock(), reason),
            f"draft {draft_id} rejected",
        )

    @app.post("/drafts/<int:draft_id>/snooze")
    def snooze(draft_id: int) -> Response:
        try:
            days = float(request.form.get("days", "7"))
        except ValueError:
            abort(400, "days must be a number")
        return act(
            draft_id,
            lambda: review.snooze(site.sessions, draft_id, site.clock(), days),
            f"draft {draft_id} snoozed for {days:g} days",
        )

    @app.get("/due")
    def due_page() -> str:
        now = site.clock()
        with site.sessions() as session:
            rows = site.due(session, now)
        return render_template("due.html", rows=rows, now=now)

    @app.get("/people/<int:person_id>")
    def person_page(person_id: int) -> str:
        with site.sessions() as session:
            person = session.get(Person, person_id)
            if person is None:
                abort(404)
            addresses = list(
                session.scalars(
                    select(PersonAddress.address).where(PersonAddress.person_id == person_id)
                )
            )
            return _person(session, site, person.name, addresses, person.cadence_days, person_id)

    @app.get("/contact/<path:address>")
    def contact_page(address: str) -> str | Response:
        address = address.strip().lower()
        with site.sessions() as session:
            person_id = session.scalar(
                select(PersonAddress.person_id).where(PersonAddress.address == address)
            )
            if person_id is not None:
                return redirect(url_for("person_page", person_id=person_id), code=303)
            return _person(session, site, "", [address], None, None)

    return app


def _card(session: Session | None, site: Site, draft: Draft) -> dict[str, Any]:
    recipients = [lifecycle.split_recipient(r) for r in lifecycle.recipients(draft)]
    addresses = [a.lower() for _, a in recipients]
    history = events(session, addresses, site.me_addresses, limit=5) if session else []
    return {
        "draft": draft,
        "recipients": recipients,
        "reasons": lifecycle.reasons(draft),
        "history": history,
        "person_link": url_for("person_page", person_id=draft.person_id)
        if draft.person_id is not None
        else url_for("contact_page", address=addresses[0] if addresses else "-"),
    }


def _person(
    session: Session,
    site: Site,
    name: str,
    addresses: list[str],
    cadence_days: int | None,
    person_id: int | None,
) -> str:
    now = site.clock()
    history = events(session, addresses, site.me_addresses)
    view = site.standing(session, addresses, now) if site.standing and addresses else None
    cadence: int | None
    if view is not None:
        cadence, learned, due = view.cadence_days, view.source == "learned", view.due
    else:
        learned = cadence_days is None
        cadence = cadence_days or learned_cadence(history)
        due = next_due(history, cadence)
    if person_id is not None:
        query = select(Draft).where(Draft.person_id == person_id)
    else:  # no person row: the drafts written to this address (a short list; filter here)
        query = select(Draft).where(Draft.to_addresses.contains(addresses[0]))
    drafts = [
        d
        for d in session.scalars(query.order_by(Draft.created_at.desc()))
        if person_id is not None or set(addresses) & set(lifecycle.addresses(d))
    ]
    return render_template(
        "person.html",
        name=name or (addresses[0] if addresses else "?"),
        addresses=addresses,
        history=history[:30],
        count=len(history),
        chart=build_chart(history, now, due),
        cadence=cadence,
        learned=learned,
        due=due,
        drafts=drafts,
        now=now,
    )
