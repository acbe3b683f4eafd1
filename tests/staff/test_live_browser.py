"""The live page in Chromium: a call routed through one gunicorn worker shows within 2 s on a page served by
either of two, and while the rows cannot be read the page keeps them and says it is reconnecting."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from playwright.sync_api import expect
from sqlmodel import Session, select

from db.models import Call, Contact
from db.session import make_engine
from tests.browser_support import ARTIFACTS, sign_in_page
from tests.call_support import press, start
from tests.callback_support import SCHOOL_URN, SWITCHBOARD, add_school
from tests.conftest import TEST_ENV
from tests.processes import ROOT, base_url, loopback_socket, start_gunicorn
from tests.staff_support import PASSWORD
from tests.twilio_client import call_params, next_url, parse_twiml, sign

pytestmark = pytest.mark.browser

IVR = str(Path(sys.executable).with_name("ivr"))
SLOW_START_S = 120  # a loaded 2-core machine can take this long to start gunicorn and import the app
APPEARS_WITHIN_MS = 2000  # the contract: the row shows within 2 s of the transfer starting


def reference_of(engine, call_sid: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Contact.reference).join(Call, Call.id == Contact.call_id)
                            .where(Call.call_sid == call_sid)).one()


def post_signed(base: str, path: str, params: dict):
    """POST a webhook to gunicorn signed as Twilio signs it for the public URL (the gunicorn URL here)."""
    url = urljoin(base, path)
    reply = requests.post(url, data=params, headers={"X-Twilio-Signature": sign(TEST_ENV["TWILIO_AUTH_TOKEN"], url,
                                                                                  params)}, timeout=SLOW_START_S)
    assert reply.status_code == 200, reply.text[:300]
    return parse_twiml(reply.content)


@pytest.fixture
def gunicorn(tmp_path):
    """`gunicorn --workers 2` on a migrated SQLite file with a staff account; yields (URL, engine)."""
    database_url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    sock = loopback_socket()
    base = base_url(sock)
    env = {k: v for k, v in os.environ.items() if k not in TEST_ENV and k != "DATABASE_URL"}
    env.update(TEST_ENV, DATABASE_URL=database_url, PUBLIC_BASE_URL=base, OPENING_HOURS="always")
    for args, given in ((["db", "upgrade"], None), (["users", "add", "staffer", "--role", "staff", "--password-stdin"],
                                                     PASSWORD + "\n")):
        subprocess.run([IVR, *args], env=env, cwd=ROOT, input=given, text=True, check=True, capture_output=True,
                       timeout=SLOW_START_S)
    log = tmp_path / "gunicorn.log"
    proc = start_gunicorn(sock, env, "--workers", "2", "ivr.wsgi:app", output=log.open("wb"))
    engine = make_engine(database_url)
    try:
        deadline = time.monotonic() + SLOW_START_S
        while requests.get(base + "/health/live", timeout=SLOW_START_S).status_code != 200:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
            time.sleep(0.2)
        yield base, engine
    finally:
        proc.terminate()
        proc.wait(30)
        sock.close()
        engine.dispose()


@pytest.mark.slow
def test_a_call_routed_through_gunicorn_appears_on_the_open_live_page_within_2_seconds(browser, gunicorn):
    base, engine = gunicorn
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    try:
        sign_in_page(tab, base, "staffer", "/live")
        assert tab.url == f"{base}/live"
        expect(tab.locator("#live-calls tbody")).to_have_text("No calls are being put through right now.")
        sid = "CA" + "7" * 32
        greeting = post_signed(base, "/voice/incoming", call_params(call_sid=sid))
        post_signed(base, next_url(greeting), call_params(call_sid=sid, Digits="1"))
        # Timed from the moment the transfer's TwiML came back: the page must not be reloaded.
        expect(tab.locator("#live-calls .live__reference")).to_be_visible(timeout=APPEARS_WITHIN_MS)
        expect(tab.locator("#live-calls .live__reference")).to_have_text(reference_of(engine, sid))
        expect(tab.locator("#live-calls tbody tr td").nth(1)).to_have_text("MASH")
        expect(tab.locator("#live-note")).to_be_hidden()
    finally:
        context.close()


def test_while_the_rows_cannot_be_read_the_page_keeps_them_and_says_it_is_reconnecting(tab, server, twilio,
                                                                                      engine):
    with Session(engine) as session:
        add_school(session)
    press(twilio, start(twilio, caller=SWITCHBOARD), "1", caller=SWITCHBOARD)
    reference = reference_of(engine, call_params()["CallSid"])
    sign_in_page(tab, server, "staffer", "/live")
    row = tab.locator("#live-calls tbody tr", has_text=reference)
    expect(row).to_contain_text(f"School {SCHOOL_URN}")
    note = tab.locator("#live-note")
    expect(note).to_be_hidden()

    tab.route("**/live/calls.json*", lambda route: route.fulfill(
        status=503, content_type="application/json", body='{"error": "The live calls cannot be read just now."}'))
    expect(note).to_be_visible(timeout=5000)
    expect(note).to_have_attribute("role", "status")
    expect(note).to_contain_text("Reconnecting")
    expect(row).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "live-reconnecting.png"), full_page=True)

    tab.unroute("**/live/calls.json*")
    expect(note).to_be_hidden(timeout=5000)
    expect(row).to_contain_text(f"School {SCHOOL_URN}")


def test_a_network_failure_shows_the_note_too_and_an_empty_list_redraws_as_empty(tab, server, twilio, engine):
    press(twilio, start(twilio), "1")
    sign_in_page(tab, server, "staffer", "/live")
    expect(tab.locator("#live-calls .live__reference")).to_be_visible()
    tab.route("**/live/calls.json*", lambda route: route.abort("connectionrefused"))
    expect(tab.locator("#live-note")).to_be_visible(timeout=5000)
    expect(tab.locator("#live-calls .live__reference")).to_be_visible()
    tab.unroute("**/live/calls.json*")
    tab.route("**/live/calls.json*", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                body='{"calls": []}'))
    expect(tab.locator("#live-calls tbody")).to_have_text("No calls are being put through right now.", timeout=5000)
    expect(tab.locator("#live-note")).to_be_hidden()
