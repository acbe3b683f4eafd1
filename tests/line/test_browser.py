"""The supervisor pages in a real browser (Playwright and Debian's Chromium): edit, preview, publish, roll back,
a closure and emergency mode, and axe-core's WCAG 2.2 AA checks on every page (fixtures: tests/browser_support.py)."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from routing.menu import DEFAULT_WORDING
from tests.browser_support import sign_in_page

pytestmark = pytest.mark.browser
NEW_OPTION2 = "Want advice from a colleague? Press 2 for the DSL Infoline."
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def publish_draft(tab, base: str, field: str, text: str) -> None:
    """Edit a new draft in the form, save it, and publish it from its preview."""
    tab.goto(f"{base}/menu")
    tab.get_by_role("link", name="New draft").click()
    tab.locator(f"#{field}").fill(text)
    tab.get_by_role("button", name="Save draft").click()
    tab.get_by_role("button", name="Publish version").click()
    tab.wait_for_url(f"{base}/menu")


def test_a_supervisor_edits_previews_publishes_and_rolls_back_the_menu(tab, server):
    sign_in_page(tab, server, "supervisor", "/menu")
    assert tab.locator("#playing").inner_text().startswith("the default wording")
    tab.get_by_role("link", name="New draft").click()
    tab.locator("#option2").fill(NEW_OPTION2)
    tab.get_by_label("Note (why it changed)").fill("a gentler option 2")
    tab.get_by_role("button", name="Save draft").click()
    tab.wait_for_url(f"{server}/menu/1")
    assert "Draft version 1 saved" in tab.get_by_role("status").inner_text()

    tab.get_by_label("Hear it as a caller would at").fill("2026-11-24T22:00")
    tab.get_by_role("button", name="Preview").click()
    tab.wait_for_url("**/menu/1?at=2026-11-24T22%3A00")
    sentences = tab.locator("#transcript li").all_inner_texts()
    assert sentences[:2] == [DEFAULT_WORDING.danger, DEFAULT_WORDING.option1_closed]
    assert tab.locator("#total").inner_text().endswith("(limit 40 s)")

    tab.get_by_role("button", name="Publish version 1").click()
    tab.wait_for_url(f"{server}/menu")
    assert tab.locator("#playing").inner_text() == "version 1"
    publish_draft(tab, server, "closing", "Thank you for choosing the right line.")
    assert tab.locator("#playing").inner_text() == "version 2"

    tab.get_by_role("link", name="Version 1", exact=True).click()
    assert NEW_OPTION2 in tab.locator("#transcript li").all_inner_texts()
    tab.get_by_role("button", name="Roll back to version 1").click()
    tab.wait_for_url(f"{server}/menu")
    assert "Rolled back" in tab.get_by_role("status").inner_text()
    assert tab.locator("#playing").inner_text() == "version 1"


def test_a_draft_breaking_a_rule_is_refused_in_the_browser_naming_it(tab, server):
    sign_in_page(tab, server, "supervisor", "/menu/new")
    tab.locator("#option1").fill("For urgent concerns, press 1.")
    tab.get_by_role("button", name="Save draft").click()
    assert "option 1 keeps 'press 1' and 'stay on the line'" in tab.get_by_role("alert").inner_text()
    assert tab.locator("#option1").input_value() == "For urgent concerns, press 1."


def test_a_supervisor_closes_the_infoline_and_turns_on_emergency_mode(tab, server):
    sign_in_page(tab, server, "supervisor", "/line")
    tab.get_by_label("Service").select_option("DSL_INFOLINE")
    tab.locator("#closure-from").fill("2026-11-24T09:00")
    tab.locator("#closure-to").fill("2026-11-24T17:00")
    tab.get_by_label("What callers hear").first.fill("The Infoline is closed today for training.")
    tab.get_by_role("button", name="Add closure").click()
    tab.wait_for_url(f"{server}/line")
    assert tab.locator("#closures tbody tr td").nth(3).inner_text() == "The Infoline is closed today for training."
    tab.get_by_role("button", name="Turn emergency mode on").click()
    tab.wait_for_url(f"{server}/line")
    assert tab.locator("#emergency-state").inner_text() == "on"


def axe_violations(tab) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page open in the tab."""
    results = Axe().run(tab, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} elements)" for v in results.response["violations"]]


def test_every_line_and_menu_page_has_no_wcag_22_aa_violations(tab, server):
    sign_in_page(tab, server, "supervisor", "/line")
    publish_draft(tab, server, "option2", NEW_OPTION2)
    tab.goto(f"{server}/menu/new")
    tab.locator("#option1").fill("For urgent concerns, press 1.")
    tab.get_by_role("button", name="Save draft").click()  # the refused draft, with its error summary
    pages = {"refused draft": None, "/line": "/line", "/menu": "/menu", "/menu/new": "/menu/new",
             "/menu/1": "/menu/1?at=2026-11-24T22:00"}
    found = {}
    for name, path in pages.items():
        if path:
            tab.goto(f"{server}{path}")
        found[name] = axe_violations(tab)
    assert found == {name: [] for name in pages}
