"""The follow-up rate: how often an open MASH contact is chased within 14 days by MASH or option 4."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from sqlmodel import Session

from db.contacts import get_follow_up_rate
from db.models import Call, Callback, Contact, ContactEvent, Route, School
from routing.phone import WITHHELD

START = datetime(2026, 11, 2, tzinfo=timezone.utc)
END = datetime(2026, 12, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)
SCHOOL, OTHER_SCHOOL = 111111, 222222
DSL, OTHER_DSL = "+442079460555", "+441214960123"
_sids = count(1)


class World:
    """Calls and contacts written straight to the database."""

    def __init__(self, session: Session):
        self.session = session
        session.add_all([School(urn=SCHOOL, name="A", updated_at=START), School(urn=OTHER_SCHOOL, name="B", updated_at=START)])
        session.commit()

    def call(self, when, route=Route.MASH, urn=SCHOOL, caller=DSL, service=None) -> Call:
        call = Call(call_sid=f"CA{next(_sids):032d}", caller=caller, started_at=when, route=route, school_urn=urn,
                    service=service or route)
        self.session.add(call)
        self.session.commit()
        return call

    def contact(self, when, urn=SCHOOL, caller=DSL, decided_after=None) -> Contact:
        call = self.call(when - timedelta(minutes=2), urn=urn, caller=caller)
        contact = Contact(reference=str(100000 + call.id), call_id=call.id, school_urn=urn, caller=caller,
                          created_at=when)
        self.session.add(contact)
        self.session.commit()
        if decided_after is not None:
            self.session.add(ContactEvent(contact_id=contact.id, status="decided", outcome="other", actor="staff",
                                          at=when + decided_after))
            self.session.commit()
        return contact

    def rate(self, start=START, end=END) -> dict:
        return get_follow_up_rate(self.session, start, end)


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield World(session)


def test_with_no_contacts_the_rate_is_zero_not_an_error(world):
    assert world.rate() == {"contacts": 0, "followed_up": 0, "rate": 0.0, "window_days": 14,
                            "after_callback_contacts": 0, "after_callback_followed": 0}


def test_a_second_mash_call_from_the_same_school_within_14_days_is_a_follow_up(world):
    opened = START + DAY
    world.contact(opened)
    world.call(opened + 3 * DAY, caller=OTHER_DSL)  # another member of staff at the same school
    assert world.rate() == {"contacts": 1, "followed_up": 1, "rate": 1.0, "window_days": 14,
                            "after_callback_contacts": 0, "after_callback_followed": 0}


def test_a_status_check_from_the_same_number_counts_even_when_the_school_was_not_identified(world):
    opened = START + DAY
    world.contact(opened, urn=None)
    world.call(opened + 2 * DAY, route=Route.STATUS_CHECK, urn=None)
    assert world.rate()["followed_up"] == 1


def test_a_call_for_mash_that_ended_in_a_message_counts(world):
    opened = START + DAY
    world.contact(opened)
    world.call(opened + DAY, route=Route.VOICEMAIL, service=Route.MASH)
    assert world.rate()["followed_up"] == 1


@pytest.mark.parametrize("gap, route, urn, caller", [
    (15 * DAY, Route.MASH, SCHOOL, DSL),                 # too late: after 14 days
    (2 * DAY, Route.DSL_INFOLINE, SCHOOL, DSL),          # advice, not chasing MASH
    (2 * DAY, Route.MASH, OTHER_SCHOOL, OTHER_DSL),      # another school, another number
    (2 * DAY, Route.MASH, None, WITHHELD),               # a withheld number matches nobody
    (-DAY, Route.MASH, SCHOOL, DSL),                     # before the contact
])
def test_calls_that_are_not_follow_ups_are_not_counted(world, gap, route, urn, caller):
    opened = START + 3 * DAY
    world.contact(opened)
    world.call(opened + gap, route=route, urn=urn, caller=caller)
    assert world.rate() == {"contacts": 1, "followed_up": 0, "rate": 0.0, "window_days": 14,
                            "after_callback_contacts": 0, "after_callback_followed": 0}


def test_a_call_after_the_decision_is_not_chasing_an_open_contact(world):
    opened = START + DAY
    world.contact(opened, decided_after=DAY)
    world.call(opened + 2 * DAY)
    assert world.rate()["followed_up"] == 0


def test_a_call_before_the_decision_still_counts(world):
    opened = START + DAY
    world.contact(opened, decided_after=3 * DAY)
    world.call(opened + 2 * DAY)
    assert world.rate()["followed_up"] == 1


def test_the_contacts_own_call_is_not_its_follow_up(world):
    world.contact(START + DAY)
    assert world.rate()["followed_up"] == 0


def test_the_rate_is_the_share_of_contacts_in_the_period_and_a_follow_up_after_the_period_counts(world):
    late_in_period = END - 2 * DAY
    world.contact(late_in_period)
    world.contact(START + DAY, urn=OTHER_SCHOOL, caller=OTHER_DSL)
    world.contact(END + DAY, urn=OTHER_SCHOOL, caller=OTHER_DSL)  # outside the period: not counted itself
    world.call(END + 3 * DAY)  # after the period, within 14 days of the late contact
    rate = world.rate()
    assert (rate["contacts"], rate["followed_up"], rate["rate"]) == (2, 1, 0.5)


def test_an_infoline_contact_is_not_counted_the_rate_is_of_mash_s_contacts(world):
    opened = START + DAY
    contact = world.contact(opened)
    contact.service = Route.DSL_INFOLINE
    world.session.add(contact)
    world.session.commit()
    world.call(opened + 3 * DAY)
    assert world.rate()["contacts"] == 0


def _update(world, contact, sent_at, state="delivered", kind="decision"):
    world.session.add(Callback(contact_id=contact.id, kind=kind, channel="sms", to_number=DSL, body="", due_at=sent_at,
                               state=state, claimed_at=sent_at, created_at=sent_at, updated_at=sent_at))
    world.session.commit()


def test_a_contact_whose_update_arrived_before_any_chasing_call_counts_as_after_a_callback(world):
    quiet = world.contact(START + DAY)
    _update(world, quiet, START + 2 * DAY)
    chased_later = world.contact(START + DAY, urn=OTHER_SCHOOL, caller=OTHER_DSL)
    _update(world, chased_later, START + 2 * DAY)
    world.call(START + 3 * DAY, urn=OTHER_SCHOOL, caller=OTHER_DSL)  # chased after hearing the update
    rate = world.rate()
    assert (rate["after_callback_contacts"], rate["after_callback_followed"]) == (2, 1)
    assert (rate["contacts"], rate["followed_up"]) == (2, 1)


def test_a_call_that_chased_before_the_update_arrived_counts_without_a_callback(world):
    contact = world.contact(START + DAY)
    world.call(START + DAY + timedelta(hours=3))  # the chasing call came first
    _update(world, contact, START + 2 * DAY)
    rate = world.rate()
    assert (rate["after_callback_contacts"], rate["after_callback_followed"]) == (0, 0)
    assert rate["followed_up"] == 1


@pytest.mark.parametrize("state, kind", [("failed", "decision"), ("sent", "decision"), ("delivered", "reference")])
def test_an_update_never_delivered_or_only_the_reference_text_is_not_a_callback(world, state, kind):
    contact = world.contact(START + DAY)
    _update(world, contact, START + 2 * DAY, state=state, kind=kind)
    assert world.rate()["after_callback_contacts"] == 0
