"""SMS length and encoding: texts are plain GSM-7 and at most 3 segments, counted as Twilio counts them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from twilio.base.exceptions import TwilioRestException
from sqlmodel import Session

from callbacks import gsm, messages
from callbacks.sender import make_client
from callbacks.worker import Worker
from contacts.states import save_status
from db.reasons import save_reason
from routing.vocabulary import OUTCOME_LABELS
from tests.callback_support import MOBILE, add_contact, add_school
from tests.conftest import IN_HOURS

pytestmark = pytest.mark.twilio_stand_in

URGENT = "+441926414144"
# The longest date words there are: a Wednesday in September at 12:30pm.
LATEST = datetime(2026, 9, 30, 11, 30, tzinfo=timezone.utc)
CURLY_REASON = "The school\u2019s own support meets the need."
# A standard reason may be 160 characters: here the longest, full of what word processors type.
LONGEST_REASON = ("Not a safeguarding concern \u2013 the school\u2019s own support meets the need; see \u201cthe "
                  "threshold guide\u201d, section 4, and ring the consultation line\u2026 if anything changes")[:160]


# ---- Twilio's rule, in the stand-in ----

@pytest.mark.parametrize("body, parts", [
    ("a" * 160, 1),
    ("a" * 161, 2),                        # then 153 septets a part
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("\u20ac" * 80, 1),                    # the euro sign is an extension character: 2 septets
    ("\u20ac" * 80 + "a", 2),
    ("a" * 152 + "\u20ac" + "a" * 152, 3),  # an escape and its character never straddle two parts
    ("\u2019" + "a" * 69, 1),              # one curly apostrophe: UCS-2, 70 a part
    ("\u2019" + "a" * 70, 2),              # then 67 a part
    ("\u2019" + "a" * 133, 2),
    ("\u2019" + "a" * 134, 3),
    ("\U0001F600" * 35, 1),                # an emoji is two UTF-16 code units
    ("\U0001F600" * 36, 2),
    ("\u2019" * 275, 5),                   # the 275 characters
])
def test_segments_are_counted_as_twilio_counts_them(body, parts):
    assert gsm.segments(body) == parts


def test_the_stand_in_reports_twilios_segment_count_for_a_message(app, live):
    rest, settings = make_client(app.config["SETTINGS"]), app.config["SETTINGS"]
    body = "Reason: the school\u2019s own support." + "a" * 242  # 275 characters, one of them not GSM-7
    assert len(body) == 275
    sent = rest.messages.create(to=MOBILE, from_=settings.twilio_phone_number, body=body)
    assert sent.num_segments == "5"
    plain = rest.messages.create(to=MOBILE, from_=settings.twilio_phone_number, body=gsm.to_gsm7(body))
    assert plain.num_segments == "2"


# ---- GSM-7 ----

def test_quotes_dashes_ellipses_and_odd_spaces_become_their_gsm7_forms():
    typed = "\u2018a\u2019 \u201cb\u201d c\u2013d\u2014e\u2026 f\u00a0g"
    assert gsm.to_gsm7(typed) == "'a' \"b\" c-d-e... f g"


def test_gsm7_letters_stay_other_accents_lose_their_marks_and_anything_else_is_a_question_mark():
    assert gsm.to_gsm7("café Ørsted naïve façade £5 \U0001F600") == "café Ørsted naive facade £5 ?"
    assert gsm.is_gsm7(gsm.to_gsm7("\u2603 \u4e2d \u0301"))


def test_a_standard_reason_with_a_curly_apostrophe_is_sent_as_gsm7():
    text = messages.sms_text(messages.Update("decision", "482913", "early_help", CURLY_REASON), URGENT)
    assert gsm.is_gsm7(text)
    assert "Reason: The school's own support meets the need. Early Help" in text
    assert gsm.segments(text) == 3 and gsm.segments(text.replace("'", "\u2019")) == 5  # 3, not 5


def test_a_reason_typed_with_an_ellipsis_keeps_three_dots_not_four():
    update = messages.Update("decision", "482913", "other", "See \u201cthe guide\u201d \u2013 or ring us\u2026")
    assert 'Reason: See "the guide" - or ring us... MASH will' in messages.sms_text(update, URGENT)


# ---- at most 3 segments ----

KINDS = ([("reference", None), ("still_assessing", None), ("closed", None)]
         + [("decision", outcome) for outcome in OUTCOME_LABELS])


@pytest.mark.parametrize("kind, outcome", KINDS)
def test_every_text_fits_in_three_segments_with_the_longest_reason_and_date(kind, outcome):
    reason = LONGEST_REASON if kind == "decision" else None
    text = messages.sms_text(messages.Update(kind, "482913", outcome, reason, LATEST), URGENT)
    assert gsm.is_gsm7(text) and gsm.segments(text) <= 3
    assert "contact reference 482913" in text and "ring 01926 414144" in text and messages.DANGER in text


def test_a_reason_too_long_for_three_segments_is_cut_at_a_word_with_an_ellipsis():
    update = messages.Update("decision", "482913", "no_further_action", LONGEST_REASON)
    uncut = gsm.to_gsm7(messages._sms(update, URGENT))
    assert gsm.segments(uncut) == 4  # the case this guards against
    text = messages.sms_text(update, URGENT)
    assert gsm.segments(text) == 3
    assert "Reason: Not a safeguarding concern - the school's own support meets the need; see" in text
    assert "...  " not in text and "... MASH will take no further action." in text


def test_a_decision_text_with_a_curly_reason_leaves_the_outbox_as_gsm7_in_three_segments_not_five(app, engine, live):
    with Session(engine, expire_on_commit=False) as session:
        save_reason(session, "own_support", CURLY_REASON, IN_HOURS)
        add_school(session, numbers={MOBILE: "DSL mobile"})
        contact = add_contact(session, IN_HOURS, caller=MOBILE)
        save_status(session, contact.reference, "decided", outcome="early_help", reason_code="own_support",
                    actor="Sam Staff", settings=app.config["SETTINGS"], now=IN_HOURS)
    assert Worker(app).send_due() == 1
    assert live.stand_in.wait_idle(30)
    [sms] = live.stand_in.log()["messages"]
    assert "The school's own support" in sms["body"] and gsm.is_gsm7(sms["body"])
    assert sms["num_segments"] == "3"


def test_the_stand_in_refuses_a_body_over_1600_characters_as_twilio_does(app, live):
    rest, settings = make_client(app.config["SETTINGS"]), app.config["SETTINGS"]
    with pytest.raises(TwilioRestException) as refused:
        rest.messages.create(to=MOBILE, from_=settings.twilio_phone_number, body="a" * 1601)
    assert (refused.value.status, refused.value.code) == (400, 21617)
