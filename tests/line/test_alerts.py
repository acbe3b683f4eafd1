"""Urgent alerts follow the line's settings: when a supervisor closes MASH, or changes its hours, the alert rings
the Emergency Duty Team's duty numbers, as the caller was sent to EDT, in the webhook and in the worker alike."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from callbacks import alarm
from callbacks.worker import Worker
from db.models import Callback
from line.changes import add_closure, set_hours
from tests.call_support import leave_urgent_message
from tests.line_support import change_line

pytestmark = pytest.mark.twilio_stand_in

DAY, SECOND, NIGHT = "+442079460501", "+442079460502", "+442079460509"


@pytest.fixture
def settings_env(settings_env):
    return dict(settings_env, DUTY_NUMBERS=f"{DAY}, {SECOND}", EDT_DUTY_NUMBERS=NIGHT, ALERT_ESCALATE_AFTER="300")


def alerts_to(engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(Callback).where(Callback.kind == "urgent_alert")
                            .order_by(Callback.alert_step, Callback.id))
        return [row.to_number for row in rows]


def test_during_a_closure_of_mash_an_urgent_message_rings_the_edt_duty_number(app, twilio, engine, clock):
    change_line(app, add_closure, "MASH", clock.now - timedelta(hours=1), clock.now + timedelta(hours=1),
                "MASH is closed for a briefing.")
    leave_urgent_message(twilio)
    assert alerts_to(engine) == [NIGHT]


def test_the_worker_escalates_to_the_edt_list_once_a_supervisor_closes_mash(app, twilio, engine, clock, live):
    leave_urgent_message(twilio)
    assert alerts_to(engine) == [DAY]
    change_line(app, set_hours, "MASH", "never")
    with Session(engine) as session:
        row = session.exec(select(Callback).where(Callback.kind == "urgent_alert")).one()
        row.state, row.claimed_at, row.twilio_sid = "sent", clock.now, f"CA{row.id:032d}"
        session.commit()
    clock.now += timedelta(seconds=301)  # unaccepted past ALERT_ESCALATE_AFTER
    worker = Worker(app)
    with Session(engine, expire_on_commit=False) as session:
        alarm.escalate(session, worker.settings, clock.now)
    assert alerts_to(engine) == [DAY, NIGHT]
