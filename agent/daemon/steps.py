"""The cycle's steps after syncing, wired from the drafts and rules modules.

Order (DESIGN.md data flow): sync -> notice sent drafts -> new drafts from the rules' plan ->
push approved drafts -> the digest. Noticing sent drafts comes before planning so a draft the
owner already sent restarts that person's cadence before the rules look again. Each step is
its own transaction(s) in the modules it calls; a failure is one failed step, not a dead daemon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from touchbase.agent.app import App
from touchbase.agent.daemon import cycle
from touchbase.agent.errors import UserError


def sent_step(context: cycle.CycleContext, now: datetime) -> Mapping[str, Any]:
    """Drafts that showed up in Sent become sent; ones overtaken by a real message expire."""
    from touchbase.agent.pipeline.drafts.lifecycle import wake_snoozed
    from touchbase.agent.pipeline.drafts.sent import expire_overtaken, notice_sent

    app = context.app
    with app.sessions.begin() as session:
        sent = notice_sent(session, app.me(), now)
        expired = expire_overtaken(session, app.me(), now)
        woken = wake_snoozed(session, now)
    return {"sent": len(sent), "expired": len(expired), "woken": len(woken)}


def drafts_step(context: cycle.CycleContext, now: datetime) -> Mapping[str, Any]:
    """The rules' plan at `now` becomes pending drafts (one open draft per person, paced)."""
    from touchbase.agent.pipeline.drafts.from_rules import create_from_rules

    try:
        result = create_from_rules(context.app, now)
    except UserError as exc:  # the plan stopped itself (a safety valve): nothing to draft
        return {"created": 0, "stopped": str(exc)}
    return {"created": len(result.created), "skipped": len(result.skipped)}


def push_step(context: cycle.CycleContext, now: datetime) -> Mapping[str, Any]:
    """Approved drafts go to the provider's Drafts folder (looked up first: never doubled)."""
    from touchbase.agent.pipeline.drafts.push import push_approved
    from touchbase.agent.pipeline.drafts.sinks import sink_for

    app = context.app
    results = push_approved(app.sessions, lambda draft: sink_for(app, draft), app.config.me, now)
    return {
        "pushed": sum(1 for r in results if r.ok),
        "failed": sum(1 for r in results if not r.ok),
    }


def due_provider(app: App, now: datetime) -> list[Any]:
    """Who is due, from the same evaluation as `touchbase plan` and the review page."""
    from touchbase.agent.web.rules_view import due_from_rules

    with app.sessions() as session:
        return list(due_from_rules(app.config, app.me)(session, now))


def digest_draft(app: App, entries: Sequence[Any], now: datetime) -> int | None:
    """The day's digest as a draft to the owner, approved so the push step puts it in their own
    Drafts folder (it is addressed to them alone, and nothing is ever sent)."""
    import json

    from touchbase.agent.pipeline.compose.message import new_message_id
    from touchbase.agent.pipeline.drafts.lifecycle import format_recipient
    from touchbase.agent.pipeline.models import Account, Draft

    if not app.config.me.addresses:
        return None
    owner = app.config.me.addresses[0]
    day = now.astimezone(ZoneInfo(app.config.me.time_zone)).date().isoformat()
    lines = [f"- {entry.name} <{entry.address}>: {entry.kind}" for entry in entries]
    lines += ["", "Review and approve the drafts with `touchbase serve` or `touchbase drafts`."]
    with app.sessions.begin() as session:
        account_id = None
        for configured in app.config.accounts:
            if configured.type != "files":  # an account with a Drafts folder of its own
                account_id = session.scalar(
                    select(Account.id).where(Account.name == configured.name)
                )
                if account_id is not None:
                    break
        draft = Draft(
            kind="digest",
            status="approved",
            account_id=account_id,
            to_addresses=json.dumps([format_recipient(app.config.me.name, owner)]),
            subject=f"touchbase: {len(entries)} people are due ({day})",
            body="\n".join(lines),
            reasons=json.dumps([f"daily digest of {day}"]),
            message_id=new_message_id(owner),
            created_at=now,
            updated_at=now,
        )
        session.add(draft)
        session.flush()
        return draft.id


def install() -> None:
    """Add the steps to touchbase.agent.daemon.cycle.STEPS (once) and the digest's due provider."""
    names = {name for name, _ in cycle.STEPS}
    for name, step in (("sent", sent_step), ("drafts", drafts_step), ("push", push_step)):
        if name not in names:
            cycle.add_step(name, step)
    cycle.set_due_provider(due_provider)
    cycle.set_digest_writer(digest_draft)
