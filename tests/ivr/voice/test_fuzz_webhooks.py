"""Fuzz every Twilio route with generated form data: never a 500, always TwiML (or 204), 403 unsigned."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from werkzeug.datastructures import MultiDict

from ivr import MAX_BODY_BYTES, create_app
from ivr.config import load_settings
from ivr.twilio_auth import TWILIO_ROUTE_ATTR
from ivr.webhook import quiet_webhook
from tests.conftest import TEST_ENV
from tests.twilio_client import dialled, parse_twiml, sign

# Fields Twilio sends to voice and messaging webhooks, plus the query arguments our TwiML names.
TWILIO_FIELDS = ["CallSid", "AccountSid", "From", "To", "Caller", "Called", "CallStatus", "CallDuration",
                 "Direction", "Digits", "DialCallStatus", "DialCallDuration", "DialCallSid", "RecordingUrl",
                 "RecordingSid", "RecordingDuration", "AnsweredBy", "MessageSid", "MessageStatus", "ErrorCode",
                 "SpeechResult", "Confidence", "Timestamp", "SequenceNumber", "ApiVersion"]
QUERY_ARGS = ["service", "attempt", "urgent", "kind", "callback_id", "reference"]


def _twilio_rules(app) -> list:
    return [r for r in app.url_map.iter_rules() if getattr(app.view_functions[r.endpoint], TWILIO_ROUTE_ATTR, False)]


_QUIET_CODE = quiet_webhook(lambda: None).__code__


def _is_status_callback(view) -> bool:
    """True for views wrapped by quiet_webhook: they answer 204, not TwiML."""
    while view is not None:
        if getattr(view, "__code__", None) is _QUIET_CODE:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def _concrete(rule) -> str:
    path = rule.rule
    for arg in rule.arguments:
        for conv in ("int:", "string:", "path:", "uuid:", ""):
            path = path.replace(f"<{conv}{arg}>", "1")
    return path


# The routes are discovered from a throwaway app so that each one gets its own test.
_PROBE = create_app(load_settings(dict(TEST_ENV, DATABASE_URL="sqlite://")))
ROUTES = sorted(r.rule for r in _twilio_rules(_PROBE))
_PROBE.extensions["db_engine"].dispose()

wrong_types = st.sampled_from(["", "-1", "0", "1.5", "1e309", "NaN", "null", "true", "[]", "{}", "<Response/>",
                               "' OR 1=1 --", "%00", "\x00", "CA" + "f" * 32, "+442079460999", "anonymous"])
unicode_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
huge = st.integers(1_000, 20_000).map(lambda n: "9" * n) | st.integers(500, 5_000).map(lambda n: "é✓𝄞" * n)
values = wrong_types | unicode_text | huge
keys = st.sampled_from(TWILIO_FIELDS) | st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
# Well-formed pairs mixed in, so the fuzzing also reaches the steps beyond the first checks.
plausible = st.sampled_from([("CallSid", "CA" + "1" * 32), ("CallSid", "CA" + "2" * 32), ("From", "+442079460999"),
                             ("To", "+442079460001"), ("Digits", "1"), ("Digits", "4"), ("DialCallStatus", "busy"),
                             ("DialCallStatus", "completed"), ("CallStatus", "completed"), ("CallDuration", "30"),
                             ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"),
                             ("MessageStatus", "delivered"), ("AnsweredBy", "machine_end_beep")])
# A list of pairs, so the same key can appear twice (repeated keys) and any field can be missing.
form_pairs = st.lists(plausible | st.tuples(keys, values), max_size=14)
query_pairs = st.lists(st.tuples(st.sampled_from(QUERY_ARGS), wrong_types | unicode_text), max_size=3)


def _too_big(pairs) -> bool:
    """Over MAX_BODY_BYTES, a body is not read; the fail-safe TwiML answers (tests/security/test_body_limit.py); a band
    around the limit is skipped, since the test client's encoding may differ from urlencode's by a few bytes."""
    size = len(urlencode(pairs).encode())
    assume(not MAX_BODY_BYTES - 1024 < size < MAX_BODY_BYTES + 1024)
    return size > MAX_BODY_BYTES


def _post(client, path, query, pairs, signed=True):
    url = path + ("?" + urlencode(query) if query else "")
    form = MultiDict(pairs)
    headers = {}
    if signed:
        headers["X-Twilio-Signature"] = sign(TEST_ENV["TWILIO_AUTH_TOKEN"], TEST_ENV["PUBLIC_BASE_URL"] + url, form)
    return client.post(url, data=form, headers=headers)


FALLBACKS = {"/voice/fallback", "/voice/fallback/result"}
# The outbound calls' and texts' status callbacks: no caller is on the line, so a body too big to read is 204.
OUTBOUND_STATUS = {"/voice/callback-status", "/voice/message-status", "/voice/call-back/<int:message_id>/status"}
PUBLIC_LINES = {TEST_ENV["MASH_NUMBER"], TEST_ENV["EDT_NUMBER"]}


def assert_failsafe(resp) -> None:
    """The fail-safe answer: TwiML that dials only MASH or EDT (public numbers), or says to call 999."""
    assert resp.status_code == 200, (resp.status_code, resp.data[:300])
    assert set(dialled(parse_twiml(resp.data))) <= PUBLIC_LINES


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow,
                                                                       HealthCheck.data_too_large])


@pytest.mark.parametrize("path", ROUTES)
@FUZZ
@given(query=query_pairs, pairs=form_pairs)
def test_a_signed_webhook_with_any_form_data_gets_twiml_never_an_error(app, path, query, pairs):
    rule = next(r for r in _twilio_rules(app) if r.rule == path)
    resp = _post(app.test_client(), _concrete(rule), query, pairs)
    assert resp.status_code != 500, resp.data[:300]
    if _too_big(pairs) and path in OUTBOUND_STATUS:
        assert resp.status_code == 204, (resp.status_code, resp.data[:300])
    elif _too_big(pairs):
        assert_failsafe(resp)
    elif _is_status_callback(app.view_functions[rule.endpoint]):
        assert resp.status_code == 204 and resp.data == b"", (resp.status_code, resp.data[:300])
    else:
        assert resp.status_code == 200, (resp.status_code, resp.data[:300])
        parse_twiml(resp.data)


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory):
    app = create_app(load_settings(dict(TEST_ENV, DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/f.db")))
    yield app
    app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("path", ROUTES)
@settings(max_examples=15, deadline=None)
@given(query=query_pairs, pairs=form_pairs,
       signature=st.none() | st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60))
def test_an_unsigned_or_forged_webhook_is_refused_whatever_it_carries(plain_app, path, query, pairs, signature):
    rule = next(r for r in _twilio_rules(plain_app) if r.rule == path)
    url = _concrete(rule) + ("?" + urlencode(query) if query else "")
    # Header values travel as latin-1: send the UTF-8 bytes of the generated text.
    headers = {} if signature is None else {"X-Twilio-Signature": signature.encode().decode("latin-1")}
    resp = plain_app.test_client().post(url, data=MultiDict(pairs), headers=headers)
    if _too_big(pairs) and path in OUTBOUND_STATUS:  # not read, so neither checked nor used
        assert resp.status_code == 204
    elif _too_big(pairs) or path in FALLBACKS:  # the fallback never refuses: it answers the fail-safe, unrecorded
        assert_failsafe(resp)
    else:
        assert resp.status_code == 403


def test_every_twilio_route_is_fuzzed():
    assert {"/voice/incoming", "/voice/menu", "/voice/status", "/voice/fallback"} <= set(ROUTES)
