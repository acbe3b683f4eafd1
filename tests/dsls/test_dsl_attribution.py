"""A call from a registered DSL number is put down to that DSL and to their school, in the one identifying query,
and staff see who the DSL was."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from db.dsls import DslRecord, get_dsls, save_dsl
from db.models import Contact, Dsl, SchoolMatch
from routing.identify import identify_from_matches
from schools import DEMO_SCHOOLS_CSV, import_schools
from tests.call_support import press, recorded_call, start
from tests.conftest import IN_HOURS, TEST_ENV
from tests.staff_support import page, signed_in_client
from tests.twilio_client import dialled

ATHERSTONE, OAKLEY, MYTON = 125484, 149717, 150777
FEDERATION = "+441926290646"  # Oakley and Myton's shared switchboard in the shared data
OWN_MOBILE = "+442079460301"
OFFICE = "+442079460302"


@pytest.fixture
def dsls(engine) -> dict[str, int]:
    """Schools, a DSL with their own number, two DSLs sharing an office line, and one on the federation's."""
    with Session(engine, expire_on_commit=False) as session:
        import_schools(session, DEMO_SCHOOLS_CSV, now=IN_HOURS)
        rows = [(ATHERSTONE, "Sam Patel", (OWN_MOBILE, OFFICE)), (ATHERSTONE, "Jo Evans", (OFFICE,)),
                (MYTON, "Chris Hall", (FEDERATION,))]
        for i, (urn, name, numbers) in enumerate(rows):
            save_dsl(session, DslRecord(row=i + 2, urn=urn, name=name, numbers=numbers, trained_on=None), IN_HOURS)
        session.commit()
        return {d.name: d.id for d in get_dsls(session)}


def recorded_contact(engine) -> Contact:
    with Session(engine) as session:
        return session.exec(select(Contact)).one()


def urgent_call(twilio, caller: str):
    return press(twilio, start(twilio, caller=caller), "1")


def test_a_dsl_s_own_number_puts_the_call_down_to_them_and_their_school(twilio, engine, dsls):
    assert dialled(urgent_call(twilio, OWN_MOBILE)) == [TEST_ENV["MASH_NUMBER"]]
    call = recorded_call(engine)
    assert (call.dsl_id, call.school_urn, call.school_match) == (dsls["Sam Patel"], ATHERSTONE, SchoolMatch.CALLER_ID)


def test_a_line_two_dsls_share_gives_their_school_but_no_one_dsl(twilio, engine, dsls):
    urgent_call(twilio, OFFICE)
    call = recorded_call(engine)
    assert (call.dsl_id, call.school_urn, call.school_match) == (None, ATHERSTONE, SchoolMatch.CALLER_ID)


def test_a_dsl_registered_on_a_shared_switchboard_settles_which_school_is_calling(twilio, engine, dsls):
    urgent_call(twilio, FEDERATION)
    call = recorded_call(engine)
    assert (call.dsl_id, call.school_urn) == (dsls["Chris Hall"], MYTON)


def test_a_number_in_neither_register_is_put_down_to_no_one(twilio, engine, dsls):
    urgent_call(twilio, "+441214960999")
    call = recorded_call(engine)
    assert (call.dsl_id, call.school_urn, call.school_match) == (None, None, SchoolMatch.UNIDENTIFIED)


@pytest.mark.parametrize("urns, people, expected", [
    ([OAKLEY, MYTON], [], (None, SchoolMatch.AMBIGUOUS, None)),
    ([], [(7, MYTON)], (MYTON, SchoolMatch.CALLER_ID, 7)),
    ([OAKLEY], [(7, MYTON), (8, MYTON)], (OAKLEY, SchoolMatch.CALLER_ID, None)),
    ([], [(7, OAKLEY), (8, MYTON)], (None, SchoolMatch.AMBIGUOUS, None)),
])
def test_the_decision_gives_a_dsl_only_when_the_number_is_exactly_one_dsl_s(urns, people, expected):
    found = identify_from_matches("+442079460301", urns, people)
    assert (found.urn, found.method, found.dsl_id) == expected


def test_a_withheld_number_is_no_one_s_even_if_a_dsl_could_match():
    found = identify_from_matches("withheld", [], [(7, MYTON)])
    assert (found.urn, found.method, found.dsl_id) == (None, SchoolMatch.WITHHELD, None)


def test_staff_see_the_dsl_and_their_training_on_the_contact_their_call_opened(app, twilio, engine, dsls):
    with Session(engine) as session:
        trained = session.get(Dsl, dsls["Sam Patel"])
        trained.trained_on = date(2025, 9, 1)
        session.commit()
    urgent_call(twilio, OWN_MOBILE)
    reference = recorded_contact(engine).reference
    doc = page(signed_in_client(app, "staff").get(f"/contacts/{reference}"))
    assert doc.xpath("string(//*[@id='contact-dsl'])") == "Sam Patel, DSL training 1 September 2025"


def test_a_contact_from_a_number_that_is_no_one_dsl_s_names_no_dsl(app, twilio, engine, dsls):
    urgent_call(twilio, OFFICE)
    doc = page(signed_in_client(app, "staff").get(f"/contacts/{recorded_contact(engine).reference}"))
    assert doc.xpath("//*[@id='contact-dsl']") == []


def test_the_contact_a_dsl_s_call_opens_keeps_their_dsl_for_the_measures(twilio, engine, dsls):
    urgent_call(twilio, OWN_MOBILE)
    assert recorded_contact(engine).dsl_id == dsls["Sam Patel"]
