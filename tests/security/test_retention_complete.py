"""Attack surface: past RETENTION_DAYS numbers, message texts, reasons and Twilio's own copies were still there."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlmodel import Session, select

from callbacks.retention import retention_group, run_retention
from callbacks.worker import Worker
from contacts.states import save_status
from db.models import Call, Callback, Contact, ContactEvent
from tests.callback_support import MOBILE, add_school
from tests.conftest import IN_HOURS, TEST_ENV
from tests.twilio_client import TwilioClient, call_params

pytestmark = pytest.mark.twilio_stand_in

LATER = IN_HOURS + timedelta(days=800)  # the audit ran retention this far in the future
NOTE = "Jane Doe aged 7"


@pytest.fixture
def history(app, engine, twilio_for_live, clock, live):
    """A MASH call from a mobile, its contact decided with a staff note, and the texts sent through Twilio."""
    with Session(engine, expire_on_commit=False) as session:
        add_school(session, numbers={MOBILE: "dsl"})
    twilio_for_live.twiml("/voice/incoming", call_params(caller=MOBILE))
    twilio_for_live.twiml("/voice/menu?attempt=1", call_params(caller=MOBILE, Digits="1"))
    twilio_for_live.post("/voice/status", call_params(caller=MOBILE, CallStatus="completed", CallDuration="60"))
    with Session(engine) as session:
        contact = session.exec(select(Contact)).one()
        save_status(session, contact.reference, "decided", outcome="no_further_action", reason_code="school_support",
                    note=NOTE, actor="Sam Staff", settings=app.config["SETTINGS"], now=IN_HOURS)
    Worker(app).send_due()
    assert live.stand_in.wait_idle(30)
    with Session(engine) as session:
        sent = [c.twilio_sid for c in session.exec(select(Callback))]
    assert len(sent) == 2 and all(sent)
    return sent


@pytest.fixture
def twilio_for_live(app, loopback):
    """Inbound webhooks signed for the loopback URL the app believes it is public at."""
    return TwilioClient(app.test_client(), TEST_ENV["TWILIO_AUTH_TOKEN"], loopback.app_url)


def test_eight_hundred_days_on_nothing_personal_is_left_here_or_at_twilio(app, engine, history, live):
    result = run_retention(engine, app.config["SETTINGS"], LATER)
    assert result["kept_for_retry"] == 0
    with Session(engine) as session:
        call = session.exec(select(Call)).one()
        contact = session.exec(select(Contact)).one()
        callbacks = session.exec(select(Callback)).all()
        events = session.exec(select(ContactEvent)).all()
    assert call.caller is None and call.twilio_log_deleted
    assert contact.caller is None and contact.reason is None and contact.outcome == "no_further_action"
    assert all(event.reason is None for event in events)
    assert all((c.to_number, c.body, c.last_error, c.twilio_sid) == ("", "", None, None) for c in callbacks)
    deleted = live.stand_in.log()["deleted"]
    assert set(history) <= set(deleted) and call.call_sid in deleted  # texts, and the answered call's own log


def test_a_dry_run_counts_and_changes_nothing(app, engine, history, live, clock):
    clock.now = LATER
    result = CliRunner().invoke(retention_group, ["run", "--dry-run"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert "twilio messages and calls deleted: 2" in result.output and "contacts anonymised: 1" in result.output
    assert "callbacks anonymised: 2" in result.output and "contact notes cleared: 1" in result.output
    assert live.stand_in.log()["deleted"] == []
    with Session(engine) as session:
        assert session.exec(select(Contact)).one().reason == NOTE


def test_what_twilio_refuses_to_delete_is_kept_reported_and_tried_again(app, engine, history, live, clock):
    broken = replace(app.config["SETTINGS"], twilio_auth_token="rotated")
    first = run_retention(engine, broken, LATER)
    assert first["kept_for_retry"] == 3  # two texts and the call log: Twilio said 401
    clock.now = LATER
    result = CliRunner().invoke(retention_group, ["run"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output  # the next run, with the right token, finishes the job
    assert "kept for retry: 0" in result.output and len(live.stand_in.log()["deleted"]) == 3
