"""End to end in a real browser: Playwright drives Debian's Chromium against the app on a loopback HTTP server
(fixtures: tests/browser_support.py)."""
from __future__ import annotations

import pytest

from tests.browser_support import ARTIFACTS, sign_in_page

pytestmark = pytest.mark.browser


def test_a_supervisor_reads_the_dashboard_and_changes_the_date_range(tab, server, database_url):
    sign_in_page(tab, server, "supervisor", "/dashboard")
    assert tab.url.startswith(f"{server}/dashboard")
    assert tab.locator("#figure-calls").inner_text() == "10"
    assert tab.locator("#figure-diversion").inner_text() == "37.5%"
    assert tab.locator("#table-top_schools tbody tr").first.locator("td").first.inner_text() == "Brook Academy"
    assert tab.locator("svg.chart").count() == 10
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"dashboard-{database_url.split(':')[0]}.png"), full_page=True)

    tab.get_by_label("From", exact=True).fill("2026-11-10")
    tab.get_by_label("To", exact=True).fill("2026-11-12")
    tab.get_by_label("In hours").check()
    tab.get_by_role("button", name="Update").click()
    tab.wait_for_url("**/dashboard?from=2026-11-10&to=2026-11-12&hours=in")
    assert tab.locator("#figure-calls").inner_text() == "4"
    assert tab.locator("#table-daily tbody tr").count() == 3


def test_staff_find_a_call_and_record_a_contacts_outcome(tab, server):
    sign_in_page(tab, server, "staffer")
    tab.get_by_label("Search by reference, school URN or school name").fill("400007")
    tab.get_by_role("button", name="Search").click()
    tab.get_by_role("link", name="400007").click()
    assert tab.locator("h1").inner_text() == "Reference 400007"
    tab.get_by_label("New status").select_option("decided")
    tab.get_by_label("Outcome").select_option("early_help")
    tab.get_by_label("Reason sent to the DSL").select_option("early_help")
    tab.get_by_label("Staff note").fill("Family agreed to support")
    tab.get_by_role("button", name="Save status").click()
    tab.wait_for_load_state()
    assert tab.locator("[role=status]").inner_text() == "Contact 400007 is now decided."
    assert tab.locator("#contact-status").inner_text() == "Decided: passed to Early Help"
    history = tab.locator("#history").inner_text()
    assert "early_help" in history and "Family agreed to support" in history
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "contact.png"), full_page=True)


def test_a_supervisor_downloads_the_calls_as_csv(tab, server, tmp_path):
    sign_in_page(tab, server, "supervisor", "/dashboard?from=2026-11-10&to=2026-11-24")
    with tab.expect_download() as info:
        tab.locator("#calls-csv").click()
    download = info.value
    assert download.suggested_filename == "mash-ivr-calls-2026-11-10-to-2026-11-24.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("Started (Europe/London),In hours,Route") and len(lines) == 11


def test_signing_out_in_the_browser_returns_to_the_sign_in_page(tab, server):
    sign_in_page(tab, server, "staffer")
    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url("**/login")
    tab.goto(f"{server}/calls")
    assert "/login" in tab.url
