"""A person's view is kept for a minute (agent/web/kept.py): the pages of a long history are one
fold, not one each; an action on the page, a stale view or another moment makes it afresh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.agent.draftfixtures import ME, NOW, mail, make_drafts, request, store_interactions
from touchbase.agent.pipeline.config import Config
from touchbase.agent.service import PersonView, Service
from touchbase.agent.web.kept import KEPT, KeptViews
from touchbase.agent.web.security import access_token
from touchbase.agent.web.shared import FRESH_SECONDS
from touchbase.agent.web.site import Site, create_app

PAT = "pat@example.com"


class CountingService(Service):
    """The real service, counting the person views it makes (each one a traced fold)."""

    folds = 0

    def person(self, address: str, at: datetime) -> PersonView:
        self.folds += 1
        return super().person(address, at)

    def person_of(self, person_id: int, at: datetime) -> PersonView | None:
        self.folds += 1
        return super().person_of(person_id, at)


@pytest.fixture
def service(tmp_path: Path) -> CountingService:
    service = CountingService(Config(me=ME), f"sqlite:///{tmp_path / 't.db'}", lambda: NOW)
    mails = [
        mail(
            9000 + n,
            NOW - timedelta(days=n + 1),
            sender=PAT if n % 2 else ME.addresses[0],
            to=[ME.addresses[0]] if n % 2 else [PAT],
            subject=f"note {n}",
        )
        for n in range(250)
    ]
    store_interactions(service.sessions, mails, "pat")
    return service


def owner(service: Service, at: datetime | None = NOW) -> FlaskClient:
    client = create_app(Site(service, at=at)).test_client()
    assert client.get(f"/?token={access_token(service)}").status_code == 200
    return client


def history(page: TestResponse) -> str:
    """The page's history list and facts (the forms around them carry per-session tokens)."""
    text = page.get_data(as_text=True)
    return text[
        text.index('<dl class="facts">') : text.index("</ul>", text.index('class="history"'))
    ]


def test_the_pages_of_a_history_are_one_fold_until_the_owner_acts(
    service: CountingService,
) -> None:
    client = owner(service)
    pages = [client.get(f"/contact/{PAT}?page={n}") for n in (1, 2, 3, 2)]
    assert [p.status_code for p in pages] == [200] * 4
    assert service.folds == 1
    # Each page is its own slice of the one view, as when each was folded afresh.
    assert b"note 0<" in pages[0].data and b"note 249<" in pages[2].data
    assert history(pages[1]) == history(pages[3]) != history(pages[0])
    fresh = owner(service)  # another app (a restart) keeps nothing: the same page, folded
    assert history(fresh.get(f"/contact/{PAT}?page=2")) == history(pages[1])
    assert service.folds == 2
    [draft_id] = make_drafts(service.sessions, [request(PAT, "Pat")])
    by_id = client.get(f"/contact/{PAT}", follow_redirects=True).request.path  # a Person now
    assert service.folds == 3 and by_id.startswith("/people/")
    assert b"pending" in client.get(by_id).data and service.folds == 3
    with client.session_transaction() as cookie:  # the form's CSRF token, as a browser sends it
        csrf = cookie["csrf"]
    rejected = client.post(f"/drafts/{draft_id}/reject", data={"reason": "not now", "csrf": csrf})
    assert rejected.status_code == 303
    after = client.get(by_id)
    assert service.folds == 4  # the action changed the page: made afresh
    assert after.status_code == 200 and b"rejected" in after.data


def test_a_page_evaluated_at_the_clock_keeps_its_moment(service: CountingService) -> None:
    client = owner(service, at=None)
    first = client.get(f"/contact/{PAT}?page=1")
    service.clock = lambda: NOW + timedelta(seconds=30)
    again = client.get(f"/contact/{PAT}?page=1")
    assert service.folds == 1 and history(first) == history(again)


def test_views_are_kept_while_fresh_and_at_most_kept() -> None:
    seconds = [0.0]
    kept = KeptViews(clock=lambda: seconds[0])
    made: list[tuple[int, datetime]] = []

    def make(key: int) -> Callable[[datetime], PersonView | None]:
        def run(at: datetime) -> PersonView:
            made.append((key, at))
            return PersonView(None, str(key), (), None, None, (), ())

        return run

    def now() -> datetime:
        return NOW

    moment, view = kept.view(1, None, make(1), now)
    assert moment == NOW and view is not None and view.name == "1"
    assert kept.view(1, None, make(1), now)[1] is view
    assert len(made) == 1
    kept.view(1, NOW - timedelta(days=1), make(1), now)
    assert len(made) == 2  # another moment (serve --at) is its own view
    seconds[0] = FRESH_SECONDS + 1
    kept.view(1, None, make(1), now)
    assert len(made) == 3  # stale: made again
    for key in range(2, 2 + KEPT):  # KEPT others push the least recently shown out
        kept.view(key, None, make(key), now)
    kept.view(1, None, make(1), now)
    assert len(made) == 3 + KEPT + 1
    kept.view(1 + KEPT, None, make(1 + KEPT), now)
    assert len(made) == 3 + KEPT + 1  # still kept
    assert kept.view(99, None, lambda at: None, now) == (NOW, None)
    kept.forget()
    kept.view(1, None, make(1), now)
    assert len(made) == 3 + KEPT + 2


def test_a_later_app_drops_what_an_earlier_one_kept() -> None:
    """A Flask app is a cycle, freed whenever the collector gets to it: the views it kept must
    not live on with it (bench/rules.py makes an app per run; peak 296 -> 302-308 MB)."""
    made: list[datetime] = []

    def make(at: datetime) -> PersonView:
        made.append(at)
        return PersonView(None, "pat", (), None, None, (), ())

    earlier = KeptViews()
    earlier.view(1, NOW, make, lambda: NOW)
    earlier.view(1, NOW, make, lambda: NOW)
    assert len(made) == 1
    later = KeptViews()
    earlier.view(1, NOW, make, lambda: NOW)
    assert len(made) == 2  # dropped when the later one was made
    later.view(1, NOW, make, lambda: NOW)
    later.view(1, NOW, make, lambda: NOW)
    assert len(made) == 3
