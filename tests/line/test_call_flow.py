"""A supervisor's change is heard on the next call: closures, announcements, emergency mode, hours, numbers, versions."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from line.changes import add_announcement, add_closure, publish, set_emergency, set_hours, set_number
from routing import prompts
from routing.menu import DEFAULT_WORDING
from tests.call_support import choose, press, start
from tests.conftest import OUT_OF_HOURS
from tests.line_support import change_line, publish_wording
from tests.twilio_client import dialled, said

TRAINING = "The DSL Infoline is closed this afternoon for staff training."
BUSY = "We are receiving a high number of calls today."
NEW_OPTION2 = "Want advice from a colleague? Press 2 for the DSL Infoline."


def test_a_closure_for_the_infoline_now_offers_a_message_after_its_sentence(app, twilio, clock):
    change_line(app, add_closure, "DSL_INFOLINE", clock.now - timedelta(hours=1), clock.now + timedelta(hours=3),
                TRAINING)
    greeting = start(twilio)
    assert DEFAULT_WORDING.option2_closed in said(greeting) and DEFAULT_WORDING.option2 not in said(greeting)
    asked = choose(twilio, greeting, "2")
    assert said(asked).startswith(TRAINING)
    assert asked.find(".//Record") is not None and dialled(asked) == []


def test_after_its_closure_ends_the_infoline_is_put_through_again(app, twilio, clock):
    change_line(app, add_closure, "DSL_INFOLINE", clock.now - timedelta(hours=1), clock.now + timedelta(hours=1),
                TRAINING)
    clock.now += timedelta(hours=1)
    assert dialled(choose(twilio, start(twilio), "2")) == [app.config["SETTINGS"].dsl_infoline_number]


def test_an_announcement_is_spoken_after_option_1(app, twilio, clock):
    change_line(app, add_announcement, BUSY, clock.now, clock.now + timedelta(hours=8))
    heard = said(start(twilio))
    assert heard.startswith(f"{DEFAULT_WORDING.danger} {DEFAULT_WORDING.option1} {BUSY} {DEFAULT_WORDING.option2}")


@pytest.mark.parametrize("key", ["1", "2", "3", "4", None])
def test_in_emergency_mode_every_key_and_silence_reach_mash(app, twilio, key):
    change_line(app, set_emergency, True, None)
    greeting = start(twilio)
    assert said(greeting) == f"{DEFAULT_WORDING.danger} {DEFAULT_WORDING.option1} {prompts.EMERGENCY}"
    assert dialled(press(twilio, greeting, key)) == [app.config["SETTINGS"].mash_number]


def test_in_emergency_mode_out_of_hours_every_key_reaches_the_emergency_duty_team(app, twilio, clock):
    clock.now = OUT_OF_HOURS
    change_line(app, set_emergency, True, "Our phones are down, so every call goes to the duty team.")
    assert dialled(press(twilio, start(twilio), "2")) == [app.config["SETTINGS"].edt_number]


def test_turning_emergency_mode_off_brings_the_menu_back(app, twilio):
    change_line(app, set_emergency, True, None)
    change_line(app, set_emergency, False, None)
    assert prompts.EMERGENCY not in said(start(twilio))
    assert "URN" in said(press(twilio, start(twilio), "2"))


def test_a_new_number_for_mash_is_dialled_from_the_next_call(app, twilio):
    change_line(app, set_number, "MASH", "01926 410000")
    assert dialled(press(twilio, start(twilio), "1")) == ["+441926410000"]


def test_the_infolines_own_hours_close_it_while_mash_is_open(app, twilio, clock):
    change_line(app, set_hours, "DSL_INFOLINE", "Mon-Fri 09:00-09:30")  # the test clock reads Tuesday 10:00
    greeting = start(twilio)
    assert DEFAULT_WORDING.option1 in said(greeting) and DEFAULT_WORDING.option2_closed in said(greeting)
    assert choose(twilio, greeting, "2").find(".//Record") is not None


def test_a_published_wording_is_heard_on_the_next_call_and_a_rollback_restores_the_one_before(app, twilio):
    first = publish_wording(app, option2=NEW_OPTION2)
    assert NEW_OPTION2 in said(start(twilio, CallSid="CA" + "2" * 32))
    publish_wording(app, option2=DEFAULT_WORDING.option2.replace("Uncertain,", "Unsure,"))
    assert NEW_OPTION2 not in said(start(twilio, CallSid="CA" + "3" * 32))
    change_line(app, roll_back, first)
    assert NEW_OPTION2 in said(start(twilio, CallSid="CA" + "4" * 32))


def roll_back(session, defaults, version, actor, now):
    return publish(session, defaults, version, actor, now, rollback=True)


def test_settings_that_cannot_be_read_never_break_a_call_the_last_good_revision_plays(app, twilio, engine):
    publish_wording(app, option2=NEW_OPTION2)
    assert NEW_OPTION2 in said(start(twilio, CallSid="CA" + "2" * 32))  # this process has read the revision
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE lineconfig RENAME TO lineconfig_away"))
    try:
        greeting = start(twilio, CallSid="CA" + "3" * 32)
        assert NEW_OPTION2 in said(greeting)
        assert dialled(press(twilio, greeting, "1", CallSid="CA" + "3" * 32)) == [app.config["SETTINGS"].mash_number]
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE lineconfig_away RENAME TO lineconfig"))


def test_the_fail_safe_dials_the_last_good_revisions_numbers(app, twilio):
    change_line(app, set_number, "MASH", "01926 410000")
    start(twilio)  # the process reads the new revision on this call
    assert dialled(twilio.twiml("/voice/fallback", {"CallSid": "CA" + "9" * 32, "From": "+442079460999"})) \
        == ["+441926410000"]


def test_a_busy_infolines_call_back_is_promised_by_its_own_hours(app, twilio):
    change_line(app, set_hours, "DSL_INFOLINE", "Mon-Fri 09:00-11:00")  # an hour left today (Tuesday, 10:00)
    offer = press(twilio, choose(twilio, start(twilio), "2"), DialCallStatus="no-answer")
    assert said(offer).startswith("To be called back by the DSL Infoline tomorrow, press 2.")


def test_a_closure_of_mash_sends_urgent_calls_to_edt_and_says_why_after_option_1(app, twilio, clock):
    say = "MASH is closed this afternoon for a staff briefing."
    change_line(app, add_closure, "MASH", clock.now - timedelta(hours=1), clock.now + timedelta(hours=2), say)
    greeting = start(twilio)
    assert said(greeting).startswith(f"{DEFAULT_WORDING.danger} {DEFAULT_WORDING.option1_closed} {say}")
    assert dialled(press(twilio, greeting, "1")) == [app.config["SETTINGS"].edt_number]
