"""The message inbox in a real browser (Chromium): play a message, assign it to a named colleague, mark it called
back (fixtures: tests/browser_support.py, and the recordings stand-in in tests/staff/conftest.py)."""
from __future__ import annotations

import pytest

from tests.browser_support import ARTIFACTS, sign_in_page
from tests.call_support import leave_message
from tests.conftest import TEST_ENV
from tests.staff_support import PLAYABLE, join_team

pytestmark = pytest.mark.browser


def test_staff_play_a_message_assign_it_and_mark_it_called_back(twilio_media, tab, server, app, twilio):
    recording = f"{twilio_media}/2010-04-01/Accounts/{TEST_ENV['TWILIO_ACCOUNT_SID']}/Recordings/{PLAYABLE}"
    leave_message(twilio, "2", recording_url=recording)  # in hours: the Infoline rang unanswered
    join_team(app, "staffer", "DSL_INFOLINE")
    sign_in_page(tab, server, "staffer", "/messages")
    row = tab.locator("#messages tbody tr").first
    assert row.locator("td").nth(1).inner_text() == "DSL Infoline"
    player = row.locator("audio")
    assert player.get_attribute("preload") == "none"
    audio = tab.request.get(server + player.get_attribute("src"))  # the browser's own session
    assert audio.status == 200 and audio.headers["content-type"] == "audio/mpeg" and audio.body() == b"ID3-fake-mp3"

    row.locator("a").first.click()
    tab.get_by_label("New state").select_option("assigned")
    tab.get_by_label("Assign to").select_option("staffer")
    tab.get_by_label("Staff note").fill("Ringing the DSL after lunch")
    tab.get_by_role("button", name="Save").click()
    tab.wait_for_load_state()
    assert tab.locator("[role=status]").inner_text().endswith("is now assigned to staffer.")
    tab.get_by_label("New state").select_option("called_back")
    tab.get_by_role("button", name="Save").click()
    tab.wait_for_load_state()
    assert tab.locator("#message-state").inner_text() == "Called back (staffer)"
    assert "Ringing the DSL after lunch" in tab.locator("#history").inner_text()

    tab.get_by_role("link", name="Back to the messages").click()
    tab.wait_for_load_state()
    assert tab.locator("#messages tbody tr").first.locator(".message-state").inner_text() == "Called back (staffer)"
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "messages.png"), full_page=True)
