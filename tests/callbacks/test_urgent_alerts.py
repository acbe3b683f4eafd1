"""Urgent alerts: an urgent message (or an unanswered fail-safe call) rings the duty numbers in order until one
presses 1 or staff close the message; a failed, busy or machine-answered call rings the next number at once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from callbacks import alarm, outbox
from callbacks.messages import Alert, alert_sms_text, alert_voice_text
from db.alerts import save_acknowledgement
from db.models import AuditEvent, Call, Callback, Message
from db.outbox import save_change
from messages.states import save_state
from tests.call_support import RECORDING, leave_urgent_message, press
from tests.callback_support import send
from tests.conftest import IN_HOURS, OUT_OF_HOURS
from staff.cli import tokens_group
from tests.staff_support import page, signed_in_client, table_rows
from tests.twilio_client import call_params, said

pytestmark = pytest.mark.twilio_stand_in

FIRST, SECOND = "+442079460501", "+442079460502"
NIGHT = "+442079460509"
DUTY_MOBILE = "+447400123456"


@pytest.fixture
def settings_env(settings_env):
    return dict(settings_env, DUTY_NUMBERS=f"{FIRST}, {SECOND}", EDT_DUTY_NUMBERS=NIGHT, ALERT_ESCALATE_AFTER="300")


def alert_rows(engine) -> list[Callback]:
    with Session(engine) as session:
        return list(session.exec(select(Callback).where(Callback.kind == "urgent_alert")
                                 .order_by(Callback.alert_step, Callback.id)))


def the_call(engine) -> Call:
    with Session(engine) as session:
        return session.exec(select(Call)).one()


def rung(live) -> list[str]:
    return [call["to"] for call in live.stand_in.log()["calls"]]


def escalate(app, engine, now) -> int:
    with Session(engine, expire_on_commit=False) as session:
        return alarm.escalate(session, app.config["SETTINGS"], now)


def placed(engine, at) -> None:
    """The steps waiting are rung now and ring on (as a worker leaves them until the status callback)."""
    with Session(engine) as session:
        for row in session.exec(select(Callback).where(Callback.state == "scheduled")):
            row.state, row.claimed_at, row.twilio_sid = "sent", at, f"CA{row.id:032d}"
        session.commit()


def test_an_urgent_message_queues_a_call_to_the_first_duty_number_due_at_once(twilio, engine, clock):
    leave_urgent_message(twilio)
    [row] = alert_rows(engine)
    assert (row.channel, row.to_number, row.alert_step, row.state, row.due_at) == ("voice", FIRST, 0, "scheduled",
                                                                                   clock.now)
    assert row.call_id == the_call(engine).id and row.contact_id is None
    assert row.body.startswith("Urgent message for MASH from 0 2 0, 7 9 4 6, 0 9 9 9, left at 10:00 am.")
    assert row.body.endswith("Press 1 to accept it.")


def test_out_of_hours_the_alert_rings_the_edt_duty_numbers(twilio, engine, clock):
    clock.now = OUT_OF_HOURS
    leave_urgent_message(twilio)
    assert [row.to_number for row in alert_rows(engine)] == [NIGHT]


def test_a_non_urgent_message_raises_no_alert(twilio, engine, clock):
    clock.now = OUT_OF_HOURS
    doc = press(twilio, press(twilio, twilio.twiml("/voice/incoming", call_params()), "2"), "*")
    press(twilio, doc, RecordingUrl=RECORDING)
    assert engine and alert_rows(engine) == []


def test_pressing_1_accepts_the_alert_with_the_number_audited_and_no_one_else_is_rung(twilio, app, engine, live,
                                                                                       clock):
    leave_urgent_message(twilio)
    assert send(app, live) == 1  # the stand-in's person presses 1
    call = the_call(engine)
    assert (call.alert_acknowledged_by, call.alert_acknowledged_at) == (FIRST, clock.now)
    with Session(engine) as session:
        [audit] = session.exec(select(AuditEvent).where(AuditEvent.action == "alert_acknowledged")).all()
    assert audit.actor == FIRST
    assert [(r.state, r.last_status) for r in alert_rows(engine)] == [
        ("delivered", "completed (human), accepted: the duty number pressed 1")]
    clock.now += timedelta(hours=1)
    assert escalate(app, engine, clock.now) == 0 and send(app, live) == 0
    assert rung(live) == [FIRST]


def test_with_no_press_the_next_number_is_rung_after_the_delay_then_the_list_again(twilio, app, engine, clock):
    leave_urgent_message(twilio)
    start = clock.now
    assert escalate(app, engine, start + timedelta(hours=1)) == 0, "a step not yet rung waits for its call"
    placed(engine, start)
    assert escalate(app, engine, start + timedelta(seconds=299)) == 0
    assert escalate(app, engine, start + timedelta(seconds=300)) == 1
    placed(engine, start + timedelta(seconds=300))
    assert escalate(app, engine, start + timedelta(seconds=600)) == 1
    rows = alert_rows(engine)
    assert [(r.alert_step, r.to_number) for r in rows] == [(0, FIRST), (1, SECOND), (2, FIRST)]
    assert [r.state for r in rows] == ["sent", "sent", "scheduled"]


def test_a_step_superseded_before_it_was_sent_is_cancelled(twilio, app, engine, clock):
    leave_urgent_message(twilio)
    with Session(engine, expire_on_commit=False) as session:
        alarm.queue_step(session, the_call(engine).id, 1, app.config["SETTINGS"], clock.now)
        session.commit()
    assert [(r.to_number, r.state) for r in alert_rows(engine)] == [(FIRST, "cancelled"), (SECOND, "scheduled")]


@pytest.mark.parametrize("answer", ["busy", "no-answer", "failed", "machine", "human-silent"])
def test_a_failed_busy_unanswered_machine_or_unaccepted_call_rings_the_next_number_at_once(twilio, app, engine, live,
                                                                                           answer):
    live.stand_in.script(FIRST, answer)
    leave_urgent_message(twilio)
    send(app, live)  # the first call fails; the second is queued on the next run, not after the delay
    send(app, live)
    assert rung(live) == [FIRST, SECOND]
    first, second = alert_rows(engine)
    assert first.state == "failed" and second.state == "delivered"
    assert the_call(engine).alert_acknowledged_by == SECOND


def test_a_silent_duty_number_is_told_the_next_number_will_be_called(twilio, app, engine, live):
    live.stand_in.script(FIRST, "human-silent")
    leave_urgent_message(twilio)
    send(app, live)
    # The same run may already ring the next number (it is due at once), so look at the first call only.
    first = live.stand_in.log()["calls"][0]
    assert first["to"] == FIRST and "Not accepted. We will call the next number." in " ".join(first["said"])


def test_closing_the_message_stops_the_alert(twilio, app, engine, live, clock):
    leave_urgent_message(twilio)
    with Session(engine) as session:
        message = session.exec(select(Message)).one()
        save_state(session, message.id, "closed", actor="sam", now=clock.now)
    assert [r.state for r in alert_rows(engine)] == ["cancelled"]
    clock.now += timedelta(hours=1)
    assert escalate(app, engine, clock.now) == 0 and send(app, live) == 0 and rung(live) == []


def test_an_alert_step_queued_before_its_message_closed_is_not_sent(twilio, app, engine, live, clock):
    leave_urgent_message(twilio)
    with Session(engine) as session:
        session.exec(select(Message)).one().state = "closed"  # closed behind the planner's back
        session.commit()
    assert send(app, live) == 0 and rung(live) == []
    assert alert_rows(engine)[0].last_error == "Not sent: the alert was accepted or its message closed."


def test_the_alert_call_s_twiml_says_who_and_when_and_gathers_one_key_for_the_signed_ack_route(twilio, engine):
    leave_urgent_message(twilio)
    [row] = alert_rows(engine)
    doc = twilio.twiml(f"/voice/alert/{row.id}?attempt=1", call_params(Direction="outbound-api", AnsweredBy="human"))
    [gather] = doc.iter("Gather")
    assert gather.get("numDigits") == "1" and gather.get("action") == f"/voice/alert/{row.id}/ack?attempt=1"
    assert said(doc).startswith("Urgent message for MASH from")
    machine = twilio.twiml(f"/voice/alert/{row.id}", call_params(AnsweredBy="machine_end_beep"))
    assert said(machine) == "" and machine.find("Hangup") is not None  # a machine is not told it
    assert twilio.post(f"/voice/alert/{row.id}/ack", {"Digits": "1"}, signed=False).status_code == 403
    assert the_call(engine).alert_acknowledged_at is None


def test_a_duty_mobile_is_texted_too_and_an_alert_never_carries_more_than_school_time_and_reference():
    alert = Alert("MASH", "Abbey Primary School", "+442079460999", IN_HOURS + timedelta(hours=12, minutes=42),
                  reference="123456")
    assert alert_voice_text(alert) == ("Urgent message for MASH from Abbey Primary School, left at 10:42 pm. "
                                       "Reference 1 2 3 4 5 6. Press 1 to accept it.")
    assert alert_sms_text(alert).startswith("Warwickshire MASH: Urgent message for MASH from Abbey Primary School, "
                                            "left at 10:42 pm. Reference 123456.")
    rows = alarm.step_rows(7, 3, (FIRST, DUTY_MOBILE), alert, IN_HOURS)
    assert [(r.channel, r.to_number, r.dedupe_key) for r in rows] == [
        ("voice", DUTY_MOBILE, "alert:7:3:voice"), ("sms", DUTY_MOBILE, "alert:7:3:sms")]


def test_the_message_page_shows_who_accepted_the_alert_and_when(twilio, app, engine, live):
    leave_urgent_message(twilio)
    with Session(engine) as session:
        message_id = session.exec(select(Message)).one().id
    client = signed_in_client(app, "supervisor")
    assert "Not accepted yet" in page(client.get(f"/messages/{message_id}")).xpath("string(//*[@id='message-alert'])")
    send(app, live)
    shown = page(client.get(f"/messages/{message_id}")).xpath("string(//*[@id='message-alert'])")
    assert shown.startswith("Accepted by 020 7946 0501 at ")


def test_api_stats_counts_urgent_alerts_raised_accepted_and_the_median_time_to_accept(twilio, app, engine, live, clock):
    leave_urgent_message(twilio)
    clock.now += timedelta(seconds=90)  # the duty number accepts a minute and a half after the message
    send(app, live)
    dashboard = page(signed_in_client(app, "supervisor").get("/dashboard"))
    assert table_rows(dashboard, "table-urgent_alerts") == [["1", "1", "1 min 30 s"]]
    token = app.test_cli_runner().invoke(tokens_group, ["create", "alerts"]).stdout.split(": ", 1)[1].strip()
    stats = app.test_client().get("/api/stats", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert stats["urgent_alerts"] == {"alerts": 1, "acknowledged": 1, "median_seconds_to_acknowledge": 90.0}


def test_an_acceptance_landing_between_a_workers_read_and_write_is_not_overwritten(twilio, engine, clock):
    leave_urgent_message(twilio)
    [row] = alert_rows(engine)
    with Session(engine) as session:
        session.get(Callback, row.id).state, session.get(Callback, row.id).claimed_by = "sending", "w1"
        session.commit()

    def accepted_meanwhile(current):
        """The worker has read the row; the duty number presses 1 before it writes 'sent'."""
        with Session(engine) as other:
            save_acknowledgement(other, row, outbox.ACCEPTED, clock.now)
            other.commit()
        return outbox.sent("w1", "CA" + "9" * 32, clock.now)(current)

    with Session(engine) as session:
        save_change(session, row.id, accepted_meanwhile)
    [after] = alert_rows(engine)
    assert (after.state, after.last_status) == ("sent", outbox.ACCEPTED)
