"""Numbers are spoken as meant: 999 and phone numbers digit by digit, URN as letters, no bare number in any <Say>."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest
from lxml import etree
from sqlmodel import Session

from callbacks import messages
from db.models import Callback
from ivr.twilio_auth import TWILIO_ROUTE_ATTR
from routing.menu import DEFAULT_WORDING
from routing.spoken import bare_numbers, spoken_parts
from tests.callback_support import SCHOOL_URN, SWITCHBOARD, add_contact, add_school
from tests.conftest import IN_HOURS, OUT_OF_HOURS
from tests.trial_support import make_trial
from tests.twilio_client import call_params, parse_twiml

PROMISED = datetime(2026, 11, 25, 17, 30, tzinfo=timezone.utc)
SERVICES = ["MASH", "DSL_INFOLINE", "EARLY_HELP", "EDT"]
KEYS = [None, "1", "2", "3", "4", "9", "*", f"{SCHOOL_URN}", "123456"]
DIAL_STATUSES = ["completed", "busy", "no-answer", "failed", "canceled"]


@pytest.fixture
def database_url(tmp_path):
    """What is spoken does not depend on the database: this sweep of ~1,300 documents runs on SQLite only."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


def plain_words(say: etree._Element) -> list[str]:
    """The text of a <Say> that is not inside a <say-as>: its own text and the tail after each child."""
    return [say.text or ""] + [child.tail or "" for child in say]


def bare_in(doc: etree._Element) -> list[str]:
    return [n for say in doc.iter("Say") for words in plain_words(say) for n in bare_numbers(words)]


def test_999_and_phone_numbers_are_read_as_telephone_numbers_and_urn_as_letters():
    assert spoken_parts("hang up and call 999.") == [("hang up and call ", None), ("999", "telephone"), (".", None)]
    assert ("01926 886922", "telephone") in spoken_parts("ring 01926 886922 now")
    assert ("+44 121 496 0100", "telephone") in spoken_parts("ring +44 121 496 0100")
    assert ("URN", "characters") in spoken_parts("type your school's 6-digit URN")


def test_a_time_and_a_date_are_spoken_without_bare_numbers():
    parts = spoken_parts("by 10:30am on Wednesday 25 November")
    assert ("30", "cardinal") in parts and ("am", "characters") in parts and ("25", "ordinal") in parts
    assert not bare_numbers("".join(words for words, kind in parts if kind is None))


def test_the_greeting_speaks_999_through_say_as_telephone(twilio):
    doc = twilio.twiml("/voice/incoming", call_params())
    [say_as] = doc.iter("say-as")
    assert (say_as.get("interpret-as"), say_as.text, say_as.getparent().tag) == ("telephone", "999", "Say")


def _voice_routes(app) -> list[str]:
    rules = [r for r in app.url_map.iter_rules() if getattr(app.view_functions[r.endpoint], TWILIO_ROUTE_ATTR, False)]
    return sorted(r.rule for r in rules if r.rule.startswith("/voice/"))


def _queries(rule: str, callback_id: int) -> list[str]:
    """Representative query strings for a route: each service, attempt, urgency, and the URN read back."""
    path = rule.replace("<int:callback_id>", str(callback_id))
    combos = itertools.product(SERVICES, ["1", "2"])
    queries = [f"?service={s}&attempt={a}&urgent={a == '1' and 1 or 0}&urn={SCHOOL_URN}" for s, a in combos]
    return [path, path + "?repeat=1", path + "?step=update", *(path + q for q in queries)]


def _forms(n: int, keys: list):
    """Form data for each kind of answer Twilio may post: keys, transfer outcomes, recordings, machines."""
    for digits, status, answered in itertools.zip_longest(keys, DIAL_STATUSES, ["human", "machine_end_beep", "fax"]):
        yield call_params(call_sid=f"CA{n:032d}", caller=SWITCHBOARD, Digits=digits, DialCallStatus=status,
                          AnsweredBy=answered, Direction="outbound-api" if answered else "inbound",
                          RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{'AC' + '0' * 32}/Recordings/RE1")


@pytest.fixture
def spoken_world(app, engine, clock):
    """A school, a contact with a decision due, its voice callback, and a trial running: every kind of speech."""
    with Session(engine, expire_on_commit=False) as session:
        add_school(session).name = "Atherstone Nursery School"  # the register's names hold no digits
        session.commit()
        contact = add_contact(session, IN_HOURS, promised_by=PROMISED)
        body = messages.voice_text(messages.Update("reference", contact.reference, expected_by=PROMISED),
                                   app.config["SETTINGS"].mash_number)
        callback = Callback(contact_id=contact.id, kind="reference", channel="voice", to_number=SWITCHBOARD,
                            body=body, due_at=IN_HOURS, created_at=IN_HOURS, updated_at=IN_HOURS)
        session.add(callback)
        session.commit()
    make_trial(engine, clock.now)
    return contact, callback


@pytest.mark.parametrize("now", [IN_HOURS, OUT_OF_HOURS], ids=["in_hours", "out_of_hours"])
def test_no_say_in_any_voice_webhook_holds_a_bare_number_of_two_or_more_digits(app, twilio, clock, spoken_world, now):
    clock.now = now
    contact, callback = spoken_world
    keys = KEYS + [contact.reference, contact.reference + "#"]
    documents, found = 0, {}
    for n, rule in enumerate(_voice_routes(app)):
        for url in _queries(rule, callback.id):
            for form in _forms(n, keys):
                resp = twilio.post(url, form)
                if resp.status_code != 200 or not resp.data.lstrip().startswith(b"<?xml"):
                    continue
                doc = parse_twiml(resp.data)  # Twilio's schema, with <say-as> only inside <Say>
                documents += 1
                for number in bare_in(doc):
                    found.setdefault(number, url)
    assert documents > 300 and not found, f"bare numbers in <Say> (first URL each): {found}"


def test_every_trial_variant_and_the_status_and_callback_words_were_reached(app, twilio, spoken_world):
    contact, callback = spoken_world
    said = []
    for n in range(12):  # callers spread over the trial's variants
        said.append(parse_twiml(twilio.post("/voice/incoming", call_params(
            call_sid=f"CA{n:032d}", caller=f"+441214960{n:03d}")).data))
    said.append(parse_twiml(twilio.post(f"/voice/callback/{callback.id}", call_params(AnsweredBy="human")).data))
    said.append(parse_twiml(twilio.post(f"/voice/callback/{callback.id}?step=update",  # the person pressed 1
                                        call_params(AnsweredBy="human", Digits="1")).data))
    status = twilio.post("/voice/status-check?attempt=1", call_params(caller=SWITCHBOARD, Digits=contact.reference))
    said.append(parse_twiml(status.data))
    text = " ".join("".join(s.itertext()) for doc in said for s in doc.iter("Say"))
    assert "like most schools do" in text and DEFAULT_WORDING.option2 in text  # both variants
    urgent = messages.spoken_digits(messages.national(app.config["SETTINGS"].mash_number))
    assert "the 25 of November" in text and f"ring {urgent}" in text
    assert not [n for doc in said for n in bare_in(doc)]
