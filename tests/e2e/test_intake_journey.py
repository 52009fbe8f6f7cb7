"""The demo patient fills the screening intake from start to result with the keyboard alone."""

from __future__ import annotations

import pytest

from tests.e2e.test_diary_journey import _sign_in_with_keyboard, _tab_to

pytestmark = pytest.mark.e2e


def _next(page) -> None:
    _tab_to(page, "button[value=next]", limit=80)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _rate_every_group(page, presses: int) -> None:
    """Answer every radio group on the page: Tab into the group, arrow right ``presses`` times."""
    names = page.evaluate("[...new Set([...document.querySelectorAll('input[type=radio]')].map(e => e.name))]")
    for name in names:
        _tab_to(page, f"input[name='{name}']", limit=60)
        for _ in range(presses):
            page.keyboard.press("ArrowRight")


def test_intake_from_start_to_result_with_the_keyboard(page, live_server):
    _sign_in_with_keyboard(page, live_server)
    _tab_to(page, "a[href='/screening']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "a[href$='/intake']")  # "Start a new screening" (the demo has a baseline one)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "About you"
    assert page.evaluate("document.activeElement.id") == "age"
    page.keyboard.type("34")
    _next(page)

    assert page.locator("h1").inner_text() == "Your fatigue"
    page.keyboard.type("18")  # the duration field has the focus
    for name, answer in [("new_onset", 0), ("lifelong", 1), ("due_to_ongoing_exertion", 1),
                         ("relieved_by_rest", 1), ("substantial_activity_reduction", 0), ("pem_lasts_over_24h", 0)]:
        _tab_to(page, f"input[name={name}]")
        page.keyboard.press("Space")  # choose "Yes"
        for _ in range(answer):
            page.keyboard.press("ArrowRight")  # "No"
    _next(page)

    for heading in ("Fatigue and what happens after activity", "Sleep, pain and thinking",
                    "Gut, balance, temperature and illness", "Throat, glands, joints and headaches"):
        assert page.locator("h1").inner_text() == heading
        _rate_every_group(page, presses=3)  # frequency 3, severity 3
        _next(page)
    while page.locator("h1").inner_text() != "Check and finish":
        _next(page)  # the rest is optional: skip with Next

    _tab_to(page, "button.primary")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Screening result"
    cards = page.locator(".card")
    assert cards.count() == 4
    iom = page.locator(".card", has=page.locator("#def-iom_2015"))
    assert "Meets the research criteria" in iom.inner_text()
    assert "you have me/cfs" not in page.content().lower()
