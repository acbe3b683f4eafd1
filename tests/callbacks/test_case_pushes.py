"""Pushes to the case system's webhook: each new contact and status change, signed, retried until accepted."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session, select

from callbacks.worker import Worker
from contacts.states import close_unanswered
from db.contacts import save_contact
from db.models import Call, CasePush, Route
from tests.callback_support import add_contact, add_school, decide
from tests.staff_support import page, signed_in_client, table_rows

SECRET = "a-test-secret-of-at-least-32-characters"


class Receiver:
    """A local case system: answers 500 to the first `failures` pushes, then 200; keeps what it was sent."""

    def __init__(self, failures: int = 0):
        self.failures, self.received = failures, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(500 if len(receiver.received) <= receiver.failures else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/mash-events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def accepted(self) -> list[dict]:
        return [json.loads(body) for n, (_, body) in enumerate(self.received, start=1) if n > self.failures]


@pytest.fixture
def receiver():
    made = Receiver(failures=2)
    yield made
    made.server.shutdown()


@pytest.fixture
def pushing_app(settings_env, receiver, request):
    settings_env.update(CASE_SYSTEM_WEBHOOK_URL=receiver.url, CASE_SYSTEM_WEBHOOK_SECRET=SECRET)
    return request.getfixturevalue("app")


def _pushes(engine) -> list[CasePush]:
    with Session(engine) as session:
        return list(session.exec(select(CasePush).order_by(CasePush.id)))


def test_a_decision_is_pushed_signed_and_after_two_failures_delivered_once(pushing_app, engine, clock, receiver):
    with Session(engine) as session:
        add_school(session)
        contact = add_contact(session, clock.now - timedelta(hours=1))
    worker = Worker(pushing_app)
    worker.push_case_system()  # the first look starts from here: the contact made before is not pushed
    decide(pushing_app, engine, contact, now=clock.now)
    tries = []
    for wait in (timedelta(0), timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10)):
        clock.now += wait
        tries.append(worker.push_case_system())
    assert tries == [0, 0, 1, 0], "delivered at the third try, after waits of 30 s and 2 minutes; then nothing"
    assert len(receiver.received) == 3 and len({body for _, body in receiver.received}) == 1
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Mash-Signature"], expected)
    [pushed] = receiver.accepted()
    assert (pushed["event"], pushed["reference"], pushed["status"], pushed["outcome"]) == (
        "status_changed", contact.reference, "decided", "early_help")
    assert not {"caller", "reason", "name"} & set(pushed), "references and standard codes only"
    [push] = _pushes(engine)
    assert (push.state, push.attempts, push.last_error) == ("delivered", 3, None)


def test_each_new_contact_is_pushed_once_however_many_workers_look(pushing_app, engine, clock, receiver):
    receiver.failures = 0
    first, second = Worker(pushing_app), Worker(pushing_app)
    first.push_case_system()
    with Session(engine) as session:
        add_school(session)
        made = [add_contact(session, clock.now - timedelta(minutes=1)) for _ in range(3)]
        add_contact(session, clock.now - timedelta(seconds=5))  # pushed once it is 30 seconds old
    assert first.push_case_system() + second.push_case_system() == 3
    assert sorted(p["reference"] for p in receiver.accepted()) == sorted(c.reference for c in made)
    assert {p["event"] for p in receiver.accepted()} == {"contact_created"}


def _refused_contact(app, engine, clock, receiver) -> tuple[Worker, object]:
    """A worker that has looked once, a receiver that refuses every push, and a contact made since."""
    receiver.failures = 100
    worker = Worker(app)
    worker.push_case_system()
    with Session(engine) as session:
        add_school(session)
        return worker, add_contact(session, clock.now - timedelta(minutes=1))


def test_a_push_the_receiver_never_takes_is_given_up_as_failed(pushing_app, engine, clock, receiver):
    worker, _ = _refused_contact(pushing_app, engine, clock, receiver)
    for _ in range(12):
        worker.push_case_system()
        clock.now += timedelta(hours=9)
    [push] = _pushes(engine)
    assert (push.state, push.attempts, push.last_error) == ("failed", 9, "HTTP 500")


def test_without_a_webhook_nothing_is_queued(app, engine, clock):
    with Session(engine) as session:
        add_school(session)
        contact = add_contact(session, clock.now - timedelta(hours=1))
    decide(app, engine, contact, now=clock.now)
    assert Worker(app).push_case_system() == 0
    assert _pushes(engine) == []


def test_admins_see_each_push_s_state_tries_and_last_error(pushing_app, engine, clock, receiver):
    worker, contact = _refused_contact(pushing_app, engine, clock, receiver)
    worker.push_case_system()
    doc = page(signed_in_client(pushing_app, "admin").get("/case-system"))
    assert table_rows(doc, "push-counts") == [["1", "0", "0", "0"]], "pending, sending, delivered, failed"
    [row] = table_rows(doc, "pushes")
    assert row[1:5] == ["contact created", contact.reference, "pending", "1"] and row[6] == "HTTP 500"
    assert signed_in_client(pushing_app, "supervisor").get("/case-system").status_code == 403


def test_a_service_contact_the_ivr_closes_is_pushed_too(pushing_app, engine, clock, receiver):
    receiver.failures = 0
    with Session(engine) as session:
        add_school(session)
        call = Call(call_sid="CA" + "7" * 32, caller="+442079460555", started_at=clock.now - timedelta(minutes=2),
                    route=Route.DSL_INFOLINE, service=Route.DSL_INFOLINE, transfer_status="no-answer")
        session.add(call)
        session.flush()
        contact = save_contact(session, call_id=call.id, school_urn=None, caller=call.caller,
                               created_at=call.started_at, promised_by=None, service=Route.DSL_INFOLINE)
        assert close_unanswered(session, call, pushing_app.config["SETTINGS"], clock.now)
        session.commit()
    Worker(pushing_app).push_case_system()
    [pushed] = receiver.accepted()
    assert (pushed["event"], pushed["reference"], pushed["status"]) == ("status_changed", contact.reference, "closed")
