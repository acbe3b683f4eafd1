"""The case system's API: statuses posted as events, applied once, with a status code for every refusal."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import requests
from sqlmodel import Session, select

from db.models import Callback, Contact, ContactEvent
from staff.cli import tokens_group
from tests.callback_support import add_contact, add_school, callbacks_of
from tests.conftest import IN_HOURS
from tests.db_support import lock_held_on

OCCURRED = "2026-11-24T09:30:00Z"


def make_token(app, name: str, *scopes: str) -> str:
    args = ["create", name] + [arg for scope in scopes for arg in ("--scope", scope)]
    result = app.test_cli_runner().invoke(tokens_group, args)
    assert result.exit_code == 0, result.output
    return result.stdout.split(": ", 1)[1].strip()


@pytest.fixture
def case_system(app):
    return {"Authorization": f"Bearer {make_token(app, 'lcs', 'contacts:write')}"}


@pytest.fixture
def contact(engine) -> Contact:
    with Session(engine) as session:
        add_school(session)
        return add_contact(session, IN_HOURS - timedelta(hours=2))


def event(**changes) -> dict:
    return {"event_id": "LCS-1001", "status": "decided", "outcome": "early_help", "occurred_at": OCCURRED,
            "actor": "Sam Social Worker", **changes}


def post(app, reference: str, body, headers: dict):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return app.test_client().post(f"/api/contacts/{reference}/events", data=data, headers=headers,
                                  content_type="application/json")


def test_a_decision_from_the_case_system_is_applied_with_its_time_and_schedules_one_callback(
        app, engine, contact, case_system):
    response = post(app, contact.reference, event(), case_system)
    assert response.status_code == 201
    assert response.get_json() == {"applied": True, "event_id": "LCS-1001", "reference": contact.reference,
                                   "status": "decided", "outcome": "early_help", "created_at": "2026-11-24T08:00:00Z",
                                   "school_urn": contact.school_urn, "route": "MASH",
                                   "promised_by": contact.promised_by.isoformat().replace("+00:00", "Z")}
    with Session(engine) as session:
        saved = session.get(Contact, contact.id)
        [change] = session.exec(select(ContactEvent).where(ContactEvent.contact_id == contact.id)).all()
    assert (saved.status, saved.outcome, saved.decided_at.isoformat()) == ("decided", "early_help",
                                                                          "2026-11-24T09:30:00+00:00")
    assert (change.actor, change.event_id) == ("Sam Social Worker", "LCS-1001")
    assert [c.kind for c in callbacks_of(engine, contact.id)] == ["decision"]


def test_the_same_event_sent_again_changes_nothing_and_answers_200(app, engine, contact, case_system):
    assert post(app, contact.reference, event(), case_system).status_code == 201
    again = post(app, contact.reference, event(outcome="strategy_discussion"), case_system)
    assert (again.status_code, again.get_json()["applied"], again.get_json()["outcome"]) == (200, False, "early_help")
    with Session(engine) as session:
        assert len(session.exec(select(ContactEvent)).all()) == 1
    assert len(callbacks_of(engine, contact.id)) == 1


def test_a_move_backwards_or_to_the_same_status_is_a_conflict(app, contact, case_system):
    assert post(app, contact.reference, event(), case_system).status_code == 201
    back = post(app, contact.reference, event(event_id="LCS-1002", status="being_assessed", outcome=None),
                case_system)
    same = post(app, contact.reference, event(event_id="LCS-1003"), case_system)
    assert (back.status_code, back.get_json()["field"]) == (409, "status")
    assert (same.status_code, same.get_json()["error"]) == (409, "The contact is already decided.")


@pytest.mark.parametrize("body, field", [
    (event(outcome=None), "outcome"),
    (event(outcome="no_further_action"), "reason_code"),
    (event(outcome="made_up"), "outcome"),
    (event(status="filed"), "status"),
    (event(reason_code="NOT-A-CODE", outcome="no_further_action"), "reason_code"),
    (event(occurred_at="24/11/2026 09:30"), "occurred_at"),
    (event(occurred_at="2026-11-24T09:30:00"), "occurred_at"),
    (event(occurred_at="2026-11-25T09:30:00Z"), "occurred_at"),
    (event(occurred_at="2026-11-23T09:30:00Z"), "occurred_at"),  # before the contact was made
    (event(event_id=None), "event_id"),
    (event(actor=" "), "actor"),
    (event(event_id=1001), "event_id"),
    (event(event_id="x" * 101), "event_id"),
    ({**event(), "child_name": "A Child"}, "child_name"),
])
def test_an_invalid_event_is_refused_with_422_naming_the_field_and_changes_nothing(
        app, engine, contact, case_system, body, field):
    response = post(app, contact.reference, body, case_system)
    assert (response.status_code, response.get_json()["field"]) == (422, field), response.get_json()
    assert response.get_json()["error"]
    with Session(engine) as session:
        assert session.get(Contact, contact.id).status == "received"
        assert session.exec(select(Callback)).all() == []


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"decided"'])
def test_a_body_that_is_not_one_json_object_is_refused_with_422(app, contact, case_system, body):
    response = post(app, contact.reference, body, case_system)
    assert response.status_code == 422 and "JSON object" in response.get_json()["error"]


def test_an_unknown_reference_is_404(app, contact, case_system):
    response = post(app, "999999", event(), case_system)
    assert (response.status_code, response.get_json()["field"]) == (404, "reference")


def test_a_body_over_16_kib_is_refused_with_413(app, contact, case_system):
    response = post(app, contact.reference, event(actor="x" * (17 * 1024)), case_system)
    assert response.status_code == 413 and response.is_json


def test_without_a_token_401_and_with_a_stats_token_403(app, engine, contact):
    stats_only = {"Authorization": f"Bearer {make_token(app, 'bi')}"}
    assert post(app, contact.reference, event(), {}).status_code == 401
    refused = post(app, contact.reference, event(), stats_only)
    assert refused.status_code == 403 and "contacts:write" in refused.get_json()["error"]
    with Session(engine) as session:
        assert session.get(Contact, contact.id).status == "received"


def test_a_case_system_token_reads_no_stats_unless_it_has_both_scopes(app):
    client = app.test_client()
    only_contacts = {"Authorization": f"Bearer {make_token(app, 'lcs', 'contacts:write')}"}
    both = {"Authorization": f"Bearer {make_token(app, 'both', 'contacts:write', 'stats:read')}"}
    assert client.get("/api/stats", headers=only_contacts).status_code == 403
    assert client.get("/api/stats", headers=both).status_code == 200
    assert client.get("/api/contacts", headers=both).status_code == 200


def _post_at_once(url: str, bodies: list[dict], headers: dict) -> list[int]:
    """Each body POSTed from its own thread, released together."""
    barrier, codes = threading.Barrier(len(bodies)), [0] * len(bodies)

    def send(n: int) -> None:
        barrier.wait()
        codes[n] = requests.post(url, json=bodies[n], headers=headers, timeout=30).status_code
    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(codes)


def _five_contacts(engine, live) -> list[tuple[Contact, str]]:
    """Five contacts, each with its events URL on the loopback server (five tries at a race)."""
    with Session(engine) as session:
        add_school(session)
        contacts = [add_contact(session, IN_HOURS - timedelta(hours=2)) for _ in range(5)]
    return [(c, f"{live.app_url}/api/contacts/{c.reference}/events") for c in contacts]


def test_the_same_event_sent_twice_at_once_is_applied_once(app, engine, live, case_system):
    for contact, url in _five_contacts(engine, live):
        same = event(event_id=f"LCS-{contact.reference}")
        assert _post_at_once(url, [same, same], case_system) == [200, 201]
        assert len(callbacks_of(engine, contact.id)) == 1


def test_two_decisions_at_once_give_one_decision_and_one_conflict(app, engine, live, case_system):
    for contact, url in _five_contacts(engine, live):
        first, second = event(event_id=f"A-{contact.reference}"), event(event_id=f"B-{contact.reference}")
        assert _post_at_once(url, [first, second], case_system) == [201, 409]
        assert len(callbacks_of(engine, contact.id)) == 1


def test_new_contacts_are_read_a_page_at_a_time_oldest_first_from_the_cursor(app, engine, case_system):
    with Session(engine) as session:
        add_school(session)
        made = [add_contact(session, IN_HOURS - timedelta(minutes=10 - n)).reference for n in range(5)]
        add_contact(session, IN_HOURS - timedelta(seconds=10))  # listed once it is 30 seconds old
    client, pages, cursor = app.test_client(), [], "0"
    for _ in range(4):
        reply = client.get(f"/api/contacts?since={cursor}&limit=2", headers=case_system).get_json()
        pages.append(([c["reference"] for c in reply["contacts"]], reply["more"]))
        cursor = reply["next_cursor"]
    assert pages == [(made[:2], True), (made[2:4], True), (made[4:], False), ([], False)]
    [first] = client.get("/api/contacts?limit=1", headers=case_system).get_json()["contacts"]
    assert set(first) == {"reference", "created_at", "school_urn", "route", "promised_by", "status"}
    assert (first["created_at"], first["status"], first["route"]) == ("2026-11-24T09:50:00Z", "received", "MASH")


@pytest.mark.parametrize("query", ["since=abc", "since=-1", "since=99999999999999999999", "limit=0", "limit=1001",
                                   "limit=ten", "limit=١"])
def test_a_bad_cursor_or_limit_is_a_400_saying_what_is_allowed(app, case_system, query):
    response = app.test_client().get(f"/api/contacts?{query}", headers=case_system)
    assert response.status_code == 400 and response.get_json()["error"]


@pytest.mark.parametrize("body, field", [
    ("[" * 15000, None),  # nested past the parser's depth: not an event
    (json.dumps(event(actor="Sam\x00")), "actor"),
    (json.dumps(event(event_id="LCS-\n1")), "event_id"),
])
def test_a_body_no_parser_or_database_would_take_is_a_422_not_a_500(app, contact, case_system, body, field):
    response = post(app, contact.reference, body, case_system)
    assert (response.status_code, response.get_json()["field"]) == (422, field)


@pytest.mark.parametrize("reference", ["12345x", "1234567", "\u0661\u0662\u0663\u0664\u0665\u0666"])
def test_a_reference_that_is_not_six_digits_is_404(app, contact, case_system, reference):
    response = post(app, reference, event(), case_system)
    assert (response.status_code, response.get_json()["field"]) == (404, "reference")


def test_a_time_with_another_offset_is_kept_in_utc(app, engine, contact, case_system):
    assert post(app, contact.reference, event(occurred_at="2026-11-24T09:30:00+01:00"), case_system).status_code == 201
    with Session(engine) as session:
        assert session.get(Contact, contact.id).decided_at.isoformat() == "2026-11-24T08:30:00+00:00"


def test_a_page_ends_at_the_first_contact_too_young_to_list_even_if_a_later_id_is_older(app, engine, case_system):
    with Session(engine) as session:
        add_school(session)
        young = add_contact(session, IN_HOURS - timedelta(seconds=20))  # the lower id, made later
        add_contact(session, IN_HOURS - timedelta(minutes=5))
    reply = app.test_client().get("/api/contacts", headers=case_system).get_json()
    assert (reply["contacts"], reply["next_cursor"]) == ([], "0"), f"{young.reference} would be skipped for good"


def test_while_the_database_is_locked_an_event_is_answered_503_and_applied_when_sent_again(
        app, engine, contact, case_system):
    with lock_held_on(engine, "contact"):
        busy = post(app, contact.reference, event(), case_system)
    assert (busy.status_code, busy.headers["Retry-After"]) == (503, "5")
    assert post(app, contact.reference, event(), case_system).status_code == 201
