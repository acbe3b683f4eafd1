"""The busy-line measures, on the dashboard and in /api/stats: callback requests and overflow to MASH."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from db.models import Message
from messages.states import save_state
from staff.cli import tokens_group
from tests.call_support import RECORDING, press, start
from tests.staff_support import page, signed_in_client, table_rows

DAY = "from=2026-11-24&to=2026-11-24"


def busy(twilio, sid: str, key: str, then: str | None, status: str = "no-answer"):
    """A call that chooses the Infoline (2) or Early Help (3), skips the school, finds it unanswered, presses `then`."""
    ids = {"call_sid": "CA" + sid * 32}
    chosen = press(twilio, press(twilio, start(twilio, **ids), key, **ids), "*", **ids)
    offer = press(twilio, chosen, DialCallStatus=status, **ids)
    return press(twilio, offer, then, **ids) if then else offer, ids


@pytest.fixture
def busy_day(twilio, engine, clock):
    busy(twilio, "a", "2", "1")  # went on to MASH
    confirm, ids = busy(twilio, "b", "2", "2")
    press(twilio, confirm, "1", **ids)  # a callback request, called back 30 minutes later
    confirm, ids = busy(twilio, "c", "3", "2")
    press(twilio, confirm, "1", **ids)  # a callback request not yet called back
    busy(twilio, "d", "2", None, status="completed")  # answered: not a busy line
    tone, ids = busy(twilio, "e", "2", "3")
    press(twilio, tone, RecordingUrl=RECORDING, **ids)  # a message
    press(twilio, start(twilio, call_sid="CA" + "f" * 32), "1", call_sid="CA" + "f" * 32)  # MASH chosen at once
    with Session(engine) as session:
        first = session.exec(select(Message).order_by(Message.id)).first()
        save_state(session, first.id, "called_back", actor="sam", now=clock.now + timedelta(minutes=30))


def test_the_api_gives_callback_requests_and_overflow_to_mash(app, busy_day):
    token = app.test_cli_runner().invoke(tokens_group, ["create", "bi"]).stdout.split(": ", 1)[1].strip()
    stats = app.test_client().get(f"/api/stats?{DAY}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert stats["callback_requests"] == {"requests": 2, "called_back": 1, "median_seconds_to_call_back": 1800}
    assert stats["overflow_to_mash"] == {"calls": 1, "unanswered": 4, "share": 0.25}
    assert stats["messages"]["messages"] == 1  # the message left; callback requests are counted apart


def test_the_dashboard_shows_the_same_measures(app, busy_day):
    doc = page(signed_in_client(app, "supervisor").get(f"/dashboard?{DAY}"))
    rows = table_rows(doc, "table-busy_lines")
    assert rows[0][:2] == ["Callback requests", "2"]
    assert rows[1][:4] == ["Called back", "1", "2", "50.0%"] and rows[1][4] != "–"
    assert rows[2][:4] == ["Unanswered Infoline or Early Help calls that went on to MASH or EDT", "1", "4", "25.0%"]


def test_a_caller_sent_on_to_mash_whose_mash_leg_ends_in_an_urgent_message_still_counts_as_overflow(twilio, app):
    on_to_mash, ids = busy(twilio, "a", "2", "1")
    unanswered = press(twilio, press(twilio, on_to_mash, DialCallStatus="no-answer", **ids), DialCallStatus="no-answer",
                       **ids)
    assert "Record" in [verb.tag for verb in unanswered]  # MASH did not answer twice: the urgent message
    press(twilio, unanswered, RecordingUrl=RECORDING, **ids)
    busy(twilio, "b", "2", "3")  # a busy-line caller who stayed with the Infoline
    token = app.test_cli_runner().invoke(tokens_group, ["create", "bi"]).stdout.split(": ", 1)[1].strip()
    stats = app.test_client().get(f"/api/stats?{DAY}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert stats["overflow_to_mash"] == {"calls": 1, "unanswered": 2, "share": 0.5}
