"""The message inbox: every recorded message lands in its service's inbox once; staff move it forward only."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from db.models import AuditEvent, Message, MessageEvent, Route
from db.retention import save_anonymised
from messages.cli import messages_group
from messages.inbox import age, chosen_services, chosen_states
from messages.states import MessageError, check_move, next_states, save_state
from staff.cli import users_group
from tests.call_support import RECORDING, failing_queries, leave_message, press, reach_the_tone, recorded_call
from tests.conftest import IN_HOURS, OUT_OF_HOURS
from tests.staff_support import add_user
from tests.twilio_client import call_params, next_url, said


def messages_in(engine) -> list[Message]:
    with Session(engine) as session:
        return list(session.exec(select(Message).order_by(Message.id)))


def events_in(engine) -> list[MessageEvent]:
    with Session(engine) as session:
        return list(session.exec(select(MessageEvent).order_by(MessageEvent.id)))


def move(engine, message_id: int, state: str, **kwargs):
    with Session(engine, expire_on_commit=False) as session:
        return save_state(session, message_id, state, actor=kwargs.pop("actor", "sam"),
                          now=kwargs.pop("now", IN_HOURS + timedelta(hours=1)), **kwargs)


@pytest.fixture
def message(twilio, engine, clock, app):
    """A message left out of hours for the DSL Infoline, and two accounts: sam in the Infoline team, kim not."""
    clock.now = OUT_OF_HOURS
    leave_message(twilio, "2")
    add_user(app, "sam", "staff")
    add_user(app, "kim", "staff")
    add_user(app, "priya", "supervisor")
    assert app.test_cli_runner().invoke(users_group, ["set-services", "sam", "DSL_INFOLINE"]).exit_code == 0
    [entry] = messages_in(engine)
    return entry


# ---- a message lands in its inbox ----

def test_a_message_left_through_the_webhooks_lands_in_its_services_inbox_as_new(message, engine):
    call = recorded_call(engine)
    assert (message.call_id, message.service, message.state, message.urgent) == (call.id, Route.DSL_INFOLINE,
                                                                              "new", False)
    assert message.created_at == OUT_OF_HOURS and message.assigned_to is None


def test_a_repeated_recording_webhook_adds_no_second_entry(twilio, engine, clock, json_log):
    clock.now = OUT_OF_HOURS
    record = reach_the_tone(twilio, "3")
    for _ in range(2):
        press(twilio, record, RecordingUrl=RECORDING, RecordingDuration="20")
    twilio.twiml(next_url(record), call_params(RecordingUrl=RECORDING, RecordingDuration="21"))  # not even changed
    assert [m.service for m in messages_in(engine)] == [Route.EARLY_HELP]
    assert not [line for line in json_log() if line.get("event") == "message_failed"], "skipped, not failed"


def test_an_urgent_message_for_mash_lands_in_mashs_inbox_marked_urgent(twilio, engine):
    doc = press(twilio, twilio.twiml("/voice/incoming", call_params()), "1")
    doc = press(twilio, press(twilio, doc, DialCallStatus="no-answer"), DialCallStatus="no-answer")
    press(twilio, doc, RecordingUrl=RECORDING)
    [entry] = messages_in(engine)
    assert (entry.service, entry.urgent) == (Route.MASH, True)


def test_a_caller_who_hangs_up_before_the_tone_leaves_no_empty_entry(twilio, engine, clock):
    clock.now = OUT_OF_HOURS
    record = reach_the_tone(twilio, "2")
    press(twilio, record, CallStatus="completed")  # the Record action with no RecordingUrl
    assert recorded_call(engine).route == Route.VOICEMAIL
    assert messages_in(engine) == []


def test_when_the_inbox_cannot_be_written_the_caller_still_hears_goodbye_and_the_link_is_kept(twilio, engine, clock):
    clock.now = OUT_OF_HOURS
    record = reach_the_tone(twilio, "2")
    with failing_queries(engine, "INSERT INTO message"):
        goodbye = press(twilio, record, RecordingUrl=RECORDING)
    assert "has been recorded" in said(goodbye)
    assert recorded_call(engine).recording_url == RECORDING and messages_in(engine) == []


# ---- the states ----

def test_a_message_is_assigned_called_back_and_closed_each_step_kept_with_who_when_and_note(message, engine):
    move(engine, message.id, "assigned", assignee="Sam", note="Sam knows the school")
    move(engine, message.id, "called back", actor="sam", note="Spoke to the DSL")
    closed = move(engine, message.id, "closed", actor="priya")
    assert (closed.state, closed.assigned_to) == ("closed", "sam")
    assert [(e.state, e.assigned_to, e.note, e.actor) for e in events_in(engine)] == [
        ("assigned", "sam", "Sam knows the school", "sam"), ("called_back", "sam", "Spoke to the DSL", "sam"),
        ("closed", "sam", None, "priya")]
    with Session(engine) as session:
        audit = session.exec(select(AuditEvent.detail).where(AuditEvent.action == "message_state")).all()
    assert audit == [f"message {message.id}: new -> assigned (to sam)", f"message {message.id}: assigned -> called_back",
                     f"message {message.id}: called_back -> closed"]


def test_steps_may_be_skipped_and_an_assigned_message_may_go_to_someone_else(message, engine):
    move(engine, message.id, "assigned", assignee="sam")
    assert move(engine, message.id, "assigned", assignee="priya").assigned_to == "priya"
    assert move(engine, message.id, "closed").state == "closed"


@pytest.mark.parametrize("steps, state, assignee, error", [
    ((), "assigned", None, "needs the member of staff"),
    ((), "assigned", "kim", "No member of staff called 'kim' sees this inbox"),  # kim is in no team
    ((), "assigned", "nobody", "No member of staff called 'nobody'"),
    ((), "new", None, "already new"),
    ((), "lost", None, "Unknown state 'lost'"),
    ((), "called_back", "sam", "only when assigning"),
    (("closed",), "called_back", None, "cannot move back from closed to called back"),
    (("assigned",), "assigned", "sam", "already assigned to sam"),
])
def test_a_change_that_cannot_be_made_is_refused_and_changes_nothing(message, engine, steps, state, assignee, error):
    for step in steps:
        move(engine, message.id, step, assignee="sam" if step == "assigned" else None)
    before = messages_in(engine)[0].state, len(events_in(engine))
    with pytest.raises(MessageError, match=error):
        move(engine, message.id, state, assignee=assignee)
    assert (messages_in(engine)[0].state, len(events_in(engine))) == before


def test_a_note_longer_than_300_characters_is_refused():
    with pytest.raises(MessageError, match="too long"):
        check_move("new", None, "closed", None, "x" * 301, ())


def test_only_later_states_are_offered_and_assigned_again_while_assigned():
    assert next_states("new") == ("assigned", "called_back", "closed")
    assert next_states("assigned") == ("assigned", "called_back", "closed")
    assert next_states("called_back") == ("closed",) and next_states("closed") == ()


def test_the_filters_name_services_and_states_and_refuse_anything_else():
    assert chosen_states("") == ("new", "assigned", "called_back") and chosen_states("all")[-1] == "closed"
    assert chosen_services(("MASH",), "EARLY_HELP") == () and chosen_services(None, "EDT") == ("EDT",)
    with pytest.raises(MessageError, match="Unknown state"):
        chosen_states("open")
    with pytest.raises(MessageError, match="Unknown service"):
        chosen_services(None, "POLICE")


def test_age_reads_in_minutes_hours_and_days():
    assert [age(OUT_OF_HOURS, OUT_OF_HOURS + timedelta(minutes=m)) for m in (0, 45, 125, 60 * 27 + 5)] == [
        "0 min", "45 min", "2 h 05 min", "1 d 03 h"]


# ---- the command line ----

def invoke(app, *args):
    return app.test_cli_runner().invoke(messages_group, list(args))


def test_ivr_messages_list_shows_each_inbox_oldest_first_filtered_by_service_and_state(message, app, engine, twilio,
                                                                                    clock):
    clock.now = OUT_OF_HOURS + timedelta(minutes=30)
    leave_message(twilio, "3", call_sid="CA" + "2" * 32)
    clock.now = OUT_OF_HOURS + timedelta(hours=2, minutes=5)
    lines = invoke(app, "list").output.splitlines()
    assert [line.split()[2:6] for line in lines] == [["2", "h", "05", "min"], ["1", "h", "35", "min"]]
    assert "DSL_INFOLINE  -  new  CA" + "1" * 32 in lines[0]
    assert len(invoke(app, "list", "--service", "EARLY_HELP").output.splitlines()) == 1
    move(engine, message.id, "closed")
    assert invoke(app, "list", "--service", "DSL_INFOLINE").stderr == "No messages.\n"
    assert "closed" in invoke(app, "list", "--state", "closed").output


def test_ivr_messages_set_state_moves_a_message_on_and_refuses_a_bad_step_with_exit_code_1(message, app, engine):
    result = invoke(app, "set-state", str(message.id), "assigned", "--assignee", "sam", "--note", "call at 9",
                    "--actor", "priya")
    assert result.exit_code == 0 and result.output == f"Message {message.id} is now assigned (sam).\n"
    assert [(e.actor, e.note) for e in events_in(engine)] == [("priya", "call at 9")]
    back = invoke(app, "set-state", str(message.id), "new")
    assert back.exit_code == 1 and "cannot move back from assigned to new" in back.output
    missing = invoke(app, "set-state", "999", "closed")
    assert missing.exit_code == 1 and "No message has the id 999" in missing.output
    assert messages_in(engine)[0].state == "assigned" and len(events_in(engine)) == 1


def test_retention_clears_staffs_notes_on_messages_past_the_period(message, engine):
    move(engine, message.id, "closed", note="Rang the DSL back")
    with Session(engine) as session:
        counts = save_anonymised(session, IN_HOURS + timedelta(days=1))
        session.commit()
    assert counts["message_notes_cleared"] == 1 and events_in(engine)[0].note is None
