"""No urgent alert is lost: the worker rings for any urgent message or unanswered fail-safe call left without a first
step, judges a fail-safe call only once its dial status has landed, and one alert that fails never stops another."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from callbacks import alarm
from db.models import Call, Callback, Message
from db.outbox import claim_due
from messages.states import save_state
from staff.cli import tokens_group
from tests.call_support import RECORDING, leave_urgent_message
from tests.twilio_client import call_params, said

pytestmark = pytest.mark.twilio_stand_in

FIRST = "+442079460501"


@pytest.fixture
def settings_env(settings_env):
    return dict(settings_env, DUTY_NUMBERS=FIRST, ALERT_ESCALATE_AFTER="300")


@contextmanager
def refusing_inserts(engine, table: str, condition: str):
    """The database refuses rows of `table` meeting `condition` (say, a full disk), as a real fault would."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} WHEN {condition} "
                                 "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:
            conn.exec_driver_sql(f"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                 f"IF {condition} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$")
            conn.exec_driver_sql(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW "
                                 f"EXECUTE FUNCTION refuse_{table}()")
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TRIGGER refuse_{table}" + ("" if engine.dialect.name == "sqlite"
                                                                    else f" ON {table}"))
            if engine.dialect.name != "sqlite":
                conn.exec_driver_sql(f"DROP FUNCTION refuse_{table}()")


def alert_rows(engine) -> list[Callback]:
    with Session(engine) as session:
        return list(session.exec(select(Callback).where(Callback.kind == "urgent_alert", Callback.channel == "voice")
                                 .order_by(Callback.call_id, Callback.alert_step)))


def sweep(app, engine, now) -> int:
    with Session(engine, expire_on_commit=False) as session:
        return alarm.raise_missed(session, app.config["SETTINGS"], now)


def failsafe_call(engine, clock, transfer: str | None, route: str = "MASH", in_hours: bool = True) -> None:
    with Session(engine) as session:
        session.add(Call(call_sid=call_params()["CallSid"], caller="+442079460999", started_at=clock.now,
                         failsafe=True, route=route, transfer_status=transfer, in_hours=in_hours))
        session.commit()


def test_an_urgent_message_whose_inbox_entry_cannot_be_written_still_rings_the_duty_number(twilio, engine):
    with refusing_inserts(engine, "message", "NEW.call_id > 0"):
        goodbye = leave_urgent_message(twilio)
    assert "passed to MASH as urgent" in said(goodbye)
    assert [verb.tag for verb in goodbye] == ["Say", "Hangup"]  # the goodbye, not the fail-safe's transfer
    with Session(engine) as session:
        assert session.exec(select(Message)).all() == []
    [row] = alert_rows(engine)
    assert (row.alert_step, row.to_number, row.state) == (0, FIRST, "scheduled")


def test_an_urgent_message_the_webhook_could_not_alert_for_is_rung_by_the_worker_s_next_sweep(twilio, app, engine,
                                                                                              clock):
    with refusing_inserts(engine, "callback", "NEW.kind = 'urgent_alert'"):
        leave_urgent_message(twilio)
        assert alert_rows(engine) == []
    with Session(engine) as session:  # the failed alert costs the call nothing it had saved
        call = session.exec(select(Call)).one()
        assert call.urgent_flag and call.recording_url == RECORDING
    with refusing_inserts(engine, "callback", "NEW.kind = 'urgent_alert'"):
        assert sweep(app, engine, clock.now) == 0, "while the fault lasts, nothing is queued and nothing breaks"
    assert sweep(app, engine, clock.now + timedelta(seconds=2)) == 1
    assert sweep(app, engine, clock.now + timedelta(seconds=4)) == 0, "once"
    [row] = alert_rows(engine)
    assert row.body.startswith("Urgent message for MASH from")


def test_one_alert_that_cannot_be_queued_does_not_stop_the_others(twilio, app, engine, clock):
    with refusing_inserts(engine, "callback", "NEW.kind = 'urgent_alert'"):
        leave_urgent_message(twilio, "CA" + "1" * 32)
        leave_urgent_message(twilio, "CA" + "2" * 32)
    with Session(engine) as session:
        first, second = session.exec(select(Call.id).order_by(Call.id)).all()
    with refusing_inserts(engine, "callback", f"NEW.call_id = {first}"):
        assert sweep(app, engine, clock.now) == 1
    assert [row.call_id for row in alert_rows(engine)] == [second]
    assert sweep(app, engine, clock.now) == 1
    assert [row.call_id for row in alert_rows(engine)] == [first, second]


@pytest.mark.parametrize("transfer, alerts", [("no-answer", 1), ("busy", 1), (None, 1), ("completed", 0),
                                              ("answered", 0)])
def test_a_failsafe_call_over_with_no_service_answering_rings_once_its_dial_status_has_settled(
        twilio, app, engine, clock, transfer, alerts):
    failsafe_call(engine, clock, transfer)
    for _ in range(2):  # Twilio may repeat the status callback
        twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="40"))
    assert alert_rows(engine) == [] and sweep(app, engine, clock.now + timedelta(seconds=4)) == 0
    assert sweep(app, engine, clock.now + alarm.FAILSAFE_SETTLE) == alerts
    assert sweep(app, engine, clock.now + timedelta(minutes=1)) == 0
    rows = alert_rows(engine)
    assert len(rows) == alerts
    if alerts:
        assert rows[0].body.startswith("Urgent call for MASH from 0 2 0, 7 9 4 6, 0 9 9 9 at 10:00 am: no one answered")


def test_a_failsafe_transfer_answered_but_saved_after_the_call_ended_raises_no_false_alarm(twilio, app, engine,
                                                                                          clock):
    failsafe_call(engine, clock, None)
    twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="40"))
    with Session(engine) as session:  # the fail-safe's background recorder lands its dial status a second later
        session.exec(select(Call)).one().transfer_status = "completed"
        session.commit()
    assert sweep(app, engine, clock.now + alarm.FAILSAFE_SETTLE) == 0 and alert_rows(engine) == []


def test_an_urgent_call_older_than_a_day_is_left_in_the_inbox_without_ringing(twilio, app, engine, clock):
    with refusing_inserts(engine, "callback", "NEW.kind = 'urgent_alert'"):
        leave_urgent_message(twilio)
    assert sweep(app, engine, clock.now + alarm.SWEEP_WINDOW + timedelta(seconds=1)) == 0


def test_an_alert_due_behind_a_backlog_of_texts_is_claimed_first(app, engine, clock):
    with Session(engine) as session:
        call = Call(call_sid="CA" + "3" * 32, caller="+442079460999", started_at=clock.now)
        session.add(call)
        session.flush()
        for n in range(12):
            session.add(Callback(call_id=call.id, kind="reference", channel="sms", to_number="+447700900123",
                                 body="text", due_at=clock.now - timedelta(hours=1), dedupe_key=f"backlog:{n}",
                                 created_at=clock.now, updated_at=clock.now))
        session.add(Callback(call_id=call.id, kind="urgent_alert", channel="voice", alert_step=0, to_number=FIRST,
                             body="alert", due_at=clock.now, dedupe_key="alert", created_at=clock.now,
                             updated_at=clock.now))
        session.commit()
    [claimed] = claim_due(engine, "w1", clock.now, limit=1, lease=timedelta(minutes=5))
    with Session(engine) as session:
        assert session.get(Callback, claimed).kind == "urgent_alert"



def test_a_failsafe_call_no_one_answered_lands_in_the_inbox_as_an_urgent_call_back_and_closing_it_stops_the_alert(
        twilio, app, engine, clock):
    failsafe_call(engine, clock, "no-answer")
    twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="40"))
    assert sweep(app, engine, clock.now + alarm.FAILSAFE_SETTLE) == 1
    with Session(engine) as session:
        entry = session.exec(select(Message)).one()
    assert (entry.service, entry.kind, entry.urgent, entry.callback_number, entry.state) == (
        "MASH", "callback_request", True, "+442079460999", "new")
    with Session(engine) as session:
        save_state(session, entry.id, "closed", note="Rang the school back", actor="sam",
                   now=clock.now + timedelta(minutes=1))
    with Session(engine, expire_on_commit=False) as session:
        assert alarm.escalate(session, app.config["SETTINGS"], clock.now + timedelta(hours=1)) == 0
    assert [row.state for row in alert_rows(engine)] == ["cancelled"]
    token = app.test_cli_runner().invoke(tokens_group, ["create", "bi"]).stdout.split(": ", 1)[1].strip()
    stats = app.test_client().get("/api/stats", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert stats["callback_requests"]["requests"] == 0, "a busy line's measure, not the fail-safe's"


@pytest.mark.parametrize("route, in_hours, line", [("VOICEMAIL", True, "MASH"), ("STATUS_CHECK", True, "MASH"),
                                                   ("DSL_INFOLINE", True, "MASH"), ("VOICEMAIL", False, "EDT"),
                                                   ("EDT", False, "EDT")])
def test_a_failsafe_call_that_failed_at_any_step_lands_in_the_urgent_line_s_inbox_a_team_sees(
        twilio, app, engine, clock, route, in_hours, line):
    failsafe_call(engine, clock, "no-answer", route, in_hours)
    twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="40"))
    assert sweep(app, engine, clock.now + alarm.FAILSAFE_SETTLE) == 1
    with Session(engine) as session:
        assert session.exec(select(Message.service)).one() == line
    assert alert_rows(engine)[0].body.startswith(f"Urgent call for {'MASH' if line == 'MASH' else 'the Emergency'}")
