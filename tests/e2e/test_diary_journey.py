"""The demo patient logs today's diary with the keyboard alone, reloads, and finds it saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gutwise.demo.service import DEMO_LOGINS

pytestmark = pytest.mark.e2e
EMAIL, PASSWORD = DEMO_LOGINS[0][:2]


def _tab_to(page, selector: str, limit: int = 30) -> None:
    """Press Tab until the element matching ``selector`` has the keyboard focus."""
    for _ in range(limit):
        if page.evaluate("(sel) => document.activeElement && document.activeElement.matches(sel)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _sign_in_with_keyboard(page, base: str) -> None:
    page.goto(f"{base}/login")
    expect(page.locator("#email")).to_be_focused()  # the cursor starts in the e-mail field
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/today")


def test_keyboard_only_diary_entry_survives_a_reload(page, live_server):
    _sign_in_with_keyboard(page, live_server)
    assert page.get_by_text("Synthetic demo data.").is_visible()

    _tab_to(page, "input[name=fatigue]")
    for _ in range(6):
        page.keyboard.press("ArrowRight")  # arrow keys move through the 0-10 scale
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "crash"
    page.keyboard.press("Space")
    _tab_to(page, "button[name=plan_all]")  # the plan's checklist starts with one button for all of it
    _tab_to(page, "summary")  # the folded "More" section: one stop, its fields stay out of the way
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "note"
    page.keyboard.type("Typed without a mouse.")
    _tab_to(page, "#save")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.reload()
    assert page.locator("input[name=fatigue][value='6']").is_checked()
    assert page.locator("#crash").is_checked()
    assert page.locator("#note").input_value() == "Typed without a mouse."


def test_an_entry_is_saved_as_it_is_typed_without_pressing_save(page, live_server):
    _sign_in_with_keyboard(page, live_server)
    _tab_to(page, "input[name=fatigue]")
    checked = page.locator("input[name=fatigue]:checked")
    before = checked.get_attribute("value") if checked.count() else None
    for _ in range(2):  # each change of the scale is saved at once
        with page.expect_response(lambda r: "/diary/" in r.url and r.request.method == "POST") as saved:
            page.keyboard.press("ArrowRight")
        assert saved.value.status == 200
    expect(page.locator("#save-status")).to_contain_text("Saved at")
    chosen = page.locator("input[name=fatigue]:checked").get_attribute("value")
    assert chosen != before
    page.reload()  # no Save button was pressed
    assert page.locator(f"input[name=fatigue][value='{chosen}']").is_checked()


def test_wrong_password_shows_one_plain_message(page, live_server):
    page.goto(f"{live_server}/login")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text() == "The e-mail address or the password is not right."
    assert page.locator("#email").input_value() == EMAIL


def test_optional_symptoms_open_with_the_keyboard_and_are_saved(page, live_server):
    _sign_in_with_keyboard(page, live_server)
    _tab_to(page, "summary")
    page.keyboard.press("Enter")  # opens the optional section
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "a_aches_pains"
    with page.expect_response(lambda r: "/diary/" in r.url and r.request.method == "POST"):
        page.keyboard.press("ArrowRight")  # aches and pains: 1
    _tab_to(page, "input[name=a_sleep_hours]")
    page.keyboard.type("7.5")
    with page.expect_response(lambda r: "/diary/" in r.url and r.request.method == "POST") as saved:
        page.keyboard.press("Tab")
    assert saved.value.status == 200
    page.reload()
    assert page.locator("details.more").get_attribute("open") is not None  # opens itself when it holds answers
    assert page.locator("input[name=a_aches_pains][value='1']").is_checked()
    assert page.locator("input[name=a_sleep_hours]").input_value() == "7.5"
