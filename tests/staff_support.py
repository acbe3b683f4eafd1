"""Helpers for the staff page tests: accounts, signing in with the CSRF token, and a seeded month of calls.

The seeded calls (test clock: Tuesday 24 November 2026, 10:00 GMT) and the figures they must give for the
default period (26 October to 24 November) are written out here once, so every test checks the same sums.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lxml import html
from sqlmodel import select

from db.models import Call, Callback, Contact, School
from db.session import session_scope
from db.users import get_user_by_name, save_user_services
from staff.auth import create_user
from tests.conftest import IN_HOURS, TEST_ENV

PASSWORD = "correct horse battery"
PLAYABLE = f"RE{6:032d}"  # the one recording the stand-in of tests/staff/conftest.py plays
SCHOOLS = [(100001, "Abbey Primary School", 200), (100002, "Brook Academy", 1000),
           (100003, "Castle Infant School", None)]


def utc(text: str) -> datetime:
    """'2026-11-10 09:00' as an aware UTC instant (GMT = London time in November)."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# (id, start, in hours, route, service, school URN, transfer, seconds to route, no-input, invalid keys)
CALLS = [
    (1, "2026-11-10 09:00", True, "MASH", None, 100001, "completed", 12, 0, 0),
    (2, "2026-11-10 09:30", True, "DSL_INFOLINE", None, 100001, "completed", 30, 0, 1),
    (3, "2026-11-12 14:00", True, "EARLY_HELP", None, 100002, "completed", 40, 0, 0),
    (4, "2026-11-12 14:10", True, "ABANDONED", None, None, None, None, 1, 0),
    (5, "2026-11-15 22:00", False, "EDT", None, 100002, "completed", 8, 0, 0),
    (6, "2026-11-20 10:00", True, "VOICEMAIL", "MASH", 100001, "no-answer", 20, 0, 0),
    (7, "2026-11-23 11:00", True, "MASH", None, 100002, "completed", 10, 0, 0),
    (8, "2026-11-24 09:15", True, "DSL_INFOLINE", None, None, "completed", 25, 1, 0),
    (9, "2026-11-24 08:00", False, "STATUS_CHECK", None, None, None, 15, 0, 0),
    (10, "2026-10-20 10:00", True, "MASH", None, 100003, "completed", 11, 0, 0),  # before the default period
    (11, "2026-11-18 13:00", True, "MASH", None, 100002, "completed", 9, 0, 0),
]
# Contacts of calls 1, 11 and 7: Abbey rang MASH again (call 6) and Brook did (call 7); nobody after call 7.
CONTACTS = [("400001", 1), ("400011", 11), ("400007", 7)]
CALLBACKS = [("400001", "delivered"), ("400011", "failed"), ("400007", "scheduled")]

# What the default period must show.
EXPECTED = {
    "calls": 10,
    "by_route": {"MASH": 3, "DSL_INFOLINE": 2, "EARLY_HELP": 1, "EDT": 1, "STATUS_CHECK": 1, "VOICEMAIL": 1,
                 "ABANDONED": 1, "IN_PROGRESS": 0},
    "diversion": {"diverted": 3, "routed": 8, "rate": 0.375},
    "abandonment_rate": 0.1,
    "no_input_rate": 0.2,
    "invalid_key_rate": 0.1,
    "median_seconds_to_route": 15.0,
    "transfer_outcomes": {"completed": 7, "no-answer": 1},
    "identified": 7,
    # None of the contacts is 14 days old on the 24th: all three are still open to follow-up.
    "follow_up": {"contacts": 0, "followed_up": 0, "pending_contacts": 3},
    "callbacks": {"delivered": 1, "failed": 1, "scheduled": 1},
    "in_hours_calls": 8,
    "out_of_hours_calls": 2,
    # urn: (rank, calls, MASH contacts, per 100 pupils)
    "schools": {100002: (1, 4, 3, 0.3), 100001: (2, 3, 2, 1.0)},
}


def caller_for(call_id: int) -> str:
    """A different made-up caller number for each call (+44 121 496 0xxx)."""
    return f"+44121496{call_id:04d}"


def sid_for(call_id: int) -> str:
    """The CallSid of a seeded call."""
    return f"CA{call_id:032d}"


def seed_month(engine) -> None:
    """Store the schools, calls, contacts and callbacks above."""
    with session_scope(engine) as session:
        session.add_all(School(urn=urn, name=name, pupils=pupils, updated_at=utc(CALLS[0][1]))
                        for urn, name, pupils in SCHOOLS)
        session.flush()
        for call_id, start, in_hours, route, service, urn, transfer, to_route, no_input, invalid in CALLS:
            started = utc(start)
            session.add(Call(
                call_sid=sid_for(call_id), caller=caller_for(call_id), called="+442079460001",
                started_at=started, ended_at=started + timedelta(minutes=3), duration_s=180, in_hours=in_hours,
                route=route, service=service or route, transfer_status=transfer, school_urn=urn,
                routed_at=started + timedelta(seconds=to_route) if to_route is not None else None,
                no_input_count=no_input, invalid_count=invalid, urgent_flag=route == "VOICEMAIL",
                recording_url=(f"https://api.twilio.com/2010-04-01/Accounts/{TEST_ENV['TWILIO_ACCOUNT_SID']}/Recordings/RE{6:032d}"
                               if route == "VOICEMAIL" else None)))
        session.flush()
        calls = {int(call.call_sid[2:]): call for call in session.exec(select(Call))}
        contacts = {}
        for reference, call_id in CONTACTS:
            call = calls[call_id]
            contacts[reference] = Contact(reference=reference, call_id=call.id, school_urn=call.school_urn,
                                          caller=call.caller, created_at=call.started_at)
            session.add(contacts[reference])
        session.flush()
        for reference, state in CALLBACKS:
            contact = contacts[reference]
            session.add(Callback(contact_id=contact.id, kind="reference", channel="sms", to_number=contact.caller,
                                 body=f"MASH reference {reference}", due_at=contact.created_at, state=state,
                                 attempts=1, created_at=contact.created_at, updated_at=contact.created_at))


# What MASH decided for two of the contacts above, for the outcome figures (decide_seeded_contacts).
SEEDED_OUTCOMES = {"400001": "no_further_action", "400011": "social_care_assessment"}


def decide_seeded_contacts(engine) -> None:
    """Give two of the seeded contacts MASH's decision (most tests need them still received)."""
    with session_scope(engine) as session:
        for contact in session.exec(select(Contact).where(Contact.reference.in_(SEEDED_OUTCOMES))):
            contact.status, contact.outcome = "decided", SEEDED_OUTCOMES[contact.reference]
            contact.decided_at = contact.created_at + timedelta(hours=4)


def add_user(app, username: str, role: str = "staff", password: str = PASSWORD) -> None:
    """An account to sign in with, hashed as the app hashes (cheaply under IVR_ENV=test)."""
    with app.app_context(), session_scope(app.extensions["db_engine"]) as session:
        create_user(session, username, password, role, IN_HOURS, actor="test")


def join_team(app, username: str, *services: str) -> None:
    """Make these services the account's teams."""
    with session_scope(app.extensions["db_engine"]) as session:
        save_user_services(session, get_user_by_name(session, username).id, list(services))


def form_token(client, path: str) -> str:
    """The CSRF token of the first form on a page."""
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} answered {page.status_code}"
    return html.fromstring(page.data).xpath("//input[@name='csrf_token']/@value")[0]


def sign_in(client, username: str, password: str = PASSWORD, next_path: str = ""):
    """Sign in through the login form (with its CSRF token); returns the response."""
    token = form_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password,
                                       "next": next_path})


def signed_in_client(app, role: str = "supervisor", username: str | None = None):
    """A test client signed in as a new account with this role."""
    username = username or f"{role}-user"
    add_user(app, username, role)
    client = app.test_client()
    response = sign_in(client, username)
    assert response.status_code == 302, response.data
    return client


def mash_staff_client(app, username: str = "mash-staff"):
    """A test client signed in as a staff account in the MASH team (who may play MASH's messages)."""
    client = signed_in_client(app, "staff", username)
    join_team(app, username, "MASH")
    return client


def page(response):
    """A response body as an lxml HTML tree."""
    return html.fromstring(response.data)


def table_rows(doc, table_id: str) -> list[list[str]]:
    """The body rows of a table as lists of cell texts (none for an empty table's "Nothing in this period")."""
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
            for row in doc.xpath(f"//table[@id='{table_id}']/tbody/tr[not(@class='table-empty')]")]
