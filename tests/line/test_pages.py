"""The supervisor pages: /line changes the line's settings, /menu drafts, previews, publishes and rolls back."""
from __future__ import annotations

from sqlmodel import Session, select

from db.models import AuditEvent, LineNotice
from routing.menu import DEFAULT_WORDING
from tests.staff_support import form_token, page, signed_in_client, table_rows
from tests.trial_support import make_trial

NEW_OPTION2 = "Want advice from a colleague? Press 2 for the DSL Infoline."


def post(client, path: str, data: dict, form_page: str = "/line"):
    return client.post(path, data={"csrf_token": form_token(client, form_page), **data})


def draft(client, **texts):
    """Save a draft from the playing wording with these sentences changed."""
    fields = {**DEFAULT_WORDING.texts(), **texts}
    return post(client, "/menu/new", {**fields, "note": "from the test"}, form_page="/menu/new")


def test_staff_may_not_change_the_line_and_supervisors_may(app):
    staff = signed_in_client(app, "staff")
    assert staff.get("/line").status_code == 403 and staff.get("/menu").status_code == 403
    supervisor = signed_in_client(app, "supervisor")
    assert supervisor.get("/line").status_code == 200 and supervisor.get("/menu").status_code == 200


def test_a_supervisor_adds_a_closure_and_it_is_listed_and_audited(app, engine):
    client = signed_in_client(app, "supervisor")
    answer = post(client, "/line/closures", {"form": "closure", "service": "DSL_INFOLINE", "from": "2026-11-24T09:00",
                                             "to": "2026-11-24T17:00", "say": "The Infoline is closed for training.",
                                             "reason": "annual training"})
    assert answer.status_code == 303
    shown = page(client.get("/line"))
    assert table_rows(shown, "closures")[0][:5] == ["the DSL Infoline", "24 Nov 2026 09:00", "24 Nov 2026 17:00",
                                                    "The Infoline is closed for training.", "annual training"]
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "line_closure_added")).one()
    assert event.actor == "supervisor-user" and "none -> DSL_INFOLINE closed" in event.detail
    admin = signed_in_client(app, "admin")
    assert "line_closure_added" in admin.get("/audit").get_data(as_text=True)


def test_a_refused_closure_names_the_rule_keeps_what_was_typed_and_saves_nothing(app, engine):
    client = signed_in_client(app, "supervisor")
    answer = post(client, "/line/closures", {"form": "closure", "service": "EDT", "from": "2026-11-24T09:00",
                                             "to": "2026-11-24T17:00", "say": "Closed today."})
    assert answer.status_code == 400
    shown = page(answer)
    assert "the Emergency Duty Team answers whenever MASH is closed" in shown.xpath("string(//*[@role='alert'])")
    assert shown.xpath("//input[@id='closure-say']/@value") == ["Closed today."]
    with Session(engine) as session:
        assert session.exec(select(LineNotice)).all() == []


def test_a_closure_without_a_time_is_a_clear_error(app):
    client = signed_in_client(app, "supervisor")
    answer = post(client, "/line/closures", {"form": "closure", "service": "EARLY_HELP", "from": "",
                                             "to": "2026-11-24T17:00", "say": "Closed."})
    assert answer.status_code == 400 and "from: give a date and time" in answer.get_data(as_text=True)


def test_emergency_mode_is_turned_on_from_the_page(app):
    client = signed_in_client(app, "supervisor")
    answer = post(client, "/line/emergency", {"form": "emergency", "emergency": "on",
                                              "say": "The Infoline phones are down, so every call goes to MASH."})
    assert answer.status_code == 303
    assert page(client.get("/line")).xpath("string(//*[@id='emergency-state'])") == "on"


def test_a_bad_number_is_refused_naming_the_service(app):
    client = signed_in_client(app, "supervisor")
    answer = post(client, "/line/numbers", {"service": "EARLY_HELP", "number": "12345"})
    assert answer.status_code == 400 and "EARLY_HELP number" in answer.get_data(as_text=True)


def test_a_draft_is_previewed_at_a_chosen_time_then_published_then_rolled_back(app):
    client = signed_in_client(app, "supervisor")
    saved = draft(client, option2=NEW_OPTION2)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/menu/1")
    night = page(client.get("/menu/1?at=2026-11-24T22:00"))
    transcript = night.xpath("//ol[@id='transcript']/li/text()")
    assert transcript[:2] == [DEFAULT_WORDING.danger, DEFAULT_WORDING.option1_closed]
    assert "Urgent calls go to the Emergency Duty Team" in night.xpath("//ul[@id='notes']/li/text()")
    # The 999 line's 12 words and "MASH is closed. Urgent? Press 1" (6) at 150 words a minute.
    assert night.xpath("string(//*[@id='to-option1'])") == "7.2 s (limit 8 s)"
    day = page(client.get("/menu/1?at=2026-11-24T10:00"))
    assert NEW_OPTION2 in day.xpath("//ol[@id='transcript']/li/text()")
    assert post(client, "/menu/1/publish", {}, form_page="/menu/1").status_code == 303
    assert page(client.get("/menu")).xpath("string(//*[@id='playing'])") == "version 1"
    draft(client, closing="Thank you for choosing the right line.")
    post(client, "/menu/2/publish", {}, form_page="/menu/2")
    assert post(client, "/menu/1/rollback", {}, form_page="/menu/1").status_code == 303
    assert page(client.get("/menu")).xpath("string(//*[@id='playing'])") == "version 1"


def test_a_draft_that_breaks_a_rule_is_refused_naming_it_and_keeping_the_text(app):
    client = signed_in_client(app, "supervisor")
    answer = draft(client, option1="For urgent concerns, press 1.")
    assert answer.status_code == 400
    assert "option 1 keeps 'press 1' and 'stay on the line'" in page(answer).xpath("string(//*[@role='alert'])")
    assert page(answer).xpath("//textarea[@id='option1']/text()") == ["For urgent concerns, press 1."]
    assert page(client.get("/menu")).xpath("//table[@id='versions']") == []


def test_a_preview_at_a_time_that_is_not_one_is_a_clear_error(app):
    client = signed_in_client(app, "supervisor")
    draft(client, option2=NEW_OPTION2)
    answer = client.get("/menu/1?at=tomorrow")
    assert answer.status_code == 400 and "at: give a date and time" in answer.get_data(as_text=True)
    assert client.get("/menu/7").status_code == 404


def test_the_posters_wording_is_version_0_and_can_be_restored_from_its_preview(app):
    client = signed_in_client(app, "supervisor")
    draft(client, option2=NEW_OPTION2)
    post(client, "/menu/1/publish", {}, form_page="/menu/1")
    listed = page(client.get("/menu"))
    assert table_rows(listed, "versions")[-1][:2] == ["Version 0", "The default wording"]
    preview = page(client.get("/menu/0?at=2026-11-24T10:00"))
    assert DEFAULT_WORDING.option2 in preview.xpath("//ol[@id='transcript']/li/text()")
    assert post(client, "/menu/0/rollback", {}, form_page="/menu/0").status_code == 303
    assert page(client.get("/menu")).xpath("string(//*[@id='playing'])").startswith("the default wording")


def test_an_announcement_a_running_trial_makes_too_long_is_refused_on_the_page_naming_the_trial(app, engine, clock):
    make_trial(engine, clock.now)  # its "norms" variant lengthens option 2 and the closing line
    client = signed_in_client(app, "supervisor")
    answer = post(client, "/line/announcements", {"form": "announcement", "from": "2026-11-24T09:00",
                                                  "to": "2026-11-24T17:00",
                                                  "say": "We are receiving a high number of calls today, sorry."})
    assert answer.status_code == 400
    alert = page(answer).xpath("string(//*[@role='alert'])")
    assert "trial social-norms variant norms: rule 'a caller who presses nothing reaches MASH within 45 s'" in alert
    assert page(answer).xpath("//input[@id='announcement-say']/@value") == [
        "We are receiving a high number of calls today, sorry."]


def test_a_date_only_end_on_the_page_means_the_whole_day_as_in_the_cli(app):
    client = signed_in_client(app, "supervisor")
    post(client, "/line/closures", {"form": "closure", "service": "EARLY_HELP", "from": "2026-11-24",
                                    "to": "2026-11-24", "say": "Early Help is closed today."})
    assert table_rows(page(client.get("/line")), "closures")[0][2] == "25 Nov 2026 00:00"

