"""The review page on a phone (390x844, touch, in Chromium): thumb-sized actions, no sideways
scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import REPO
from touchbase.agent.pipeline.drafts import lifecycle

pytestmark = pytest.mark.servers
DOCS = REPO / "docs"
WIDTH, HEIGHT = 390, 844  # an iPhone 12-15's viewport in CSS pixels
TAP = 44  # the smallest comfortable touch target, CSS px (Apple HIG; WCAG 2.5.5 AAA)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    opened = context.new_page()
    yield opened
    context.close()


def sideways(page: Any) -> int:
    """How many CSS pixels the page is wider than the screen (0: no horizontal scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _status(world: Any, draft_id: int) -> str:
    with world.sessions() as session:
        return lifecycle.get_draft(session, draft_id).status


def test_every_page_fits_the_width_of_a_phone(make_world: Any, phone: Any) -> None:
    world = make_world()
    world.open(phone)
    assert phone.evaluate("window.innerWidth") == WIDTH
    assert sideways(phone) == 0
    DOCS.mkdir(exist_ok=True)
    phone.screenshot(path=str(DOCS / "review-phone.png"), full_page=False)
    phone.locator(f"#draft-{world.ids['jane@example.com']} .to a").tap()
    assert phone.locator("h1").inner_text() == "Dr. Jane Q. Smith"
    assert sideways(phone) == 0
    phone.screenshot(path=str(DOCS / "person-phone.png"), full_page=False)
    phone.goto(world.url + "due")
    assert sideways(phone) == 0


def test_the_actions_are_thumb_sized_and_in_thumb_reach(make_world: Any, phone: Any) -> None:
    world = make_world()
    world.open(phone)
    card = phone.locator(f"#draft-{world.ids['jane@example.com']}")
    card.locator("textarea[name=body]").scroll_into_view_if_needed()
    boxes = {}
    for name in ("save", "approve", "snooze", "reject"):
        box = card.locator(f"button[name={name}]").bounding_box()
        assert box is not None, name
        assert box["height"] >= TAP and box["width"] >= TAP, (name, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (name, box)
        boxes[name] = box
    boxes["days"] = card.locator("select[name=days]").bounding_box()
    boxes["reason"] = card.locator("input[name=reason]").bounding_box()
    for a, first in boxes.items():  # no control covers another (a mis-tap)
        for b, second in boxes.items():
            assert a == b or not overlap(first, second), (a, first, b, second)
    # While the owner reads a draft its decisions stay at the bottom of the screen, where a
    # thumb rests: the approve button is in the lowest third of the viewport, fully visible.
    approve = card.locator("button[name=approve]").bounding_box()
    assert approve is not None
    assert approve["y"] >= HEIGHT * 2 / 3 and approve["y"] + approve["height"] <= HEIGHT, approve


def test_approve_edit_snooze_and_reject_by_tapping(make_world: Any, phone: Any) -> None:
    world = make_world()
    jane, bob, cy = (
        world.ids[a] for a in ("jane@example.com", "bob@example.com", "cy@example.com")
    )
    world.open(phone)
    card = phone.locator(f"#draft-{jane}")
    card.locator("input[name=subject]").fill("Coffee next week?")
    card.locator("button[name=save]").tap()
    expect(phone.locator(".flash.ok")).to_have_text(f"draft {jane} saved")
    # A tap submits without waiting for the answer: the flash on the next page says it is done.
    phone.locator(f"#draft-{jane} button[name=approve]").tap()
    expect(phone.locator(".flash.ok")).to_contain_text(f"draft {jane} is in your Drafts folder")
    assert _status(world, jane) == "pushed"

    phone.locator(f"#draft-{bob} button[name=reject]").tap()
    expect(phone.locator(".flash.ok")).to_have_text(f"draft {bob} rejected")
    assert _status(world, bob) == "rejected"

    phone.locator(f"#draft-{cy} select[name=days]").select_option("30")
    phone.locator(f"#draft-{cy} button[name=snooze]").tap()
    expect(phone.locator(".flash.ok")).to_have_text(f"draft {cy} snoozed for 30 days")
    assert _status(world, cy) == "snoozed"
    assert sideways(phone) == 0
    assert set(world.sink.calls) == {"push_draft"}


def test_every_page_keeps_its_stylesheet(make_world: Any, phone: Any) -> None:
    """The stylesheet is sent with no-cache, so the second page revalidates it: the answer
    must be 304 (it was a 500 from the server's WSGI bridge, and every page after the first
    was unstyled, on a phone too)."""
    world = make_world()
    client = world.client()
    first = client.get(world.url + "static/app.css", timeout=10)
    again = client.get(
        world.url + "static/app.css", headers={"If-None-Match": first.headers["ETag"]}, timeout=10
    )
    assert (first.status_code, again.status_code) == (200, 304)
    world.open(phone)
    phone.locator(f"#draft-{world.ids['jane@example.com']} .to a").tap()
    expect(phone.locator("h1")).to_have_text("Dr. Jane Q. Smith")
    assert phone.locator("header.top").evaluate("e => getComputedStyle(e).display") == "flex"
