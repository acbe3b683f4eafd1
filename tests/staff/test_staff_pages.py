"""Staff pages through the Flask client: sign-in and its limits, today's calls, a contact's page, the audit log."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from db.models import AuditEvent, Call, Contact, ContactEvent, User
from staff import add_nav_item
from tests.staff_support import (add_user, form_token, mash_staff_client, page, seed_month, sign_in, signed_in_client,
                                 table_rows, utc)


def _audit(engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


# Sign-in

def test_signing_in_opens_todays_calls_and_is_audited(app, engine):
    add_user(app, "sam", "staff")
    client = app.test_client()
    response = sign_in(client, "Sam")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/calls").status_code == 200
    assert [event.actor for event in _audit(engine, "login")] == ["sam"]


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(app, engine):
    add_user(app, "sam", "staff")
    response = sign_in(app.test_client(), "sam")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("mash_ivr_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=lax"} <= flags


def test_a_wrong_password_is_refused_and_audited(app, engine):
    add_user(app, "sam", "staff")
    client = app.test_client()
    response = sign_in(client, "sam", "not the password")
    assert response.status_code == 401
    assert "username or password is not right" in response.get_data(as_text=True)
    assert client.get("/calls").status_code == 302
    assert [event.actor for event in _audit(engine, "login_failed")] == ["sam"]


def test_five_failed_sign_ins_lock_the_account_for_15_minutes(app, engine, clock):
    add_user(app, "sam", "staff")
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "sam", "wrong password!").status_code == 401
    locked = sign_in(client, "sam")
    assert locked.status_code == 429, "even the right password is refused while locked"
    assert "locked" in locked.get_data(as_text=True) and locked.headers["Retry-After"]
    assert _audit(engine, "account_locked")
    clock.now = clock.now + timedelta(minutes=16)
    assert sign_in(client, "sam").status_code == 302


def test_many_failures_from_one_address_are_throttled_for_every_account(app, engine):
    add_user(app, "sam", "staff")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    for attempt in range(20):
        assert sign_in(client, f"guess{attempt}", "wrong password!").status_code == 401
    assert sign_in(client, "sam").status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert sign_in(other, "sam").status_code == 302


def test_after_sign_in_the_page_asked_for_opens_but_never_another_site(app, engine):
    add_user(app, "sam", "supervisor")
    client = app.test_client()
    assert client.get("/dashboard?hours=in").headers["Location"] == "/login?next=/dashboard?hours%3Din"
    assert sign_in(client, "sam", next_path="/dashboard?hours=in").headers["Location"] == "/dashboard?hours=in"
    other = app.test_client()
    assert sign_in(other, "sam", next_path="//evil.example/").headers["Location"] == "/"


def test_signing_out_ends_the_session(app, engine):
    client = signed_in_client(app, "staff")
    response = client.post("/logout", data={"csrf_token": form_token(client, "/calls")})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/calls").status_code == 302
    assert _audit(engine, "logout")


def test_a_new_password_signs_out_sessions_made_with_the_old_one(app, engine):
    from staff.auth import hash_password

    client = signed_in_client(app, "staff", "sam")
    with Session(engine) as session:
        session.exec(select(User).where(User.username == "sam")).one().password_hash = hash_password("another password")
        session.commit()
    assert client.get("/calls").status_code == 302


def test_navigation_shows_each_role_its_pages_and_features_can_add_theirs(app):
    add_nav_item(app, "Reports", "staff.audit", role="admin")
    staff = page(signed_in_client(app, "staff").get("/calls"))
    assert staff.xpath("//nav[@aria-label='Main']//a/text()") == ["Calls", "Live calls", "Contacts", "Messages"]
    supervisor = page(signed_in_client(app, "supervisor").get("/calls"))
    assert supervisor.xpath("//nav[@aria-label='Main']//a/text()") == ["Calls", "Live calls", "Contacts", "Messages",
                                                                        "Dashboard", "Line", "Menu"]
    admin = page(signed_in_client(app, "admin").get("/calls"))
    links = admin.xpath("//nav[@aria-label='Main']//a/text()")
    assert links[:8] == ["Calls", "Live calls", "Contacts", "Messages", "Dashboard", "Standard reasons",
                         "Case system", "Audit log"]
    assert links[-1] == "Reports"
    assert admin.xpath("//nav//a[@aria-current='page']/text()") == ["Calls"]


# Today's calls

def _add_call(engine, sid: str, start: str, route: str = "MASH", **fields) -> None:
    with Session(engine) as session:
        session.add(Call(call_sid=sid, caller="+441214960555", started_at=utc(start), route=route,
                         service=fields.pop("service", route), **fields))
        session.commit()


def test_todays_mash_calls_are_listed_newest_first_with_their_details(app, engine):
    seed_month(engine)
    _add_call(engine, "CA" + "a" * 32, "2026-11-24 09:00", duration_s=125, transfer_status="completed")
    _add_call(engine, "CA" + "b" * 32, "2026-11-24 09:40", transfer_status="no-answer")
    _add_call(engine, "CA" + "c" * 32, "2026-11-24 09:50", route="EARLY_HELP")  # not a MASH call
    doc = page(signed_in_client(app, "staff").get("/calls"))
    assert doc.xpath("//h1/text()") == ["Today's MASH calls"]
    rows = table_rows(doc, "calls")
    assert [row[0] for row in rows] == ["09:40", "09:00"]
    assert rows[1][4:7] == ["0121 496 0555", "2 min 05 s", "Answered"]
    assert rows[0][6] == "No answer"


def test_a_day_shows_its_calls_with_reference_school_and_message_player(app, engine):
    seed_month(engine)
    client = mash_staff_client(app)
    rows = table_rows(page(client.get("/calls?day=2026-11-23")), "calls")
    assert rows[0][1:4] == ["400007", "MASH", "Brook Academy"]
    doc = page(client.get("/calls?day=2026-11-20"))
    audio = doc.xpath("//table[@id='calls']//audio/@src")
    assert len(audio) == 1 and audio[0].startswith("/calls/") and audio[0].endswith("/recording")
    assert "Urgent" in table_rows(doc, "calls")[0][7]
    assert client.get("/calls?day=20-11-2026").status_code == 400


@pytest.mark.parametrize("search, expected", [("400011", ["400011"]), ("brook", ["400007", "400011", "–"]),
                                              ("100001", ["–", "400001"]), ("Nowhere School", [])])
def test_search_finds_calls_by_reference_urn_or_school_name(app, engine, search, expected):
    seed_month(engine)
    doc = page(signed_in_client(app, "staff").get("/calls", query_string={"q": search}))
    rows = [row for row in table_rows(doc, "calls") if len(row) > 1]
    assert [row[1] for row in rows] == expected


# A contact's page

def test_a_contact_page_shows_its_history_and_callbacks(app, engine):
    seed_month(engine)
    doc = page(signed_in_client(app, "staff").get("/contacts/400011"))
    assert doc.get_element_by_id("contact-status").text_content().strip() == "Received"
    assert "Brook Academy" in doc.text_content()
    callbacks = table_rows(doc, "callbacks")
    assert callbacks[0][4] == "Failed" and callbacks[0][5] == "1"


def test_setting_a_decision_saves_it_keeps_who_and_schedules_a_callback(app, engine):
    seed_month(engine)
    client = signed_in_client(app, "staff", "sam")
    token = form_token(client, "/contacts/400007")
    response = client.post("/contacts/400007", data={"csrf_token": token, "status": "decided",
                                                      "outcome": "no_further_action", "reason_code": "below_threshold",
                                                      "note": "Threshold not met"})
    assert response.status_code == 302
    doc = page(client.get(response.headers["Location"]))
    assert "Contact 400007 is now decided." in doc.text_content()
    assert doc.get_element_by_id("contact-status").text_content().strip() == "Decided: no further action"
    history = table_rows(doc, "history")
    assert history[-1][1:] == ["Decided", "no further action", "below_threshold (note: Threshold not met)", "sam"]
    with Session(engine) as session:
        contact = session.exec(select(Contact).where(Contact.reference == "400007")).one()
        assert contact.status == "decided"
    assert [event.actor for event in _audit(engine, "contact_status")] == ["sam"]
    states = [row[4] for row in table_rows(doc, "callbacks")]
    assert len(states) >= 2, "the decision scheduled a callback beside the seeded one"


def test_a_status_change_that_cannot_be_made_shows_why_and_changes_nothing(app, engine):
    seed_month(engine)
    client = signed_in_client(app, "staff")
    token = form_token(client, "/contacts/400001")
    response = client.post("/contacts/400001", data={"csrf_token": token, "status": "decided",
                                                      "outcome": "no_further_action", "reason_code": ""})
    assert response.status_code == 400
    assert "needs a standard reason" in page(response).xpath("//div[@class='error-summary']")[0].text_content()
    with Session(engine) as session:
        assert not session.exec(select(ContactEvent)).all()


def test_an_unknown_reference_gets_a_404_page(app):
    response = signed_in_client(app, "staff").get("/contacts/999999")
    assert response.status_code == 404 and "No contact has the reference" in response.get_data(as_text=True)


# Messages, played through the app from a local Twilio stand-in

def test_a_message_plays_through_the_app_with_twilio_credentials(twilio_media, app, engine):
    _add_call(engine, "CA" + "d" * 32, "2026-11-24 09:00", route="VOICEMAIL", service="MASH",
              recording_url=f"{twilio_media}/2010-04-01/Accounts/{'AC' + '0' * 32}/Recordings/RE{6:032d}")
    client = mash_staff_client(app, "sam")
    src = page(client.get("/calls")).xpath("//audio/@src")[0]
    response = client.get(src)
    assert response.status_code == 200 and response.data == b"ID3-fake-mp3"
    assert response.mimetype == "audio/mpeg"
    assert [event.actor for event in _audit(engine, "recording_played")] == ["sam"]


def test_a_message_link_that_is_not_twilios_is_never_fetched(twilio_media, app, engine):
    _add_call(engine, "CA" + "e" * 32, "2026-11-24 09:00", route="VOICEMAIL", service="MASH",
              recording_url="http://169.254.169.254/latest/meta-data")
    client = mash_staff_client(app)
    src = page(client.get("/calls")).xpath("//audio/@src")[0]
    assert client.get(src).status_code == 404


# The audit log

def test_the_audit_log_is_for_admins(app, engine):
    assert signed_in_client(app, "supervisor").get("/audit").status_code == 403
    doc = page(signed_in_client(app, "admin", "ada").get("/audit"))
    actions = [row[2] for row in table_rows(doc, "audit")]
    assert "login" in actions and "user_added" in actions


def _add_service_contact(engine, reference: str) -> None:
    _add_call(engine, "CA" + "d" * 32, "2026-11-24 09:30", route="DSL_INFOLINE")
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_sid == "CA" + "d" * 32)).one()
        session.add(Contact(reference=reference, call_id=call.id, service="DSL_INFOLINE", created_at=call.started_at))
        session.commit()


def test_an_infoline_call_with_a_reference_is_not_a_mash_call_but_its_reference_finds_it(app, engine):
    seed_month(engine)
    _add_service_contact(engine, "700001")
    client = signed_in_client(app, "staff")
    assert "700001" not in [row[1] for row in table_rows(page(client.get("/calls")), "calls") if len(row) > 1]
    found = table_rows(page(client.get("/calls", query_string={"q": "700001"})), "calls")
    assert [row[1:3] for row in found] == [["700001", "DSL Infoline"]]


def test_an_infoline_contact_page_offers_the_services_own_outcomes(app, engine):
    seed_month(engine)
    _add_service_contact(engine, "700002")
    doc = page(signed_in_client(app, "staff").get("/contacts/700002"))
    assert doc.xpath("//span[@class='caption']/text()") == ["DSL Infoline contact"]
    assert doc.xpath("//select[@id='outcome']/option/@value") == [
        "", "advice_given", "passed_to_mash", "early_help_offered", "other"]
    assert "Decision promised by" not in doc.text_content()
