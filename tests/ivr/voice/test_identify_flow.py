"""Knowing which school is calling: caller ID for everyone, the URN keypad only on the advice routes."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from db.models import Route, SchoolMatch
from db.schools import save_school_phone
from routing.identify import UrnStep, decide_confirm, decide_urn_entry
from schools import DEMO_SCHOOLS_CSV, import_schools
from tests.call_support import failing_queries, press, recorded_call, recorded_steps, start
from tests.conftest import IN_HOURS, OUT_OF_HOURS, TEST_ENV
from tests.twilio_client import call_params, dialled, next_url, said

MASH = TEST_ENV["MASH_NUMBER"]
INFOLINE = TEST_ENV["DSL_INFOLINE_NUMBER"]
EARLY_HELP = TEST_ENV["EARLY_HELP_NUMBER"]
# In the shared Warwickshire data, Oakley School and Myton Gardens share one switchboard.
FEDERATION = "+441926290646"
OAKLEY, MYTON = 149717, 150777
ATHERSTONE = 125484  # Atherstone Nursery School
DSL_MOBILE = "+442079460555"  # a made-up number registered by hand to Atherstone
STRANGER = "+441214960999"  # a made-up number no school has
URN_PROMPT = "Please type your school's 6-digit URN, then press hash. Or press star to skip."


@pytest.fixture
def register(engine):
    """The shared Warwickshire register, plus a DSL's mobile registered by hand."""
    with Session(engine, expire_on_commit=False) as session:
        import_schools(session, DEMO_SCHOOLS_CSV, now=IN_HOURS)
        save_school_phone(session, ATHERSTONE, DSL_MOBILE, "dsl")
        session.commit()


def choose(twilio, key: str, caller: str):
    """Ring in from a number and press a menu key."""
    return press(twilio, start(twilio, caller=caller), key)


def urn_gather(doc):
    gather = doc.find("Gather")
    assert gather is not None, "expected the URN question"
    return gather


@pytest.mark.parametrize("caller, urn, match", [
    (DSL_MOBILE, ATHERSTONE, SchoolMatch.CALLER_ID),
    (FEDERATION, None, SchoolMatch.AMBIGUOUS),
    (STRANGER, None, SchoolMatch.UNIDENTIFIED),
    ("anonymous", None, SchoolMatch.WITHHELD),
    ("not a number", None, SchoolMatch.WITHHELD),
])
def test_an_urgent_caller_goes_straight_to_mash_and_the_school_is_recorded_only_when_certain(
        twilio, engine, register, caller, urn, match):
    doc = choose(twilio, "1", caller)
    assert dialled(doc) == [MASH]
    assert said(doc) == "" and doc.find("Gather") is None
    call = recorded_call(engine)
    assert (call.school_urn, call.school_match) == (urn, match)


def test_an_urgent_caller_who_stays_silent_is_never_asked_for_a_urn(twilio, engine, register):
    doc = press(twilio, press(twilio, start(twilio, caller=FEDERATION), None), None)
    assert dialled(doc) == [MASH]
    assert "URN" not in said(doc)
    assert recorded_call(engine).school_match == SchoolMatch.AMBIGUOUS


def test_a_known_school_choosing_the_infoline_hears_its_name_once_and_is_connected(twilio, engine, register):
    doc = choose(twilio, "2", DSL_MOBILE)
    assert dialled(doc) == [INFOLINE]
    assert said(doc) == "Calling from Atherstone Nursery School."
    call = recorded_call(engine)
    assert call.route == Route.DSL_INFOLINE and call.school_urn == ATHERSTONE


def test_a_federation_caller_choosing_the_infoline_is_asked_for_the_urn(twilio, register):
    doc = choose(twilio, "2", FEDERATION)
    gather = urn_gather(doc)
    assert said(doc) == URN_PROMPT
    assert gather.get("finishOnKey") == "#" and gather.get("numDigits") is None
    assert gather.get("timeout") == "8" and gather.get("input") == "dtmf"
    assert gather.get("action") == "/voice/identify?service=DSL_INFOLINE&attempt=1"
    # Without actionOnEmptyResult, Twilio falls through to the Redirect, which posts the same step.
    assert doc.find("Redirect").text == gather.get("action")
    assert not dialled(doc)


def test_typing_the_urn_reads_the_school_back_and_1_confirms_it(twilio, engine, register):
    read_back = press(twilio, choose(twilio, "2", FEDERATION), str(OAKLEY))
    assert said(read_back) == "You said Oakley School. Press 1 if that's right, or 2 to try again."
    assert read_back.find("Gather").get("numDigits") == "1"
    doc = press(twilio, read_back, "1")
    assert dialled(doc) == [INFOLINE]
    assert said(doc) == "Thank you."
    call = recorded_call(engine)
    assert (call.school_urn, call.school_match) == (OAKLEY, SchoolMatch.URN_KEYPAD)
    assert call.route == Route.DSL_INFOLINE


def test_star_skips_identification_and_the_caller_still_reaches_early_help(twilio, engine, register):
    doc = press(twilio, choose(twilio, "3", STRANGER), "*")
    assert dialled(doc) == [EARLY_HELP]
    assert said(doc) == ""
    call = recorded_call(engine)
    assert (call.school_urn, call.school_match) == (None, SchoolMatch.UNIDENTIFIED)
    assert call.route == Route.EARLY_HELP


def test_star_at_the_read_back_also_skips(twilio, engine, register):
    read_back = press(twilio, choose(twilio, "2", "anonymous"), str(MYTON))
    doc = press(twilio, read_back, "*")
    assert dialled(doc) == [INFOLINE]
    assert (recorded_call(engine).school_urn, recorded_call(engine).school_match) == (None, SchoolMatch.WITHHELD)


def test_an_unknown_urn_is_re_prompted_once_then_the_caller_is_connected_unidentified(twilio, engine, register):
    retry = press(twilio, choose(twilio, "2", FEDERATION), "999999")
    assert said(retry) == "I could not find a school with that number. " + URN_PROMPT
    assert urn_gather(retry).get("action") == "/voice/identify?service=DSL_INFOLINE&attempt=2"
    doc = press(twilio, retry, "999998")
    assert dialled(doc) == [INFOLINE]
    assert said(doc) == "I could not find a school with that number."
    call = recorded_call(engine)
    assert (call.school_urn, call.school_match) == (None, SchoolMatch.AMBIGUOUS)
    assert call.route == Route.DSL_INFOLINE


@pytest.mark.parametrize("keys", ["12345", "1234567", "14971"])
def test_a_urn_that_is_not_six_digits_counts_as_a_failure(twilio, register, keys):
    retry = press(twilio, choose(twilio, "3", STRANGER), keys)
    assert said(retry) == "A school's URN has 6 digits. " + URN_PROMPT
    assert "attempt=2" in next_url(retry)


def test_silence_at_the_urn_prompt_asks_once_more(twilio, register):
    retry = press(twilio, choose(twilio, "2", STRANGER), None)
    assert said(retry) == "Sorry, I did not hear a number. " + URN_PROMPT
    doc = press(twilio, retry, None)
    assert dialled(doc) == [INFOLINE]


def test_pressing_2_at_the_read_back_asks_again_and_a_second_2_connects_unidentified(twilio, engine, register):
    first = press(twilio, choose(twilio, "2", FEDERATION), str(OAKLEY))
    again = press(twilio, first, "2")
    assert said(again) == "Let's try again. " + URN_PROMPT
    second = press(twilio, again, str(MYTON))
    assert said(second).startswith("You said Myton Gardens.")
    doc = press(twilio, second, "2")
    assert dialled(doc) == [INFOLINE] and said(doc) == ""
    assert recorded_call(engine).school_urn is None


def test_a_corrected_urn_is_recorded(twilio, engine, register):
    first = press(twilio, choose(twilio, "2", FEDERATION), str(OAKLEY))
    second = press(twilio, press(twilio, first, "2"), str(MYTON))
    press(twilio, second, "1")
    call = recorded_call(engine)
    assert (call.school_urn, call.school_match) == (MYTON, SchoolMatch.URN_KEYPAD)


def test_out_of_hours_the_caller_is_still_identified_then_leaves_a_message(twilio, engine, register, clock):
    clock.now = OUT_OF_HOURS
    read_back = press(twilio, choose(twilio, "2", FEDERATION), str(OAKLEY))
    doc = press(twilio, read_back, "1")
    assert doc.find("Record") is not None and not dialled(doc)
    assert said(doc).startswith("Thank you.") and "DSL Infoline is closed" in said(doc)
    call = recorded_call(engine)
    assert call.school_urn == OAKLEY and call.route == Route.VOICEMAIL and call.service == Route.DSL_INFOLINE


def test_the_keys_pressed_while_identifying_are_recorded_as_steps(twilio, engine, register):
    read_back = press(twilio, choose(twilio, "2", FEDERATION), str(OAKLEY))
    press(twilio, read_back, "1")
    steps = [(s.step, s.digits) for s in recorded_steps(engine)]
    assert steps == [("incoming", None), ("menu", "2"), ("identify", str(OAKLEY)), ("identify_confirm", "1")]


def test_a_urn_webhook_delivered_twice_records_one_step_and_answers_the_same(twilio, engine, register):
    question = choose(twilio, "2", FEDERATION)
    first = press(twilio, question, str(OAKLEY))
    second = press(twilio, question, str(OAKLEY))
    assert said(first) == said(second)
    assert [s.step for s in recorded_steps(engine)].count("identify") == 1


def test_an_error_while_identifying_connects_the_caller_to_mash(twilio, engine, register):
    question = choose(twilio, "2", FEDERATION)
    with failing_queries(engine, matching="FROM school"):  # the school lookup fails
        assert dialled(press(twilio, question, str(OAKLEY))) == [MASH]


@pytest.mark.parametrize("path", ["/voice/identify?service=DSL_INFOLINE&attempt=1",
                                  "/voice/identify/confirm?service=EARLY_HELP&attempt=1&urn=149717"])
def test_with_the_database_unreachable_identification_steps_connect_to_mash(broken_db_twilio, path):
    assert dialled(broken_db_twilio.twiml(path, call_params(Digits="1"))) == [MASH]


@pytest.mark.parametrize("path", ["/voice/identify?service=MASH&attempt=1", "/voice/identify?attempt=1",
                                  "/voice/identify/confirm?service=bogus&urn=149717"])
def test_a_step_url_naming_no_advice_service_connects_to_mash(twilio, register, path):
    assert dialled(twilio.twiml(path, call_params(Digits="149717"))) == [MASH]


def test_garbage_keys_and_a_garbage_urn_in_the_url_are_failures_not_errors(twilio, register):
    retry = twilio.twiml("/voice/identify?service=EARLY_HELP&attempt=1", call_params(Digits="14<97>17"))
    assert "6 digits" in said(retry)
    doc = twilio.twiml("/voice/identify/confirm?service=EARLY_HELP&attempt=2&urn=abc", call_params(Digits="1"))
    assert dialled(doc) == [EARLY_HELP]


@pytest.mark.parametrize("path", ["/voice/identify?service=DSL_INFOLINE&attempt=1",
                                  "/voice/identify/confirm?service=DSL_INFOLINE&attempt=1&urn=149717"])
def test_identification_steps_refuse_unsigned_requests(twilio, path):
    assert twilio.post(path, call_params(Digits="1"), signed=False).status_code == 403


@pytest.mark.parametrize("digits, attempt, expected", [
    ("149717", 1, UrnStep("lookup", urn=149717)),
    ("149717#", 1, UrnStep("lookup", urn=149717)),
    ("*", 1, UrnStep("skip")),
    ("14*", 2, UrnStep("skip")),
    ("", 1, UrnStep("retry", reason="no_input")),
    (None, 2, UrnStep("give_up", reason="no_input")),
    ("#", 1, UrnStep("retry", reason="no_input")),
    ("1497", 1, UrnStep("retry", reason="not_six_digits")),
    ("１４９７１７", 1, UrnStep("retry", reason="not_six_digits")),
    ("1497170", 2, UrnStep("give_up", reason="not_six_digits")),
])
def test_urn_entry_decisions(digits, attempt, expected):
    assert decide_urn_entry(digits, attempt) == expected


@pytest.mark.parametrize("digits, urn, attempt, expected", [
    ("1", 149717, 1, UrnStep("confirm", urn=149717)),
    ("2", 149717, 1, UrnStep("retry", reason="retry")),
    ("2", 149717, 2, UrnStep("give_up", reason="retry")),
    ("", 149717, 1, UrnStep("retry", reason="retry")),
    ("*", 149717, 2, UrnStep("skip")),
    ("1", None, 1, UrnStep("retry", reason="retry")),
])
def test_read_back_decisions(digits, urn, attempt, expected):
    assert decide_confirm(digits, urn, attempt) == expected
