"""/contacts: contacts newest first, and with ?overdue=1 those past their promised time, the longest overdue first."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from callbacks import planner
from staff import views
from tests.callback_support import add_contact
from tests.conftest import IN_HOURS
from tests.staff_support import page, signed_in_client, table_rows, utc


def test_the_overdue_page_lists_only_undecided_contacts_past_their_promise_the_oldest_first(app, overdue_week):
    doc = page(signed_in_client(app, "staff").get("/contacts?overdue=1"))
    assert doc.xpath("//h1/text()") == ["Contacts past their promised time"]
    assert table_rows(doc, "contacts") == [
        [overdue_week["oldest"].reference, "MASH", "Not identified", "19 Nov 2026 10:00", "20 Nov 2026 17:00",
         "3 days 17 hours", "Received"],
        [overdue_week["recent"].reference, "MASH", "School 125484", "23 Nov 2026 09:00", "23 Nov 2026 17:30",
         "16 hours 30 minutes", "Received"],
    ]
    assert doc.xpath("//table[@id='contacts']//a/@href") == [f"/contacts/{overdue_week['oldest'].reference}",
                                                              f"/contacts/{overdue_week['recent'].reference}"]


def test_the_overdue_page_shows_the_first_promise_after_the_planner_told_the_school_a_later_one(app, engine, overdue_week):
    with Session(engine) as session:
        planner.schedule_overdue_updates(session, app.config["SETTINGS"], IN_HOURS)
    doc = page(signed_in_client(app, "staff").get("/contacts?overdue=1"))
    rows = table_rows(doc, "contacts")
    assert [row[0] for row in rows] == [overdue_week["oldest"].reference, overdue_week["recent"].reference]
    assert rows[0][4] == "20 Nov 2026 17:00 now expected by 25 Nov 2026 17:30"


def test_with_no_contact_past_its_promise_the_overdue_page_says_so(app, engine):
    with Session(engine) as session:
        add_contact(session, IN_HOURS, promised_by=utc("2026-11-25 17:30"), urn=None)
    doc = page(signed_in_client(app, "staff").get("/contacts?overdue=1"))
    assert table_rows(doc, "contacts") == [["No contact is past its promised time."]]


def test_the_contacts_page_needs_a_sign_in(app):
    response = app.test_client().get("/contacts?overdue=1")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_the_contacts_page_lists_every_contact_newest_first_and_links_to_the_overdue_ones(app, overdue_week):
    doc = page(signed_in_client(app, "staff").get("/contacts"))
    assert [row[0] for row in table_rows(doc, "contacts")] == [
        overdue_week[name].reference for name in ("not_due", "recent", "oldest", "decided", "infoline")]
    assert table_rows(doc, "contacts")[-1][1:5] == ["DSL Infoline", "School 125484", "17 Nov 2026 10:00", "–"]
    assert doc.xpath("//a[@id='overdue-link']/@href") == ["/contacts?overdue=1"]
    assert "Contacts" in doc.xpath("//nav[@aria-label='Main']//a[@aria-current='page']/text()")


def test_the_contacts_page_filters_by_status(app, overdue_week):
    doc = page(signed_in_client(app, "staff").get("/contacts?status=decided"))
    assert [row[0] for row in table_rows(doc, "contacts")] == [overdue_week["decided"].reference]


@pytest.mark.parametrize("query, message", [("status=lost", "'status' must be one of received, being_assessed, "
                                                              "decided, closed, got 'lost'"),
                                            ("overdue=yes", "'overdue' must be 1")])
def test_a_bad_filter_gets_a_400_page_saying_why(app, query, message):
    response = signed_in_client(app, "staff").get(f"/contacts?{query}")
    assert response.status_code == 400
    assert message in page(response).xpath("//p[@class='lead']/text()")[0]


def test_a_long_list_is_cut_and_says_so(app, overdue_week, monkeypatch):
    monkeypatch.setattr(views, "MAX_LISTED", 1)
    doc = page(signed_in_client(app, "staff").get("/contacts?overdue=1"))
    assert [row[0] for row in table_rows(doc, "contacts")] == [overdue_week["oldest"].reference]
    assert doc.xpath("//p[@id='contacts-count']/text()") == ["The first 1 contacts are shown: there are more."]
