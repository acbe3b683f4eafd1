"""Texts come from the Messaging Service, else the alphanumeric sender ID, else the number (never the landline
by accident), and tell the DSL not to reply."""
from __future__ import annotations

import dataclasses

import pytest

from callbacks.planner import schedule_update
from callbacks.worker import Worker
from db.session import session_scope
from tests.callback_support import IVR_NUMBER, MOBILE, add_contact
from tests.conftest import IN_HOURS

pytestmark = pytest.mark.twilio_stand_in

SERVICE = "MG" + "ab" * 16


def send_one_text(app, engine, live, **settings) -> dict:
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], **settings)
    with session_scope(engine) as session:
        contact = add_contact(session, IN_HOURS, caller=MOBILE, urn=None)
        schedule_update(session, contact, "reference", app.config["SETTINGS"], IN_HOURS)
    assert Worker(app).send_due() == 1
    assert live.stand_in.wait_idle(30)
    [sms] = live.stand_in.log()["messages"]
    return sms


@pytest.mark.parametrize("settings,sender,service", [
    ({"twilio_messaging_service_sid": SERVICE, "sms_sender_id": "WarksMASH"}, None, SERVICE),
    ({"sms_sender_id": "WarksMASH"}, "WarksMASH", None),
    ({}, IVR_NUMBER, None),
])
def test_a_text_comes_from_the_messaging_service_else_the_sender_id_else_the_number(app, engine, live, settings,
                                                                                     sender, service):
    sms = send_one_text(app, engine, live, **settings)
    assert (sms["from"], sms["messaging_service_sid"]) == (sender, service)


def test_a_text_says_replies_are_not_read_and_which_number_to_ring(app, engine, live):
    body = send_one_text(app, engine, live, sms_sender_id="WarksMASH")["body"]
    assert "Replies to this number are not read." in body and "ring 020 7946 0001" in body  # the IVR number, as sent from
