"""The review page: pending drafts with their reasons and history, a due list, person pages.

A plain Flask app with server-rendered, autoescaped Jinja2 templates and no script at all: each
action is a small form that POSTs and redirects back (so a reload never repeats it). Everything
comes from the service (agent/service), the same door the CLI and the daemon use, so a person's
last contact, cadence and due date here are the rules' numbers, as `touchbase person` shows
them. `Site.at` fixes the moment the page evaluates at (`touchbase serve --at`), so an imported
archive can be reviewed as of its own time; actions are stamped with the service's clock.
Lists come a page at a time (agent.web.paging); only the owner's browser gets in
(agent.web.security: the access token).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.drafts.lifecycle import reasons, recipients, split_recipient
from touchbase.agent.pipeline.models import Draft
from touchbase.agent.service import PersonView, Service, cadence_days
from touchbase.agent.web import paging, security
from touchbase.agent.web.chart import build_chart
from touchbase.agent.web.kept import KeptViews
from touchbase.agent.web.shared import SharedDue

log = logging.getLogger(__name__)
RECENT = 5  # interactions shown on a draft's card
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class Site:
    """What the page serves: the service, the moment it evaluates at (None: the service's
    clock, each request), the Host names it answers to, and whether it is served over TLS
    (its cookies are then Secure)."""

    service: Service
    at: datetime | None = None
    secret: str = ""
    allowed_hosts: frozenset[str] | None = None
    tls: bool = False

    def moment(self) -> datetime:
        return self.at or self.service.now()


def create_app(site: Site) -> Flask:
    app = Flask(__name__)
    service = site.service

    @app.context_processor
    def problems() -> dict[str, Any]:
        return {"account_problems": service.accounts.failing()}

    shared_due = SharedDue(service)
    kept = KeptViews()
    secret = site.secret or security.install_secret(service)
    token = security.access_token(service)
    security.configure(app, secret, site.allowed_hosts, token, secure=site.tls)
    app.jinja_env.filters["day"] = lambda d: d.date().isoformat() if d else "-"

    def back(draft_id: int | None = None) -> Response:
        target = url_for("review_page")
        return redirect(f"{target}#draft-{draft_id}" if draft_id else target, code=303)

    def forget() -> None:
        """The owner acted: the due list and the person pages are made afresh."""
        shared_due.forget()
        kept.forget()

    def act(draft_id: int, action: Callable[[], object], done: str) -> Response:
        forget()
        try:
            action()
        except UserError as exc:
            flash(str(exc), "error")
        else:
            flash(done, "ok")
        return back(draft_id)

    @app.get("/")
    def review_page() -> str:
        now = site.moment()
        drafts = sorted(
            service.review.drafts(("pending", "approved")),
            key=lambda d: (d.due_at or _EARLIEST, d.id),
        )
        snoozed = sorted(
            service.review.drafts(("snoozed",)), key=lambda d: d.snoozed_until or _EARLIEST
        )
        page = paging.page_of(drafts, paging.CARDS)
        return render_template(
            "review.html",
            cards=[_card(site, d, now) for d in page.rows],
            page=page,
            snoozed=[_card(site, d, None) for d in snoozed],
            now=now,
            introductions=service.introductions.open(),
        )

    @app.post("/drafts/<int:draft_id>/save")
    def save(draft_id: int) -> Response:
        subject, body = request.form.get("subject", ""), request.form.get("body", "")
        return act(
            draft_id,
            lambda: service.review.edit(draft_id, subject=subject, body=body),
            f"draft {draft_id} saved",
        )

    @app.post("/drafts/<int:draft_id>/approve")
    def approve(draft_id: int) -> Response:
        forget()
        try:
            results = service.review.approve([draft_id])
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
            lambda: service.review.reject([draft_id], reason),
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
            lambda: service.review.snooze(draft_id, days),
            f"draft {draft_id} snoozed for {days:g} days",
        )

    @app.post("/introductions")
    def introduce() -> Response:
        """Issue 20: the ask to A about B, from A's person page."""
        a, b = request.form.get("a", ""), request.form.get("b", "")
        note = request.form.get("note", "")
        return act(
            0,
            lambda: service.introductions.introduce(a, b, site.moment(), note),
            f"the ask to {a} about {b} is drafted; the introduction follows their answer",
        )

    @app.post("/introductions/<int:introduction_id>/accept")
    def accept_introduction(introduction_id: int) -> Response:
        note = request.form.get("note", "")
        return act(
            0,
            lambda: service.introductions.accept(introduction_id, site.moment(), note),
            "the ask is drafted; the introduction follows their answer",
        )

    @app.post("/introductions/<int:introduction_id>/dismiss")
    def dismiss_introduction(introduction_id: int) -> Response:
        return act(
            0,
            lambda: service.introductions.dismiss(introduction_id, site.moment()),
            "dismissed: not suggested again",
        )

    @app.get("/due")
    def due_page() -> str:
        now, rows = shared_due.rows(site.at)
        return render_template("due.html", page=paging.page_of(rows), now=now)

    @app.get("/people/<int:person_id>")
    def person_page(person_id: int) -> str | tuple[str, int]:
        now, view = kept.view(
            person_id, site.at, lambda at: service.person_of(person_id, at), site.moment
        )
        if view is None:
            return _missing(f"person {person_id}")
        return _person(view, now)

    @app.get("/contact/<path:address>")
    def contact_page(address: str) -> str | Response | tuple[str, int]:
        # A known person's page is theirs by id: found without folding their history, which
        # the page it redirects to folds (at 1M interactions the busiest person's fold was
        # done twice).
        person_id = service.person_id(address)
        if person_id is not None:
            return redirect(url_for("person_page", person_id=person_id), code=303)
        now, view = kept.view(address, site.at, lambda at: service.person(address, at), site.moment)
        if view is None or (view.contact is None and not view.drafts):
            return _missing(address)  # nothing stored with them: no empty page that says 200
        return _person(view, now)

    return app


def _missing(who: str) -> tuple[str, int]:
    return render_template("missing.html", who=who), 404


def _card(site: Site, draft: Draft, now: datetime | None) -> dict[str, Any]:
    """A draft as a card; with `now`, the person's recent history as the rules saw it."""
    people = [split_recipient(r) for r in recipients(draft)]
    addresses = [a.lower() for _, a in people]
    history = site.service.person(addresses[0], now).history if now and addresses else []
    return {
        "draft": draft,
        "recipients": people,
        "reasons": reasons(draft),
        "history": history[:RECENT],
        "person_link": url_for("person_page", person_id=draft.person_id)
        if draft.person_id is not None
        else url_for("contact_page", address=addresses[0] if addresses else "-"),
    }


def _person(view: PersonView, now: datetime) -> str:
    contact, standing = view.contact, view.standing
    history = view.history
    page = paging.page_of(history)
    due = standing.due if standing else None
    return render_template(
        "person.html",
        name=view.name or (view.addresses[0] if view.addresses else "?"),
        addresses=view.addresses,
        history=page.rows,
        page=page,
        count=len(history),
        upcoming=view.upcoming,
        standing_words=view.standing_words(),
        last_contact=contact.last_contact if contact else None,
        last_kind=contact.last_contact_kind if contact else None,
        chart=build_chart([m for m in history if m.counted], now, due),
        cadence=cadence_days(standing) if standing else None,
        cadence_source=standing.cadence_source if standing else None,
        due=due,
        drafts=view.drafts,
        now=now,
    )
