"""The message inbox pages: each team sees its own services' messages oldest first, moves them on, exports them."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from db.models import Call, Message
from tests.call_support import RECORDING, leave_message, leave_urgent_message
from tests.conftest import OUT_OF_HOURS
from tests.staff_support import add_user, form_token, join_team, page, sign_in, signed_in_client, table_rows

INFOLINE_SID, EARLY_HELP_SID = "CA" + "1" * 32, "CA" + "2" * 32
RECORDING_OF_MASH = RECORDING.replace("RE1", "RE3")


def team_client(app, username: str, *services: str):
    add_user(app, username, "staff")
    join_team(app, username, *services)
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


@pytest.fixture
def inbox(twilio, clock, engine):
    """An Infoline message at 22:00 and an Early Help one at 22:30; the clock at 00:05."""
    clock.now = OUT_OF_HOURS
    leave_message(twilio, "2", INFOLINE_SID)
    clock.now = OUT_OF_HOURS + timedelta(minutes=30)
    leave_message(twilio, "3", EARLY_HELP_SID)
    clock.now = OUT_OF_HOURS + timedelta(hours=2, minutes=5)
    with Session(engine) as session:
        return {m.service: m.id for m in session.exec(select(Message))}


def test_a_supervisor_sees_every_inbox_oldest_first_with_age_school_number_player_and_state(app, inbox):
    doc = page(signed_in_client(app, "supervisor").get("/messages"))
    rows = table_rows(doc, "messages")
    assert [row[0].split(" 24 Nov")[0] for row in rows] == ["2 h 05 min", "1 h 35 min"]
    assert [row[1:4] + row[5:] for row in rows] == [["DSL Infoline", "Not identified", "020 7946 0999", "New"],
                                                    ["Early Help", "Not identified", "020 7946 0999", "New"]]
    players = doc.xpath("//table[@id='messages']//audio")
    assert [a.get("preload") for a in players] == ["none", "none"]
    assert players[0].get("src").startswith("/calls/") and players[0].get("src").endswith("/recording")


def test_staff_see_only_their_teams_inboxes_and_another_teams_message_is_not_found(app, inbox):
    client = team_client(app, "sam", "EARLY_HELP")
    assert [row[1] for row in table_rows(page(client.get("/messages")), "messages")] == ["Early Help"]
    assert table_rows(page(client.get("/messages?service=DSL_INFOLINE")), "messages") == [["No messages like this."]]
    assert client.get(f"/messages/{inbox['DSL_INFOLINE']}").status_code == 404
    token = form_token(client, f"/messages/{inbox['EARLY_HELP']}")
    refused = client.post(f"/messages/{inbox['DSL_INFOLINE']}", data={"csrf_token": token, "state": "closed"})
    assert refused.status_code == 404
    assert "EARLY_HELP" in client.get("/messages.csv").get_data(as_text=True)
    assert "DSL_INFOLINE" not in client.get("/messages.csv").get_data(as_text=True)


def test_a_staff_account_in_no_team_sees_no_inbox_and_is_told_why(app, inbox):
    doc = page(signed_in_client(app, "staff").get("/messages"))
    assert "in no team" in doc.xpath("string(//p[@id='no-team'])")
    assert table_rows(doc, "messages") == [["No messages."]]


def test_the_filters_choose_a_service_and_a_state_and_closed_messages_are_left_out_by_default(app, engine, inbox):
    client = signed_in_client(app, "supervisor", "priya")
    with Session(engine) as session:
        session.get(Message, inbox["EARLY_HELP"]).state = "closed"
        session.commit()
    assert [row[1] for row in table_rows(page(client.get("/messages")), "messages")] == ["DSL Infoline"]
    assert [row[1] for row in table_rows(page(client.get("/messages?state=closed")), "messages")] == ["Early Help"]
    assert len(table_rows(page(client.get("/messages?state=all")), "messages")) == 2
    assert table_rows(page(client.get("/messages?service=EDT&state=all")), "messages") == [["No messages like this."]]
    assert client.get("/messages?state=lost").status_code == 400
    assert client.get("/messages?service=POLICE").status_code == 400


def test_staff_assign_a_message_and_mark_it_called_back_with_notes_and_a_refusal_keeps_the_form(app, inbox):
    client = team_client(app, "sam", "DSL_INFOLINE")
    path = f"/messages/{inbox['DSL_INFOLINE']}"
    options = page(client.get(path)).xpath("//select[@id='assignee']/option/@value")
    assert options == ["", "sam"], "only those who see the inbox can be given it"
    token = form_token(client, path)
    saved = client.post(path, data={"csrf_token": token, "state": "assigned", "assignee": "sam", "note": "mine"})
    assert saved.status_code == 302
    assert "is now assigned to sam" in client.get(path).get_data(as_text=True)
    refused = client.post(path, data={"csrf_token": token, "state": "called_back", "assignee": "sam",
                                      "note": "kept note"})
    assert refused.status_code == 400
    doc = page(refused)
    assert "only when assigning" in doc.xpath("string(//div[@class='error-summary'])")
    assert doc.xpath("string(//textarea[@id='note'])") == "kept note"
    client.post(path, data={"csrf_token": token, "state": "called_back", "note": "spoke to the DSL"})
    history = table_rows(page(client.get(path)), "history")
    assert [row[1:] for row in history] == [["New", "–", "the phone line"], ["Assigned to sam", "mine", "sam"],
                                            ["Called back", "spoke to the DSL", "sam"]]
    assert table_rows(page(client.get("/messages")), "messages")[0][5] == "Called back (sam)"


def test_a_post_without_the_form_token_is_refused(app, inbox):
    client = team_client(app, "sam", "DSL_INFOLINE")
    assert client.post(f"/messages/{inbox['DSL_INFOLINE']}", data={"state": "closed"}).status_code == 400


def test_the_csv_lists_the_filtered_messages_without_notes_and_neutralises_formulas(app, engine, inbox):
    client = signed_in_client(app, "supervisor", "priya")
    with Session(engine) as session:
        session.get(Call, 1).caller = "=HYPERLINK(1)"  # whatever a caller ID says, Excel must not run it
        session.commit()
    response = client.get("/messages.csv?service=DSL_INFOLINE")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="mash-ivr-messages-2026-11-25.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:6] == ["Message", "Left at (Europe/London)", "Waiting", "Service", "Urgent", "State"]
    assert len(rows) == 2 and rows[1][2:6] == ["2 h 05 min", "DSL_INFOLINE", "no", "new"]
    assert rows[1][10] == "'=HYPERLINK(1)" and rows[1][11] == "yes" and rows[1][12] == INFOLINE_SID
    assert rows[0][13:] == ["Kind", "Call back by (Europe/London)"] and rows[1][13:] == ["message", ""]


def test_a_message_whose_recording_retention_deleted_says_so_instead_of_a_player(app, engine, inbox):
    with Session(engine) as session:
        call = session.get(Call, 1)
        call.recording_url, call.recording_deleted = None, True
        session.commit()
    doc = page(signed_in_client(app, "supervisor").get("/messages"))
    assert table_rows(doc, "messages")[0][4] == "Deleted after the retention period"
    assert len(doc.xpath("//table[@id='messages']//audio")) == 1


def test_the_navigation_shows_messages_to_staff(app):
    doc = page(signed_in_client(app, "staff").get("/messages"))
    assert doc.xpath("//nav//a[@aria-current='page']/text()") == ["Messages"]


def test_staff_cannot_play_another_team_s_message_and_the_calls_page_offers_them_no_player(twilio, app, engine, inbox):
    with Session(engine) as session:
        infoline_call = session.exec(select(Message).where(Message.service == "DSL_INFOLINE")).one().call_id
        mash = Call(call_sid="CA" + "3" * 32, caller="+442079460998", started_at=OUT_OF_HOURS, route="VOICEMAIL",
                    service="MASH", urgent_flag=True, recording_url=RECORDING_OF_MASH)
        session.add(mash)
        session.commit()
        mash_call = mash.id
    early_help = team_client(app, "sam", "EARLY_HELP")
    refused = early_help.get(f"/calls/{infoline_call}/recording")
    assert refused.status_code == 403 and "another team" in refused.get_data(as_text=True)
    assert early_help.get(f"/calls/{mash_call}/recording").status_code == 403
    day = "?day=" + OUT_OF_HOURS.date().isoformat()
    cell = page(early_help.get("/calls" + day)).xpath("//table//tr[td[contains(., '020 7946 0998')]]")[0]
    assert cell.xpath(".//audio") == [] and "For the MASH team" in cell.text_content()
    mash_team = team_client(app, "kim", "MASH")
    row = page(mash_team.get("/calls" + day)).xpath("//table//tr[td[contains(., '020 7946 0998')]]")[0]
    assert row.xpath(".//audio/@src") == [f"/calls/{mash_call}/recording"]


def test_an_urgent_message_with_no_duty_number_rung_says_so_on_its_page(twilio, app, engine):
    leave_urgent_message(twilio)  # this test's settings have no DUTY_NUMBERS
    with Session(engine) as session:
        message_id = session.exec(select(Message.id)).one()
    shown = page(signed_in_client(app, "supervisor").get(f"/messages/{message_id}"))
    assert shown.xpath("string(//*[@id='message-alert'])") == (
        "Not accepted yet, and no duty number has been rung: check DUTY_NUMBERS and phone the duty team")
