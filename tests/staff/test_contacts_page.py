"""/contacts: contacts newest first, and with ?overdue=1 those past their promised time, the longest overdue first."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from callbacks import planner
from db.models import Contact, Route
from staff import views
from tests.callback_support import add_contact, add_school, decide
from tests.conftest import IN_HOURS
from tests.staff_support import page, signed_in_client, table_rows, utc


@pytest.fixture
def week(app, engine) -> dict[str, Contact]:
    """At Tuesday 24 November 10:00: two contacts past their promise, one not yet due, one decided late, and an
    Infoline one (no promise)."""
    with Session(engine) as session:
        add_school(session)
        contacts = {
            "recent": add_contact(session, utc("2026-11-23 09:00"), promised_by=utc("2026-11-23 17:30")),
            "not_due": add_contact(session, utc("2026-11-24 09:00"), promised_by=utc("2026-11-25 17:30")),
            "oldest": add_contact(session, utc("2026-11-19 10:00"), promised_by=utc("2026-11-20 17:00"), urn=None),
            "decided": add_contact(session, utc("2026-11-18 10:00"), promised_by=utc("2026-11-19 17:30")),
            "infoline": add_contact(session, utc("2026-11-17 10:00"), service=Route.DSL_INFOLINE),
        }
    decide(app, engine, contacts["decided"], now=utc("2026-11-23 11:00"))
    return contacts


def test_the_overdue_page_lists_only_undecided_contacts_past_their_promise_the_oldest_first(app, week):
    doc = page(signed_in_client(app, "staff").get("/contacts?overdue=1"))
    assert doc.xpath("//h1/text()") == ["Contacts past their promised time"]
    assert table_rows(doc, "contacts") == [
        [week["oldest"].reference, "MASH", "Not identified", "19 Nov 2026 10:00", "20 Nov 2026 17:00",
         "3 days 17 hours", "Received"],
        [week["recent"].reference, "MASH", "School 125484", "23 Nov 2026 09:00", "23 Nov 2026 17:30",
         "16 hours 30 minutes", "Received"],
    ]
    assert doc.xpath("//table[@id='contacts']//a/@href") == [f"/contacts/{week['oldest'].reference}",
                                                              f"/contacts/{week['recent'].reference}"]


def test_the_overdue_page_shows_the_first_promise_after_the_planner_told_the_school_a_later_one(app, engine, week):
    with Session(engine) as session:
        planner.schedule_overdue_updates(session, app.config["SETTINGS"], IN_HOURS)
    doc = page(signed_in_client(app, "staff").get("/contacts?overdue=1"))
    rows = table_rows(doc, "contacts")
    assert [row[0] for row in rows] == [week["oldest"].reference, week["recent"].reference]
    assert rows[0][4] == "20 Nov 2026 17:00 now expected by 25 Nov 2026 17:30"


def test_with_no_contact_past_its_promise_the_overdue_page_says_so(app, engine):
    with Session(engine) as session:
        add_contact(session, IN_HOURS, promised_by=utc("2026-11-25 17:30"), urn=None)
    doc = page(signed_in_client(app, "staff").get("/contacts?overdue=1"))
    assert table_rows(doc, "contacts") == [["No contact is past its promised time."]]


def test_the_contacts_page_needs_a_sign_in(app):
    response = app.test_client().get("/contacts?overdue=1")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_the_contacts_page_lists_every_contact_newest_first_and_links_to_the_overdue_ones(app, week):
    doc = page(signed_in_client(app, "staff").get("/contacts"))
    assert [row[0] for row in table_rows(doc, "contacts")] == [
        week[name].reference for name in ("not_due", "recent", "oldest", "decided", "infoline")]
    assert table_rows(doc, "contacts")[-1][1:5] == ["DSL Infoline", "School 125484", "17 Nov 2026 10:00", "–"]
    assert doc.xpath("//a[@id='overdue-link']/@href") == ["/contacts?overdue=1"]
    assert "Contacts" in doc.xpath("//nav[@aria-label='Main']//a[@aria-current='page']/text()")


def test_the_contacts_page_filters_by_status(app, week):
    doc = page(signed_in_client(app, "staff").get("/contacts?status=decided"))
    assert [row[0] for row in table_rows(doc, "contacts")] == [week["decided"].reference]


@pytest.mark.parametrize("query, message", [("status=lost", "'status' must be one of received, being_assessed, "
                                                              "decided, closed, got 'lost'"),
                                            ("overdue=yes", "'overdue' must be 1")])
def test_a_bad_filter_gets_a_400_page_saying_why(app, query, message):
    response = signed_in_client(app, "staff").get(f"/contacts?{query}")
    assert response.status_code == 400
    assert message in page(response).xpath("//p[@class='lead']/text()")[0]


def test_a_long_list_is_cut_and_says_so(app, week, monkeypatch):
    monkeypatch.setattr(views, "MAX_LISTED", 1)
    doc = page(signed_in_client(app, "staff").get("/contacts?overdue=1"))
    assert [row[0] for row in table_rows(doc, "contacts")] == [week["oldest"].reference]
    assert doc.xpath("//p[@id='contacts-count']/text()") == ["The first 1 contacts are shown: there are more."]
