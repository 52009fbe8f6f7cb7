"""The lab page in a real browser: the LPS grid, trend charts, a CSV import with its report."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_diary_journey import _sign_in_with_keyboard, _tab_to

pytestmark = pytest.mark.e2e

CSV = (b"patient,analyte,value,unit,ref_low,ref_high,collected,lab\n"
       b"me,hs_crp,5.5,mg/L,0,3,2026-01-05,Browser lab\n"
       b"me,hs_crp,bad,mg/L,0,3,2026-01-06,Browser lab\n")


def test_the_lab_page_shows_the_panel_and_imports_a_file(page, live_server, tmp_path):
    _sign_in_with_keyboard(page, live_server)
    _tab_to(page, "a[href='/my/labs']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h2#lps-h")).to_contain_text("IgA and IgM against gut-bacteria LPS")
    expect(page.locator("h2#lps-h .badge")).to_have_text("research assay")
    grid = page.locator("table.lps")
    expect(grid).to_be_visible()
    assert grid.locator("tbody tr").count() == 6  # the demo lab reports six organisms
    assert page.locator("text=Research assay, not a validated diagnostic test").count() >= 1

    bad = tmp_path / "bad.csv"
    bad.write_bytes(CSV)
    page.set_input_files("#file", str(bad))
    with page.expect_navigation():
        page.get_by_role("button", name="Import").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported")
    expect(alert).to_contain_text("bad.csv row 3: value: 'bad' is not a number")

    good = tmp_path / "good.csv"
    good.write_bytes(CSV.rsplit(b"\n", 2)[0] + b"\n")
    page.set_input_files("#file", str(good))
    with page.expect_navigation():
        page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 1 result")
    chart = page.locator("figure.chart", has_text="High-sensitivity C-reactive protein")
    expect(chart.locator("svg > title")).to_have_text("High-sensitivity C-reactive protein (hs-CRP) over time")
