"""Two changes to one contact at once, from any two of the staff form, the CLI and the case system: the second
waits for the first and meets its status, so a decision is made once."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlmodel import Session, select

from contacts.states import ContactError, save_status
from db.models import Contact, ContactEvent
from tests.callback_support import add_contact, add_school, callbacks_of
from tests.conftest import IN_HOURS


def test_a_decision_saved_while_another_is_being_saved_waits_and_is_refused(app, engine):
    with Session(engine) as session:
        add_school(session)
        contact = add_contact(session, IN_HOURS - timedelta(hours=1))
    settings, outcome = app.config["SETTINGS"], {}
    first, second = Session(engine), Session(engine)
    started = threading.Event()

    def decide_first():
        # The first change has locked the contact and written, and commits half a second later.
        original = first.commit
        first.commit = lambda: (started.set(), time.sleep(0.5), original())
        save_status(first, contact.reference, "decided", outcome="early_help", actor="Case system",
                    settings=settings, now=IN_HOURS)

    thread = threading.Thread(target=decide_first)
    thread.start()
    assert started.wait(10)
    try:
        save_status(second, contact.reference, "decided", outcome="strategy_discussion", actor="Sam Staff",
                    settings=settings, now=IN_HOURS)
    except ContactError as error:
        outcome["error"] = error
    thread.join(10)
    first.close(), second.close()
    assert outcome["error"].conflict and str(outcome["error"]) == "The contact is already decided."
    with Session(engine) as session:
        assert session.get(Contact, contact.id).outcome == "early_help"
        assert len(session.exec(select(ContactEvent)).all()) == 1
    assert [c.kind for c in callbacks_of(engine, contact.id)] == ["decision"]
