"""Attack surface: a no-further-action reason typed by staff ("Jane Doe aged 7") is texted to the DSL verbatim."""
from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlmodel import Session, select

from contacts.states import ContactError, save_status
from db.models import AuditEvent, Callback
from staff.reasons import reasons_group
from tests.callback_support import MOBILE, add_contact, add_school
from tests.conftest import IN_HOURS
from tests.staff_support import form_token, page, signed_in_client

CHILD = "Jane Doe aged 7"


@pytest.fixture
def contact(engine):
    with Session(engine, expire_on_commit=False) as session:
        add_school(session, numbers={MOBILE: "dsl"})
        return add_contact(session, IN_HOURS, caller=MOBILE)


def decide(app, engine, contact, **kwargs):
    with Session(engine) as session:
        return save_status(session, contact.reference, "decided", outcome="no_further_action", actor="Sam Staff",
                           settings=app.config["SETTINGS"], now=IN_HOURS, **kwargs)


def test_a_staff_note_is_kept_inside_and_only_the_standard_wording_is_sent(app, engine, contact):
    decide(app, engine, contact, reason_code="school_support", note=CHILD)
    with Session(engine) as session:
        [callback] = session.exec(select(Callback)).all()
    assert "The school's own support meets the need" in callback.body and "Jane" not in callback.body


def test_free_text_cannot_stand_in_for_a_standard_reason(app, engine, contact):
    with pytest.raises(ContactError, match="Unknown standard reason"):
        decide(app, engine, contact, reason_code=CHILD)
    with pytest.raises(ContactError, match="needs a standard reason"):
        decide(app, engine, contact, note=CHILD)


def test_the_contact_form_offers_only_the_standard_reasons(app, engine, contact):
    client = signed_in_client(app, "staff")
    options = page(client.get(f"/contacts/{contact.reference}")).xpath("//select[@name='reason_code']/option/@value")
    assert options == ["", "school_support", "early_help", "below_threshold"]


def test_an_admin_adds_a_reason_and_retires_one_and_the_form_follows(app, engine, contact, clock):
    admin = signed_in_client(app, "admin")
    token = form_token(admin, "/reasons")
    clock.now += timedelta(minutes=1)
    assert admin.post("/reasons", data={"csrf_token": token, "code": "known_to_social_care",
                                         "text": "Already known to children's social care."}).status_code == 302
    assert admin.post("/reasons/early_help/active", data={"csrf_token": token, "active": "0"}).status_code == 302
    staff = signed_in_client(app, "staff", "sam")
    options = page(staff.get(f"/contacts/{contact.reference}")).xpath("//select[@name='reason_code']/option/@value")
    assert options == ["", "school_support", "below_threshold", "known_to_social_care"]
    assert staff.get("/reasons").status_code == 403  # admins only
    with Session(engine) as session:
        actions = [a.action for a in session.exec(select(AuditEvent).where(AuditEvent.action.like("reason_%")))]
    assert actions == ["reason_added", "reason_retired"]


def test_a_reason_wording_must_be_short_and_its_code_plain(app):
    admin = signed_in_client(app, "admin")
    token = form_token(admin, "/reasons")
    bad = admin.post("/reasons", data={"csrf_token": token, "code": "Bad Code!", "text": "x"})
    assert bad.status_code == 400 and "lower-case" in page(bad).text_content()


def test_the_reasons_command_lists_adds_and_retires(app):
    def run(*args):
        return CliRunner().invoke(reasons_group, list(args), obj=ScriptInfo(create_app=lambda: app))

    assert run("add", "known_to_social_care", "Already known to children's social care.").exit_code == 0
    assert run("retire", "early_help").exit_code == 0
    listing = run("list").output
    assert "known_to_social_care" in listing and "early_help           retired" in listing
    assert run("retire", "no_such_code").exit_code == 1
