"""The live page through the Flask client: calls routed by signed webhooks appear with their reference, school,
caller, time in the menu and the open contacts like them, and leave once answered, ended or an hour old."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from db.models import Call, Contact
from tests.call_support import choose, failing_queries, press, start
from tests.callback_support import SCHOOL_URN, STRANGER, SWITCHBOARD, add_contact, add_school
from tests.conftest import IN_HOURS
from tests.staff_support import join_team, page, signed_in_client, table_rows
from tests.twilio_client import call_params

OTHER_SID = "CA" + "2" * 32


def reference_of(engine, call_sid: str = call_params()["CallSid"]) -> str:
    with Session(engine) as session:
        return session.exec(select(Contact.reference).join(Call, Call.id == Contact.call_id)
                            .where(Call.call_sid == call_sid)).one()


def route_to_mash(twilio, clock, seconds_in_menu: int = 42, **extra):
    """A call answered now and put through to MASH `seconds_in_menu` later; returns the Dial TwiML."""
    greeting = start(twilio, **extra)
    clock.now += timedelta(seconds=seconds_in_menu)
    return press(twilio, greeting, "1", **extra)


@pytest.fixture
def school(engine):
    with Session(engine) as session:
        add_school(session)


@pytest.fixture
def staff(app):
    return signed_in_client(app, "staff")


def live_rows(client, path: str = "/live") -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200, response.data[:300]
    return table_rows(page(response), "live-calls")


def test_a_call_put_through_to_mash_shows_its_reference_school_caller_and_time_in_the_menu(twilio, clock, engine,
                                                                                         school, staff):
    route_to_mash(twilio, clock, 65, caller=SWITCHBOARD)
    reference = reference_of(engine)
    assert live_rows(staff) == [[reference, "MASH", f"School {SCHOOL_URN} (URN {SCHOOL_URN})",
                                 "By the caller's number", "020 7946 0555", "1 min 05 s", "None"]]
    [row] = staff.get("/live/calls.json").get_json()["calls"]
    assert (row["reference"], row["service"], row["school"], row["caller"], row["time_in_menu"]) == (
        reference, "MASH", f"School {SCHOOL_URN}", "020 7946 0555", "1 min 05 s")
    assert row["contact_url"] == f"/contacts/{reference}"


def test_a_caller_from_no_known_school_shows_as_not_identified(twilio, clock, staff):
    route_to_mash(twilio, clock, 42)
    [row] = live_rows(staff)
    assert row[2:6] == ["Not identified", "Number not in the register", "020 7946 0999", "42 s"]


def test_a_withheld_number_is_shown_as_withheld(twilio, clock, staff):
    route_to_mash(twilio, clock, caller="anonymous")
    [row] = live_rows(staff)
    assert row[3:5] == ["Number withheld", "Withheld"]


def test_with_no_call_being_put_through_the_page_says_so(staff):
    assert live_rows(staff) == [["No calls are being put through right now."]]
    assert staff.get("/live/calls.json").get_json() == {"calls": []}


def test_the_call_leaves_the_page_once_the_transfer_is_answered(twilio, clock, staff):
    dialling = route_to_mash(twilio, clock)
    press(twilio, dialling, DialCallStatus="completed", DialCallDuration="120")
    assert staff.get("/live/calls.json").get_json() == {"calls": []}


def test_a_call_mash_did_not_answer_stays_while_mash_is_tried_again(twilio, clock, staff, engine):
    dialling = route_to_mash(twilio, clock)
    press(twilio, dialling, DialCallStatus="no-answer")
    assert [row["reference"] for row in staff.get("/live/calls.json").get_json()["calls"]] == [reference_of(engine)]


def test_the_call_leaves_the_page_when_the_caller_hangs_up(twilio, clock, staff):
    route_to_mash(twilio, clock)
    twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="30"))
    assert staff.get("/live/calls.json").get_json() == {"calls": []}


def test_a_call_put_through_over_an_hour_ago_is_no_longer_shown(twilio, clock, staff):
    route_to_mash(twilio, clock)
    clock.now += timedelta(minutes=59)
    assert len(staff.get("/live/calls.json").get_json()["calls"]) == 1
    clock.now += timedelta(minutes=2)
    assert staff.get("/live/calls.json").get_json() == {"calls": []}


def test_open_contacts_from_the_same_school_or_number_in_the_last_30_days_are_listed(app, twilio, clock, engine,
                                                                                     school, staff):
    with Session(engine, expire_on_commit=False) as session:
        same_school = add_contact(session, IN_HOURS - timedelta(days=10), caller=STRANGER)
        same_number = add_contact(session, IN_HOURS - timedelta(days=29), urn=None)
        being_assessed = add_contact(session, IN_HOURS - timedelta(days=1))
        decided = add_contact(session, IN_HOURS - timedelta(days=2))
        too_old = add_contact(session, IN_HOURS - timedelta(days=31))
        add_contact(session, IN_HOURS - timedelta(days=3), caller=STRANGER, urn=None)  # another school's
        for contact, status in ((being_assessed, "being_assessed"), (decided, "decided")):
            session.get(Contact, contact.id).status = status
        session.commit()
    route_to_mash(twilio, clock, caller=SWITCHBOARD)
    [row] = staff.get("/live/calls.json").get_json()["calls"]
    assert [(c["reference"], c["status"]) for c in row["open_contacts"]] == [
        (being_assessed.reference, "being assessed"), (same_school.reference, "received"),
        (same_number.reference, "received")]
    assert row["open_contacts"][0]["url"] == f"/contacts/{being_assessed.reference}"
    assert too_old.reference not in str(row) and decided.reference not in str(row)
    links = page(staff.get("/live")).xpath("//table[@id='live-calls']//ul/li/a/@href")
    assert links == [f"/contacts/{c.reference}" for c in (being_assessed, same_school, same_number)]


def test_a_second_live_call_from_the_same_school_lists_the_first_ones_contact(twilio, clock, engine, school, staff):
    route_to_mash(twilio, clock, caller=SWITCHBOARD)
    route_to_mash(twilio, clock, call_sid=OTHER_SID, caller=SWITCHBOARD)
    newer, older = staff.get("/live/calls.json").get_json()["calls"]
    assert [c["reference"] for c in newer["open_contacts"]] == [reference_of(engine)]
    assert [c["reference"] for c in older["open_contacts"]] == [reference_of(engine, OTHER_SID)]


def test_the_service_filter_shows_one_line_and_without_it_every_line_shows(twilio, clock, staff):
    choose(twilio, start(twilio), "2")  # the DSL Infoline
    route_to_mash(twilio, clock, call_sid=OTHER_SID)
    assert [row[1] for row in live_rows(staff)] == ["MASH", "DSL Infoline"]
    assert [row[1] for row in live_rows(staff, "/live?service=MASH")] == ["MASH"]
    infoline = staff.get("/live/calls.json?service=DSL_INFOLINE").get_json()["calls"]
    assert [row["service_label"] for row in infoline] == ["DSL Infoline"]
    assert page(staff.get("/live?service=MASH")).xpath("//select[@id='service']/option[@selected]/@value") == ["MASH"]


@pytest.mark.parametrize("path", ["/live", "/live/calls.json"])
def test_the_live_page_and_its_rows_need_a_sign_in(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_rows_answer_503_with_the_reason_when_the_database_fails(twilio, clock, engine, staff, json_log):
    route_to_mash(twilio, clock)
    with failing_queries(engine):
        response = staff.get("/live/calls.json")
    assert response.status_code == 503
    assert response.get_json() == {"error": "The live calls cannot be read just now."}
    assert any(line.get("event") == "live_unavailable" for line in json_log())


def test_the_live_page_shows_the_reconnecting_note_not_an_error_when_the_database_fails(engine, staff):
    with failing_queries(engine):
        response = staff.get("/live")
    assert response.status_code == 503
    doc = page(response)
    [note] = doc.xpath("//*[@id='live-note']")
    assert note.get("role") == "status" and note.get("hidden") is None
    assert "Reconnecting" in note.text_content()
    assert doc.xpath("//script/@src") == ["/staff/static/live.js"]


def test_only_the_live_query_failing_still_shows_the_signed_in_page_with_the_note(engine, staff):
    with failing_queries(engine, matching="school_match"):
        response = staff.get("/live")
    assert response.status_code == 503
    assert "staff-user (staff)" in page(response).xpath("string(//*[@class='header__user'])")


def test_staff_in_a_team_see_their_team_s_lines_by_default_and_may_still_ask_for_another(app, twilio, clock):
    choose(twilio, start(twilio), "2")  # the DSL Infoline
    route_to_mash(twilio, clock, call_sid=OTHER_SID)
    infoline_team = signed_in_client(app, "staff", "ina")
    join_team(app, "ina", "DSL_INFOLINE")
    assert [row[1] for row in live_rows(infoline_team)] == ["DSL Infoline"]
    assert [row["service_label"] for row in infoline_team.get("/live/calls.json").get_json()["calls"]] == [
        "DSL Infoline"]
    assert [row[1] for row in live_rows(infoline_team, "/live?service=MASH")] == ["MASH"]
