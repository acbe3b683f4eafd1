"""Fixtures for the simulator tests: the app served over real HTTP on loopback, a TwiML stub, the demo schools."""
from __future__ import annotations

import threading

import pytest
from flask import Flask, Response, request
from sqlmodel import Session
from twilio.request_validator import RequestValidator

from schools import DEMO_SCHOOLS_CSV, import_schools
from simulator.scenarios import Target
from simulator.server import serve
from tests.conftest import IN_HOURS, TEST_ENV

TOKEN = TEST_ENV["TWILIO_AUTH_TOKEN"]


@pytest.fixture
def live_url(app):
    """The test app served by a real HTTP server on a free loopback port."""
    with serve(app) as base_url:
        yield base_url


@pytest.fixture
def demo_schools(engine):
    """The demo schools register that `make run` loads (125484 is Atherstone Nursery School)."""
    with Session(engine) as session:
        import_schools(session, DEMO_SCHOOLS_CSV, now=IN_HOURS)
        session.commit()


@pytest.fixture
def target(app, live_url, clock, demo_schools):
    """The served app as the scenario runner sees it: URL, token, settings, database and the app's clock."""
    return Target(live_url, TOKEN, app.config["SETTINGS"], app.extensions["db_engine"], clock)


class TwimlStub:
    """A web app that answers canned TwiML per path and keeps every request it got, with its signature check.

    A path's answer is a document, (status, body), (status, body, content type), or a list of answers
    given in turn. A path in `slow` answers only once `release` is set, so a test can outlast the
    simulator's timeout without reading a clock.
    """

    def __init__(self):
        self.docs: dict[str, str | tuple] = {}
        self.requests: list[dict] = []
        self.slow: set[str] = set()
        self.release = threading.Event()
        self.app = Flask("twiml-stub")
        self.app.add_url_rule("/<path:path>", "any", self.answer, methods=["GET", "POST"])

    def answer(self, path):
        signature = request.headers.get("X-Twilio-Signature", "")
        params = request.form.to_dict() if request.method == "POST" else {}
        self.requests.append({"method": request.method, "path": request.full_path.rstrip("?"),
                              "form": request.form.to_dict(), "args": request.args.to_dict(),
                              "signed": RequestValidator(TOKEN).validate(request.url, params, signature)})
        if "/" + path in self.slow:
            self.release.wait()
        doc = self.docs.get("/" + path, "<Response><Hangup/></Response>")
        if isinstance(doc, list):  # successive answers; the last one repeats
            doc = doc.pop(0) if len(doc) > 1 else doc[0]
        status, body, mimetype = (doc + ("text/xml",))[:3] if isinstance(doc, tuple) else (200, doc, "text/xml")
        return Response(body, status=status, mimetype=mimetype)

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def form(self, path: str) -> dict:
        """The form of the one request made to a path."""
        [found] = [r["form"] for r in self.requests if r["path"] == path]
        return found


@pytest.fixture
def stub():
    """A TwimlStub served on a free loopback port; its URL is stub.url."""
    s = TwimlStub()
    with serve(s.app) as url:
        s.url = url
        try:
            yield s
        finally:
            s.release.set()  # let a held request finish so the server can stop
