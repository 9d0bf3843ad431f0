"""The daemon's steps, as one explicit list built from the service.

Order (DESIGN.md data flow): sync -> notice sent drafts -> the plan becomes drafts -> push
approved drafts -> the digest. Noticing sent drafts comes before planning so a draft the owner
already sent restarts that person's cadence before the rules look again. Each step is its own
transaction(s) in the service; a failure is one failed step, not a dead daemon.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from touchbase.agent.daemon.cycle import CycleContext, Step, digest_step, sync_step
from touchbase.agent.service import Service


def default_steps(service: Service) -> list[Step]:
    """Every step of a cycle, in order, each bound to `service`."""

    def sent(_context: CycleContext, now: datetime) -> Mapping[str, Any]:
        """Drafts that showed up in Sent become sent; ones overtaken by a real message expire;
        snoozed ones whose time came are pending again."""
        done = service.notice_sent(now)
        return {"sent": len(done.sent), "expired": len(done.expired), "woken": len(done.woken)}

    def drafts(_context: CycleContext, now: datetime) -> Mapping[str, Any]:
        """The rules' plan at `now`: pending drafts it no longer stands behind expire, and its
        decisions become pending drafts, exactly as planned."""
        plan = service.plan(now)
        if plan.stopped:  # a safety valve: nothing is drafted, and nothing expires
            return {"created": 0, "stopped": plan.stopped}
        expired = service.expire_not_due(plan, now)
        made = service.apply(plan, now)
        return {
            "created": len(made.created),
            "skipped": len(made.skipped),
            "held": len(plan.held),
            "expired": len(expired),
        }

    def push(_context: CycleContext, now: datetime) -> Mapping[str, Any]:
        """Approved drafts go to the provider's Drafts folder (looked up first: never doubled)."""
        results = service.push_approved(now)
        return {
            "pushed": sum(1 for r in results if r.ok),
            "failed": sum(1 for r in results if not r.ok),
        }

    return [
        sync_step(service),
        Step("sent", sent),
        Step("drafts", drafts),
        Step("push", push),
        digest_step(service),
    ]
