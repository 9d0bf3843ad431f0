"""The due list is evaluated once and shared (agent/web/shared.py): pages and concurrent tabs
wait for one evaluation instead of each running their own; an action on a draft starts anew."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.agent.draftfixtures import ME, NOW, history, store_interactions
from touchbase.agent.pipeline.config import Config
from touchbase.agent.service import Due, Service
from touchbase.agent.web.shared import FRESH_SECONDS, SharedDue


class CountingService(Service):
    """The real service, counting its evaluations of the due list."""

    evaluations = 0

    def due(self, at: datetime) -> list[Due]:
        self.evaluations += 1
        return super().due(at)


def test_one_evaluation_serves_concurrent_requests_until_stale_or_an_action(
    tmp_path: Path,
) -> None:
    service = CountingService(Config(me=ME), f"sqlite:///{tmp_path / 't.db'}", lambda: NOW)
    store_interactions(service.sessions, history("jane@example.com", 20))
    seconds = [0.0]
    shared = SharedDue(service, clock=lambda: seconds[0])
    answers: list[Any] = []
    threads = [threading.Thread(target=lambda: answers.append(shared.rows(None))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert service.evaluations == 1 and len(answers) == 8
    assert all(a == answers[0] for a in answers) and answers[0][1][0].address == "jane@example.com"
    seconds[0] = FRESH_SECONDS - 1
    shared.rows(None)
    assert service.evaluations == 1
    seconds[0] = FRESH_SECONDS + 1
    shared.rows(None)
    assert service.evaluations == 2  # stale: evaluated again
    shared.forget()
    shared.rows(None)
    assert service.evaluations == 3  # the owner acted on a draft
    shared.rows(NOW)
    assert service.evaluations == 4  # another moment (serve --at) is its own list


def test_the_due_list_follows_an_action_on_the_page(make_world: Any, page: Any) -> None:
    world = make_world()
    world.open(page)
    page.goto(world.url + "due")
    assert "already open" in page.locator("table.due tbody").inner_text()
    page.goto(world.url)
    jane = world.ids["jane@example.com"]
    page.locator(f"#draft-{jane} button[name=reject]").click()
    page.goto(world.url + "due")
    assert "already open" not in page.locator("table.due tbody").inner_text()
