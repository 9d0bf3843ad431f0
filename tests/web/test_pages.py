"""Long lists come a page at a time (issue 13.7): the due list and a person's history, with next
and previous links; an address with nothing stored is a 404 with a way back (issue 17.9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from tests.agent.draftfixtures import ME, NOW, history, mail, store_interactions
from touchbase.agent.web import paging


def test_the_due_list_comes_in_pages_that_add_up_to_the_plan(make_world: Any, page: Any) -> None:
    world = make_world()
    for n in range(130):  # each a relationship gone quiet: due, or held by the pacing
        records = [
            replace(r, message_id=r.message_id and f"<{n}.{r.source_id}@test.example>")
            for r in history(f"p{n:03}@example.com", 12)
        ]
        store_interactions(world.sessions, records, f"a{n}")
    expected = [row.address for row in world.service.due(NOW)]
    assert len(expected) > paging.ROWS
    world.open(page)
    page.goto(world.url + "due")
    seen: list[str] = []
    numbers = []
    while True:
        rows = page.locator("table.due tbody tr td:first-child a").all()
        assert 0 < len(rows) <= paging.ROWS
        seen += [r.get_attribute("href").rsplit("/", 1)[-1] for r in rows]
        numbers.append(page.locator(".pager .where").inner_text())
        if page.locator(".pager a[rel=next]").count() == 0:
            break
        page.locator(".pager a[rel=next]").click()
    assert len(numbers) == 2 and numbers[-1].startswith(f"{paging.ROWS + 1}\u2013")
    assert page.locator(".pager a[rel=prev]").count() == 1
    page.locator(".pager a[rel=prev]").click()
    assert page.locator("table.due tbody tr").count() == paging.ROWS
    assert page.locator("h1 small").inner_text() == str(len(expected))
    # Each row once, in the plan's order (person links by id where there is a Person row).
    assert len(seen) == len(expected) == len(set(expected))


def test_a_person_history_comes_in_pages(make_world: Any, page: Any) -> None:
    world = make_world()
    mails = [
        mail(
            9000 + n,
            NOW - timedelta(days=n + 1),
            sender="pat@example.com" if n % 2 else ME.addresses[0],
            to=[ME.addresses[0]] if n % 2 else ["pat@example.com"],
            subject=f"note {n}",
        )
        for n in range(250)
    ]
    store_interactions(world.sessions, mails, "pat")
    world.open(page)
    page.goto(world.url + "contact/pat@example.com")
    history = page.locator("ul.history li")
    assert history.count() == paging.ROWS
    assert history.first.inner_text().endswith("note 0")  # newest first
    page.locator(".pager a[rel=next]").click()
    page.locator(".pager a[rel=next]").click()
    assert history.count() == 50 and history.last.inner_text().endswith("note 249")
    assert page.locator(".pager .where").inner_text() == "201\u2013250 of 250 (page 3 of 3)"
    assert page.locator("dl.facts dd").first.inner_text() == "250"  # the count is all of it
    assert page.goto(page.url.replace("page=3", "page=x")).status == 400


def test_an_address_with_nothing_stored_is_404_with_a_way_back(make_world: Any, page: Any) -> None:
    world = make_world()
    world.open(page)
    for path in ("contact/nobody@x.example", "people/99999"):
        response = page.goto(world.url + path)
        assert response.status == 404, path
        assert "Nothing is stored" in page.locator("p.missing").inner_text()
    page.locator("a.back").click()
    assert page.url == world.url and page.locator("article.draft").count() == 3
    response = page.goto(world.url + "contact/jane@example.com")  # a stored person still opens
    assert response.status == 200 and page.locator("h1").inner_text() == "Dr. Jane Q. Smith"


_APP = Flask(__name__)
_APP.add_url_rule("/due", "due", lambda: "")


@given(total=st.integers(0, 1000), size=st.integers(1, 120), asked=st.integers(1, 50))
def test_pages_cover_every_row_once(total: int, size: int, asked: int) -> None:
    items = list(range(total))
    collected: list[int] = []
    last = None
    for number in range(1, asked + 1):
        with _APP.test_request_context(f"/due?page={number}&sort=x"):
            page = paging.page_of(items, size)
            assert len(page.rows) <= size and page.number <= page.pages
            if page.number == last:  # past the end: the last page again
                break
            collected += page.rows
            last = page.number
            assert (page.next is None) == (page.number == page.pages)
            if page.next:
                assert "sort=x" in page.next and f"page={number + 1}" in page.next
    if asked >= -(-total // size):
        assert collected == items
    else:
        assert collected == items[: asked * size]
