"""Progress and cohort pages in a real browser: charts drawn, results in words, the cohort dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_diary_journey import _sign_in_with_keyboard, _tab_to

pytestmark = pytest.mark.e2e


def test_the_patient_sees_progress_in_plain_words(page, live_server):
    _sign_in_with_keyboard(page, live_server)
    _tab_to(page, "a[href='/my/progress']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Your progress")
    chart = page.locator("figure.chart svg").first
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    results = page.locator("ol.results > li")
    assert results.count() >= 2  # the demo plan's dated changes, each with a sentence
    expect(results.first).to_contain_text("could plausibly be anywhere from")
    expect(page.get_by_role("heading", name="Questionnaires over time")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my report (PDF)").click()
    path = info.value.path()
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-"


def test_the_clinician_cohort_dashboard(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("#email", "clinician@demo.gutwise.invalid")
    page.fill("#password", "demo-clinician-pass")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{live_server}/cohort")
    expect(page.locator("h1")).to_have_text("Who responds in this clinic")
    expect(page.locator(".callout").first).to_contain_text("not randomised")
    assert page.locator("figure.chart svg").count() >= 3  # forest plot, Kaplan-Meier, pooled effects
    expect(page.get_by_role("heading", name="Response table")).to_be_visible()
    first = page.locator("table.grid").last.locator("tbody tr a").first
    with page.expect_navigation():
        first.click()
    expect(page.locator("h1")).to_contain_text("Progress: Demo patient")
