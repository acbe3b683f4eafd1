"""When callbacks go, where, and what they say: pure rules, then the "still being assessed" check."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from callbacks import channel, messages, planner, schedule
from contacts.states import save_status
from routing.hours import OpeningHours
from tests.callback_support import (DSL_DIRECT, MOBILE, SCHOOL_URN, STRANGER, SWITCHBOARD, add_contact, add_school,
                                    callbacks_of)
from tests.conftest import IN_HOURS

HOURS = OpeningHours.parse("Mon-Thu 08:30-17:30; Fri 08:30-17:00")
UTC = timezone.utc


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A moment in 2026 (GMT in November and December, so UTC is London time)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# ---- the promise and working hours ----

@pytest.mark.parametrize("received, promised", [
    (at(24, 10), at(25, 17, 30)),            # Tuesday -> end of Wednesday
    (at(26, 16), at(27, 17)),                # Thursday -> Friday closes at 17:00
    (at(27, 12), at(30, 17, 30)),            # Friday -> end of Monday
    (at(28, 11), at(30, 17, 30)),            # a Saturday contact (EDT) -> end of Monday
    (at(24, 12, month=12), at(29, 17, 30, month=12)),  # Christmas Eve: Christmas and Boxing Day (Mon 28) skipped
])
def test_a_decision_is_promised_by_the_end_of_the_next_working_day(received, promised):
    assert schedule.promised_by(HOURS, received) == promised


def test_a_longer_promise_counts_working_days():
    assert schedule.promised_by(HOURS, at(26, 16), working_days=2) == at(30, 17, 30)


def test_a_decision_made_in_the_evening_is_sent_when_the_office_opens():
    assert schedule.due_at(HOURS, "decision", at(24, 20)) == at(25, 8, 30)


def test_a_decision_made_in_hours_is_sent_at_once():
    assert schedule.due_at(HOURS, "decision", at(24, 11)) == at(24, 11)


def test_the_reference_text_and_urgent_alerts_go_straight_away_even_at_night():
    assert schedule.due_at(HOURS, "reference", at(24, 23)) == at(24, 23)
    assert schedule.sendable_kinds(HOURS, at(24, 23)) == ("reference", "urgent_alert")
    assert schedule.sendable_kinds(HOURS, at(24, 11)) is None


@pytest.mark.parametrize("attempts, last, retry", [
    (1, at(24, 10), at(24, 10, 30)),
    (2, at(24, 17, 10), at(25, 8, 30)),      # 17:40 is after closing: the next morning, never at night
    (3, at(27, 16, 45), at(30, 8, 30)),      # Friday afternoon -> Monday morning
    (4, at(24, 10), None),                   # the first try and three retries are all
])
def test_an_unanswered_voice_callback_is_retried_at_least_30_minutes_later_within_hours(attempts, last, retry):
    assert schedule.retry_at(HOURS, attempts, last) == retry
    if retry is not None:
        assert retry - last >= timedelta(minutes=30) and HOURS.is_open(retry)


# ---- where and how ----

def test_mobiles_get_a_text_and_landlines_a_call():
    assert channel.channel_for(MOBILE) == "sms"
    assert channel.channel_for(SWITCHBOARD) == "voice"


def test_a_school_may_choose_calls_even_to_mobiles():
    assert channel.channel_for(MOBILE, "voice") == "voice"
    assert channel.channel_for(MOBILE, "sms") == "sms"


def test_a_school_that_chose_texts_still_has_its_landline_rung_since_texts_go_only_to_uk_mobiles():
    assert channel.channel_for(SWITCHBOARD, "sms") == "voice"


def test_the_number_the_contact_came_from_is_used_when_it_belongs_to_the_school():
    dest = channel.status_destination(DSL_DIRECT, SCHOOL_URN, [SWITCHBOARD, DSL_DIRECT])
    assert (dest.number, dest.channel) == (DSL_DIRECT, "voice")


def test_a_number_that_is_not_the_schools_is_never_rung_the_school_is_instead():
    dest = channel.status_destination(STRANGER, SCHOOL_URN, [SWITCHBOARD])
    assert (dest.number, dest.channel) == (SWITCHBOARD, "voice")


@pytest.mark.parametrize("urn, numbers, why", [
    (None, [], "the school is not known"),
    (SCHOOL_URN, [], "the school has no registered phone number"),
])
def test_without_a_school_number_there_is_no_callback_and_the_reason_is_given(urn, numbers, why):
    dest = channel.status_destination(MOBILE, urn, numbers)
    assert dest.number is None and why in dest.why


def test_the_reference_text_goes_only_to_a_caller_on_a_mobile():
    assert channel.reference_destination(MOBILE).number == MOBILE
    assert channel.reference_destination(SWITCHBOARD).number is None
    assert channel.reference_destination("withheld").number is None


# ---- what it says ----

def test_a_decision_text_gives_reference_outcome_reason_next_step_and_the_urgent_number():
    update = messages.Update("decision", "482913", "no_further_action", "Threshold not met")
    text = messages.sms_text(update, "+441926414144")
    assert text.startswith("Warwickshire MASH, contact reference 482913: a decision has been made: no further action.")
    assert "Reason: Threshold not met." in text
    assert "contact us again if anything changes" in text
    assert "ring 01926 414144" in text and "call 999" in text


def test_the_reference_text_gives_the_promised_time_in_plain_words():
    update = messages.Update("reference", "482913", expected_by=at(25, 17, 30))
    text = messages.sms_text(update, "+441926414144")
    assert "We aim to decide by 5:30pm on Wednesday 25 November" in text


@pytest.mark.parametrize("when, words", [
    (at(25, 17, 30), "5:30pm on Wednesday 25 November"),
    (at(26, 9), "9:00am on Thursday 26 November"),
    (at(26, 0), "the end of Wednesday 25 November"),  # OPENING_HOURS=always: days end at midnight
    (datetime(2026, 6, 3, 16, 30, tzinfo=UTC), "5:30pm on Wednesday 3 June"),  # British Summer Time
])
def test_times_are_said_in_london_time_as_people_say_them(when, words):
    assert messages.when_words(when) == words


def test_a_voice_callback_reads_the_reference_digit_by_digit():
    speech = messages.voice_text(messages.Update("decision", "482913", "early_help"), "+441926414144")
    assert "contact reference 4 8 2 9 1 3" in speech
    assert "passed to Early Help" in speech and "0 1 9 2 6, 4 1 4 1 4 4" in speech


def test_an_answering_machine_hears_the_reference_and_the_number_only():
    speech = messages.machine_text("482913", "+441926414144")
    assert "4 8 2 9 1 3" in speech and "0 1 9 2 6, 4 1 4 1 4 4" in speech
    assert "decision" not in speech and "outcome" not in speech


# ---- the "still being assessed" check ----

@pytest.fixture
def school(engine):
    with Session(engine) as session:
        add_school(session)


def test_no_decision_by_the_promised_time_queues_a_still_being_assessed_update(app, engine, school):
    settings = app.config["SETTINGS"]
    with Session(engine, expire_on_commit=False) as session:
        contact = add_contact(session, IN_HOURS, promised_by=at(25, 17, 30))
        assert planner.schedule_overdue_updates(session, settings, at(25, 17, 29)) == 0
        assert planner.schedule_overdue_updates(session, settings, at(25, 17, 31)) == 1
    [update] = callbacks_of(engine, contact.id)
    assert update.kind == "still_assessing" and update.state == "scheduled"
    assert update.due_at == at(26, 8, 30)  # never at night: the next morning
    assert "still being assessed" in update.body and "5:30pm on Thursday 26 November" in update.body


def test_the_still_being_assessed_update_is_queued_once_however_many_workers_check(app, engine, school):
    settings = app.config["SETTINGS"]
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        contact = add_contact(first, IN_HOURS, promised_by=at(25, 17, 30))
        # Both workers read the contact as overdue before either acts.
        second.get(type(contact), contact.id)
        planner.schedule_overdue_updates(first, settings, at(25, 17, 31))
        planner.schedule_overdue_updates(second, settings, at(25, 17, 31))
    assert [c.kind for c in callbacks_of(engine, contact.id)] == ["still_assessing"]


def test_a_decision_cancels_a_pending_still_being_assessed_update(app, engine, school):
    settings = app.config["SETTINGS"]
    with Session(engine, expire_on_commit=False) as session:
        contact = add_contact(session, IN_HOURS, promised_by=at(25, 17, 30))
        planner.schedule_overdue_updates(session, settings, at(25, 18))
        save_status(session, contact.reference, "decided", outcome="early_help", actor="tester",
                    settings=settings, now=at(25, 18, 30))
    rows = {c.kind: c for c in callbacks_of(engine, contact.id)}
    assert rows["still_assessing"].state == "cancelled"
    assert rows["decision"].state == "scheduled" and rows["decision"].due_at == at(26, 8, 30)


def test_a_decided_contact_gets_no_still_being_assessed_update(app, engine, school):
    settings = app.config["SETTINGS"]
    with Session(engine, expire_on_commit=False) as session:
        contact = add_contact(session, IN_HOURS, promised_by=at(25, 17, 30))
        save_status(session, contact.reference, "decided", outcome="other", actor="tester", settings=settings,
                    now=at(25, 12))
        assert planner.schedule_overdue_updates(session, settings, at(26, 9)) == 0
    assert [c.kind for c in callbacks_of(engine, contact.id)] == ["decision"]
