"""Real-browser fixtures: Playwright drives Debian's Chromium against the app on a loopback HTTP server.

Without Chromium the tests that use them skip with a message; with CI set they fail instead, so CI always runs them.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.staff_support import PASSWORD, add_user, seed_month

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def missing_browser() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    problem = missing_browser()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {problem}")
        pytest.skip(f"browser tests skipped: {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def server(app):
    """The app served by a real HTTP server on loopback, with the seeded month and two accounts."""
    engine = app.extensions["db_engine"]
    seed_month(engine)
    add_user(app, "supervisor", "supervisor")
    add_user(app, "staffer", "staff")
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def tab(browser, server):
    """A fresh browser context (its own cookies) with one page."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)  # a loaded 2-core machine is slow, never wrong
    yield page
    context.close()


def sign_in_page(page, base: str, username: str, path: str = "/") -> None:
    page.goto(f"{base}{path}")
    assert "/login" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
