"""The hot path: every webhook of a call is at most one transaction, with only the statements it needs."""
from __future__ import annotations

import re

import pytest
from flask import has_request_context, request
from sqlalchemy import event

from tests.twilio_client import call_params, next_url

CONTROL = re.compile(r"^\s*(BEGIN|SAVEPOINT|RELEASE|ROLLBACK TO)\b", re.IGNORECASE)
# Every webhook first reads the line settings' revision (one primary-key read; the settings are cached per process).
REVISION = ("SELECT", "lineconfig")
FIRST_WEBHOOK = [REVISION, ("SELECT", "schoolphone"), ("SELECT", "trial"), ("INSERT", "call"), ("INSERT", "callstep")]
# Every menu key: the revision, the call, its step, then what the key changes (a MASH route also opens a contact).
MENU_KEYS = {key: [REVISION, *statements] for key, statements in {
    # The call is updated before its contact is inserted: pending changes are flushed outside the savepoint.
    "1": [("SELECT", "call"), ("INSERT", "callstep"), ("UPDATE", "call"), ("INSERT", "contact")],
    "2": [("SELECT", "call"), ("INSERT", "callstep"), ("UPDATE", "call")],
    "3": [("SELECT", "call"), ("INSERT", "callstep"), ("UPDATE", "call")],
    # Option 4 looks up the caller's own open contacts, to read them before asking for a reference.
    "4": [("SELECT", "call"), ("INSERT", "callstep"), ("UPDATE", "call"), ("SELECT", "contact")],
    None: [("SELECT", "call"), ("INSERT", "callstep"), ("UPDATE", "call")],  # silence: the gather timed out
    "9": [("SELECT", "call"), ("INSERT", "callstep"), ("UPDATE", "call")],  # not an option
}.items()}


class Ledger:
    """What each webhook did to the database, from the engine's own events: transactions and statements."""

    def __init__(self, engine):
        self.sqlite = engine.dialect.name == "sqlite"
        self.webhooks: list[dict] = []
        event.listen(engine, "begin", lambda _conn: self._count("begins"))
        event.listen(engine, "commit", lambda _conn: self._count("commits"))
        event.listen(engine, "rollback", lambda _conn: self._count("rollbacks"))
        event.listen(engine, "before_cursor_execute", self._statement)

    def _now(self) -> dict | None:
        if not has_request_context() or not request.path.startswith("/voice"):
            return None
        if not self.webhooks or self.webhooks[-1]["request"] is not request._get_current_object():
            self.webhooks.append({"request": request._get_current_object(), "path": request.full_path,
                                  "begins": 0, "commits": 0, "rollbacks": 0, "control": 0, "statements": []})
        return self.webhooks[-1]

    def _count(self, what: str) -> None:
        entry = self._now()
        if entry is not None:
            entry[what] += 1

    def _statement(self, _conn, _cursor, statement, _params, _context, _many) -> None:
        entry = self._now()
        if entry is None:
            return
        if CONTROL.match(statement):
            entry["control"] += 1
            return
        words = statement.split()
        verb = words[0].upper()
        table = words[words.index("FROM" if verb == "SELECT" else "INTO" if verb == "INSERT" else verb) + 1]
        entry["statements"].append((verb, table.strip('"').lower()))

    def last(self) -> dict:
        return self.webhooks[-1]


@pytest.fixture
def ledger(engine):
    return Ledger(engine)


def one_transaction(ledger: Ledger, entry: dict) -> None:
    """At most one transaction, committed, never rolled back; on SQLite its BEGIN IMMEDIATE and no savepoint."""
    assert entry["begins"] <= 1, entry
    assert entry["commits"] == 1, entry
    assert entry["rollbacks"] == 0, entry
    if ledger.sqlite:
        assert entry["control"] == 1, entry


@pytest.mark.parametrize("key", list(MENU_KEYS))
def test_each_menu_key_is_one_transaction_after_a_first_webhook_of_one_transaction(twilio, ledger, key):
    greeting = twilio.twiml("/voice/incoming", call_params())
    first = ledger.last()
    one_transaction(ledger, first)
    assert first["statements"] == FIRST_WEBHOOK

    twilio.twiml(next_url(greeting), call_params(**({"Digits": key} if key else {})))
    menu = ledger.last()
    assert menu["path"].startswith("/voice/menu"), menu["path"]  # the menu webhook's own entry, not the first's
    one_transaction(ledger, menu)
    assert menu["statements"] == MENU_KEYS[key]


def test_a_repeated_first_webhook_is_still_one_transaction_and_changes_nothing(twilio, ledger):
    twilio.twiml("/voice/incoming", call_params())
    twilio.twiml("/voice/incoming", call_params())
    repeat = ledger.last()
    one_transaction(ledger, repeat)
    # The INSERT finds the CallSid taken and the step already recorded: no savepoint, no second transaction.
    assert repeat["statements"] == FIRST_WEBHOOK[:4] + [("SELECT", "call"), ("INSERT", "callstep")]


def test_a_whole_urgent_call_is_one_transaction_per_webhook(twilio, ledger):
    doc = twilio.twiml("/voice/incoming", call_params())
    doc = twilio.twiml(next_url(doc), call_params(Digits="1"))
    doc = twilio.twiml(next_url(doc), call_params(DialCallStatus="no-answer"))
    doc = twilio.twiml(next_url(doc), call_params(DialCallStatus="no-answer"))
    twilio.twiml(next_url(doc), call_params(RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/"
                                                         f"{'AC' + '0' * 32}/Recordings/RE{'4' * 32}"))
    assert twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="61")).status_code == 204
    assert len(ledger.webhooks) == 6
    for entry in ledger.webhooks:
        one_transaction(ledger, entry)
