""""Call back" on a callback request rings the member of staff's own phone through the Twilio REST client, which
then dials the caller; the outcome is noted on the request, and answered moves it to called back."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from db.models import AuditEvent, Message, MessageEvent
from db.retention import save_anonymised
from staff.cli import users_group
from tests.call_support import choose, press, start
from tests.staff_support import form_token, page, signed_in_client

pytestmark = pytest.mark.twilio_stand_in

CALLER = "+442079460999"  # the test caller, whose own number is confirmed
STAFF_PHONE = "07400 111222"
STAFF_E164 = "+447400111222"


def request_a_call_back(twilio) -> None:
    offer = press(twilio, choose(twilio, start(twilio), "2"), DialCallStatus="no-answer")
    press(twilio, press(twilio, offer, "2"), "1")


def the_request(engine) -> Message:
    with Session(engine) as session:
        return session.exec(select(Message)).one()


def outcomes(engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        return [(e.outcome, e.state, e.actor) for e in session.exec(select(MessageEvent).order_by(MessageEvent.id))]


def set_phone(app, name: str, number: str):
    return app.test_cli_runner().invoke(users_group, ["set-phone", name, number])


def click_call_back(client, message_id: int):
    token = form_token(client, f"/messages/{message_id}")
    return client.post(f"/messages/{message_id}/call-back", data={"csrf_token": token})


@pytest.fixture
def staff(app):
    client = signed_in_client(app, "supervisor", "sam")
    assert set_phone(app, "sam", STAFF_PHONE).exit_code == 0
    return client


def test_call_back_rings_the_staff_phone_then_dials_the_caller_and_answered_marks_it_called_back(
        twilio, engine, live, staff):
    request_a_call_back(twilio)
    request = the_request(engine)
    response = click_call_back(staff, request.id)
    assert response.status_code == 302
    assert live.stand_in.wait_idle(30)
    [call] = live.stand_in.log()["calls"]
    assert call["to"] == STAFF_E164 and call["status"] == "completed"
    assert call["dialled"] == [{"to": CALLER, "answer": "human"}]
    assert "Calling back the caller who asked the DSL Infoline to ring them." in " ".join(call["said"])
    assert the_request(engine).state == "called_back"
    assert outcomes(engine) == [("answered", "called_back", "sam")]
    with Session(engine) as session:
        audit = [e.detail for e in session.exec(select(AuditEvent).where(AuditEvent.action == "message_call_back"))]
    assert audit == [f"message {request.id}: ringing sam", f"message {request.id}: answered, new -> called_back"]


@pytest.mark.parametrize("answer", ["busy", "no-answer", "failed"])
def test_a_caller_who_does_not_answer_leaves_the_request_as_it_was_with_the_outcome_noted(
        twilio, engine, live, staff, answer):
    request_a_call_back(twilio)
    live.stand_in.script(CALLER, answer)
    click_call_back(staff, the_request(engine).id)
    assert live.stand_in.wait_idle(30)
    assert the_request(engine).state == "new"
    assert outcomes(engine) == [(answer, "new", "sam")]
    history = page(staff.get(f"/messages/{the_request(engine).id}")).xpath("//table[@id='history']//td/text()")
    assert any(text.startswith("Call back: ") for text in history)


def test_a_staff_phone_that_is_not_answered_is_noted_and_the_caller_is_never_dialled(twilio, engine, live, staff):
    request_a_call_back(twilio)
    live.stand_in.script(STAFF_E164, "no-answer")
    click_call_back(staff, the_request(engine).id)
    assert live.stand_in.wait_idle(30)
    [call] = live.stand_in.log()["calls"]
    assert "dialled" not in call
    assert outcomes(engine) == [("staff-missed", "new", "sam")]


def test_an_account_with_no_phone_is_told_to_add_one_and_nothing_is_rung(twilio, engine, live, app):
    request_a_call_back(twilio)
    client = signed_in_client(app, "supervisor", "kim")
    message_page = page(client.get(f"/messages/{the_request(engine).id}"))
    assert message_page.xpath("//*[@id='no-phone']") and not message_page.xpath("//*[@id='call-back']")
    token = form_token(client, f"/messages/{the_request(engine).id}")
    refused = client.post(f"/messages/{the_request(engine).id}/call-back", data={"csrf_token": token})
    assert refused.status_code == 400 and b"no phone to ring" in refused.data
    assert live.stand_in.log()["calls"] == []


def test_a_request_can_still_be_marked_called_back_by_hand(twilio, engine, live, staff):
    request_a_call_back(twilio)
    message_id = the_request(engine).id
    token = form_token(staff, f"/messages/{message_id}")
    staff.post(f"/messages/{message_id}", data={"csrf_token": token, "state": "called_back", "note": "rang them"})
    assert the_request(engine).state == "called_back"
    assert live.stand_in.log()["calls"] == []


def test_the_inbox_shows_a_request_with_its_target_time_and_overdue_once_past_it(twilio, engine, live, staff, clock):
    request_a_call_back(twilio)
    row = page(staff.get("/messages")).xpath(f"//tr[@id='message-{the_request(engine).id}']")[0]
    assert "Call back by 24 Nov 2026 12:00" in row.text_content() and "Overdue" not in row.text_content()
    assert not row.xpath(".//audio")
    clock.now = clock.now.replace(hour=13)
    row = page(staff.get("/messages")).xpath(f"//tr[@id='message-{the_request(engine).id}']")[0]
    assert "Overdue" in row.text_content()
    [_header, exported] = csv.reader(io.StringIO(staff.get("/messages.csv").get_data(as_text=True).lstrip("\ufeff")))
    assert exported[13:] == ["callback_request", "2026-11-24 12:00:00"]


def test_set_phone_accepts_only_a_uk_number_and_add_takes_one_too(app):
    assert set_phone(app, "nobody", STAFF_PHONE).exit_code != 0
    added = app.test_cli_runner().invoke(users_group, ["add", "ada", "--phone", "+33612345678", "--password-stdin"],
                                         input="correct horse battery staple\n")
    assert added.exit_code != 0 and "not a UK phone number" in added.output
    added = app.test_cli_runner().invoke(users_group, ["add", "ada", "--phone", "01926 414144", "--password-stdin"],
                                         input="correct horse battery staple\n")
    assert added.exit_code == 0, added.output
    result = set_phone(app, "ada", STAFF_PHONE)
    assert result.exit_code == 0 and "*********222" in result.output and STAFF_E164 not in result.output


def test_retention_clears_the_number_to_call_back_with_the_other_caller_numbers(twilio, engine, clock):
    request_a_call_back(twilio)
    with Session(engine) as session:
        counts = save_anonymised(session, clock.now + timedelta(days=1))
        session.commit()
    assert counts["callback_numbers_cleared"] == 1
    assert the_request(engine).callback_number is None


def test_a_staff_phone_answered_by_its_voicemail_never_dials_the_caller_and_is_noted_as_missed(twilio, engine, live,
                                                                                              staff):
    request_a_call_back(twilio)
    live.stand_in.script(STAFF_E164, "machine")  # the voicemail greeting plays; no one presses 1
    click_call_back(staff, the_request(engine).id)
    assert live.stand_in.wait_idle(30)
    [call] = live.stand_in.log()["calls"]
    assert "dialled" not in call
    assert "Press 1 to be connected." in " ".join(call["said"])
    assert the_request(engine).state == "new"
    assert outcomes(engine) == [("staff-missed", "new", "sam")]
