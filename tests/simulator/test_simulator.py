"""The simulated caller: Twilio's webhook semantics over real HTTP, against a TwiML stub and against the IVR."""
from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlmodel import Session

from db.calls import get_call_by_sid, get_steps
from db.models import Route
from simulator import transcript as tx
from simulator.caller import AppUnreachable, ScriptedCaller, SimulatedCall, SimulatorError
from simulator.cli import simulate_group
from simulator.interactive import InteractiveCaller
from simulator.transcript import ServiceDirectory
from simulator.twiml import collect_digits
from tests.simulator_support import TOKEN

pytestmark = pytest.mark.no_public_url

CALLER = "+441214960123"
IVR_NUMBER = "+442079460001"
TWILIO_PARAMS = {"CallSid", "AccountSid", "From", "To", "Caller", "Called", "CallStatus", "Direction", "ApiVersion"}


def call(base_url: str, caller=None, token: str = TOKEN, **kwargs) -> SimulatedCall:
    return SimulatedCall(base_url, token, caller or ScriptedCaller(), CALLER, IVR_NUMBER, **kwargs)


def test_every_webhook_is_signed_for_the_url_it_is_posted_to_and_carries_twilios_parameters(stub):
    stub.docs["/voice/incoming"] = '<Response><Redirect>/next?step=2</Redirect></Response>'
    transcript = call(stub.url).run()
    assert stub.paths() == ["/voice/incoming", "/next?step=2", "/voice/status"]
    assert all(r["signed"] for r in stub.requests)
    for r in stub.requests:
        assert TWILIO_PARAMS <= set(r["form"]), r
        assert r["form"]["CallSid"] == transcript.call_sid and r["form"]["From"] == CALLER
    assert stub.requests[0]["form"]["CallStatus"] == "ringing"
    assert stub.requests[1]["form"]["CallStatus"] == "in-progress"


def test_keys_pressed_at_a_gather_are_posted_as_digits_to_its_action_resolved_against_the_document(stub):
    stub.docs["/voice/incoming"] = ('<Response><Gather numDigits="1" action="menu?attempt=1">'
                                   '<Say>Press 2 for advice.</Say></Gather></Response>')
    transcript = call(stub.url, ScriptedCaller(["2"])).run()
    assert stub.requests[1]["path"] == "/voice/menu?attempt=1"
    assert stub.requests[1]["form"]["Digits"] == "2"
    assert transcript.heard() == ["Press 2 for advice."]
    assert transcript.presses() == ["2"]


def test_silence_at_a_gather_without_action_on_empty_result_falls_through_to_the_next_verb(stub):
    stub.docs["/voice/incoming"] = ('<Response><Gather action="/menu"><Say>Choose.</Say></Gather>'
                                   '<Say>Nothing heard.</Say><Redirect>/again</Redirect></Response>')
    transcript = call(stub.url, ScriptedCaller([None])).run()
    assert stub.paths() == ["/voice/incoming", "/again", "/voice/status"]
    assert transcript.heard() == ["Choose.", "Nothing heard."]


def test_silence_at_a_gather_with_action_on_empty_result_posts_the_action_without_digits(stub):
    stub.docs["/voice/incoming"] = ('<Response><Gather action="/menu" actionOnEmptyResult="true">'
                                   '<Say>Choose.</Say></Gather><Say>Never heard.</Say></Response>')
    transcript = call(stub.url, ScriptedCaller([""])).run()
    assert stub.paths() == ["/voice/incoming", "/menu", "/voice/status"]
    assert "Digits" not in stub.requests[1]["form"]
    assert transcript.heard() == ["Choose."]


@pytest.mark.parametrize("keys, num_digits, finish, digits, finished_on", [
    ("123456#", None, "#", "123456", "#"),
    ("2", 1, "#", "2", ""),
    ("29", 1, "#", "2", ""),
    ("12", None, "#", "12", ""),
    ("#", None, "#", "", "#"),
    ("*", None, "#", "*", ""),
    ("12#", None, "", "12#", ""),
])
def test_num_digits_and_finish_on_key_decide_the_digits_twilio_posts(keys, num_digits, finish, digits, finished_on):
    assert collect_digits(keys, num_digits, finish) == (digits, finished_on)


def test_a_gather_with_method_get_signs_the_url_carrying_the_parameters(stub):
    stub.docs["/voice/incoming"] = '<Response><Gather action="/urn" method="GET"><Say>URN?</Say></Gather></Response>'
    call(stub.url, ScriptedCaller(["137000#"])).run()
    get = stub.requests[1]
    assert get["method"] == "GET" and get["signed"]
    assert get["args"]["Digits"] == "137000" and get["args"]["CallSid"].startswith("CA")


def test_a_dial_posts_its_action_with_the_outcome_the_tester_chose(stub):
    stub.docs["/voice/incoming"] = ('<Response><Dial action="/dialled" timeout="20"><Number>+442079460100</Number>'
                                   '</Dial></Response>')
    stub.docs["/dialled"] = ('<Response><Dial action="/dialled2"><Number>+442079460100</Number></Dial></Response>')
    call(stub.url, ScriptedCaller(transfers=["busy", "answered"])).run()
    first, second = stub.requests[1]["form"], stub.requests[2]["form"]
    assert first["DialCallStatus"] == "busy" and "DialCallDuration" not in first
    assert second["DialCallStatus"] == "completed" and int(second["DialCallDuration"]) > 0


def test_a_dial_without_an_action_carries_on_with_the_next_verb(stub):
    stub.docs["/voice/incoming"] = ('<Response><Dial>+442079460100</Dial><Say>If nobody answered, ring back.</Say>'
                                   '<Hangup/><Say>Never heard.</Say></Response>')
    transcript = call(stub.url, ScriptedCaller(transfers=["no-answer"])).run()
    assert stub.paths() == ["/voice/incoming", "/voice/status"]
    assert [(d.number, d.outcome) for d in transcript.dials()] == [("+442079460100", "no-answer")]
    assert transcript.heard() == ["If nobody answered, ring back."]


def test_a_record_posts_a_recording_url_and_a_silent_caller_skips_its_action(stub):
    stub.docs["/voice/incoming"] = ('<Response><Say>Leave a message.</Say><Record action="/saved" finishOnKey="#"/>'
                                   '<Say>No message.</Say></Response>')
    call(stub.url, ScriptedCaller(message_s=12)).run()
    form = stub.requests[1]["form"]
    assert stub.requests[1]["path"] == "/saved"
    assert form["RecordingUrl"].startswith("https://") and form["RecordingDuration"] == "12"
    assert form["RecordingSid"].startswith("RE")
    stub.requests.clear()
    transcript = call(stub.url, ScriptedCaller(message_s=None)).run()
    assert stub.paths() == ["/voice/incoming", "/voice/status"]
    assert transcript.heard() == ["Leave a message.", "No message."]


def test_the_call_ends_with_a_completed_status_callback_carrying_its_duration(stub):
    stub.docs["/voice/incoming"] = "<Response><Say>One two three four five.</Say><Pause length=\"3\"/></Response>"
    transcript = call(stub.url).run()
    status = stub.requests[-1]
    assert status["path"] == "/voice/status"
    assert status["form"]["CallStatus"] == "completed"
    assert int(status["form"]["CallDuration"]) == transcript.duration_s == 5  # 5 words at 150 wpm + 3 s pause


def test_hanging_up_at_a_document_skips_its_verbs_and_still_sends_the_status_callback(stub):
    stub.docs["/voice/incoming"] = '<Response><Redirect>/second</Redirect></Response>'
    stub.docs["/second"] = '<Response><Dial action="/x">+442079460100</Dial></Response>'
    transcript = call(stub.url, ScriptedCaller(hangup_at=2)).run()
    assert stub.paths() == ["/voice/incoming", "/second", "/voice/status"]
    assert transcript.dials() == []


@pytest.mark.parametrize("answer, problem", [
    ((200, "<html><body>Welcome</body></html>"), "root is <html>, not TwiML's <Response>"),
    ((200, '{"ok": true}'), "not TwiML"),
    ((200, ""), "not TwiML"),
    ((500, "Internal Server Error"), "answered HTTP 500"),
    ((403, "Forbidden"), "answered HTTP 403 (the app refused the signature"),
    ((200, "<Response><Sms>hi</Sms></Response>"), "uses <Sms>, which the simulator does not support"),
])
def test_without_a_fallback_url_an_answer_twilio_could_not_use_ends_the_call_loudly(stub, answer, problem):
    stub.docs["/voice/incoming"] = '<Response><Redirect>/broken</Redirect></Response>'
    stub.docs["/broken"] = answer
    simulated = call(stub.url, fallback_url=None)
    with pytest.raises(SimulatorError) as error:
        simulated.run()
    assert problem in str(error.value)
    assert "/broken" in str(error.value)
    assert "/voice/fallback" not in stub.paths()


def test_a_call_broken_by_an_error_still_ends_with_the_status_callback_as_on_twilio(stub):
    stub.docs["/voice/incoming"] = (500, "Internal Server Error")
    stub.docs["/voice/fallback"] = (500, "Internal Server Error")
    simulated = call(stub.url)
    with pytest.raises(SimulatorError):
        simulated.run()
    assert stub.paths() == ["/voice/incoming", "/voice/fallback", "/voice/status"]
    assert simulated.transcript.events[-1].kind == tx.APPLICATION_ERROR


def test_an_attribute_twilio_would_reject_fails_loudly(stub):
    stub.docs["/voice/incoming"] = '<Response><Gather numDigits="two"><Say>Hi</Say></Gather></Response>'
    with pytest.raises(SimulatorError, match="<Gather> has an invalid attribute"):
        call(stub.url).run()


def test_a_flow_that_never_ends_is_stopped(stub):
    stub.docs["/voice/incoming"] = "<Response><Redirect>/voice/incoming</Redirect></Response>"
    with pytest.raises(SimulatorError, match="did not end after 60 TwiML documents"):
        call(stub.url).run()


def test_an_app_that_is_not_running_is_reported_as_unreachable():
    with pytest.raises(AppUnreachable, match="cannot reach the app"):
        call("http://127.0.0.1:9").run()


# Against the IVR itself.


def directory(app) -> ServiceDirectory:
    return ServiceDirectory.from_settings(app.config["SETTINGS"])


def test_a_call_pressing_1_reaches_mash_and_the_app_records_it_with_its_steps(app, live_url, engine):
    simulated = call(live_url, ScriptedCaller(["1"]), directory=directory(app))
    transcript = simulated.run()
    assert [(d.number, d.outcome) for d in transcript.dials()] == [("+442079460100", "answered")]
    assert transcript.inferred_route() == Route.MASH
    with Session(engine) as session:
        recorded = get_call_by_sid(session, transcript.call_sid)
        assert recorded.route == Route.MASH and recorded.caller == CALLER
        assert recorded.duration_s == transcript.duration_s
        assert [(s.step, s.digits) for s in get_steps(session, recorded)][:2] == [("incoming", None), ("menu", "1")]


def test_the_ivr_refuses_a_call_signed_with_the_wrong_token_and_the_simulator_says_so(live_url):
    with pytest.raises(SimulatorError, match="HTTP 403 .*does --auth-token match"):
        call(live_url, token="wrong-token", fallback_url=None).run()


def test_interactive_mode_prints_each_prompt_and_reads_the_keys_typed(app, live_url):
    out = io.StringIO()
    caller = InteractiveCaller(directory(app), stdin=io.StringIO("5\n\n"), stdout=out)
    lines: list[str] = []
    transcript = call(live_url, caller, directory=directory(app), listener=lines.append).run()
    assert "Press up to 1 key(s) (Enter = silence, h = hang up): " in out.getvalue()
    assert "Transfer to MASH (+442079460100)" in out.getvalue()  # end of input: the transfer is answered
    assert any("That is not an option" in line for line in lines)
    assert transcript.presses() == ["5", ""]
    assert transcript.inferred_route() == Route.MASH


def test_interactive_mode_hangs_up_on_h(app, live_url):
    caller = InteractiveCaller(directory(app), stdin=io.StringIO("h\n"), stdout=io.StringIO())
    transcript = call(live_url, caller, directory=directory(app)).run()
    assert transcript.inferred_route() == Route.ABANDONED


def _invoke(app, *args):
    return CliRunner().invoke(simulate_group, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_simulate_call_prints_the_transcript_and_keeps_presses_and_silences_in_order(app, live_url):
    result = _invoke(app, "call", "--base-url", live_url, "--press", "9", "--silence", "--transfer", "busy",
                     "--transfer", "answered")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    pressed = [line.split("] ", 1)[1] for line in lines if "Caller presses" in line]
    # The third silence is at the offer after the reference: MASH ended the transfer with the caller still there.
    assert pressed == ["Caller presses 9", "Caller presses nothing (5 s of silence)"] + [
        "Caller presses nothing (5 s of silence)"]
    assert "Transfer to MASH (+442079460100): busy" in result.output
    assert "Transfer to MASH (+442079460100): answered, talks 180 s" in result.output
    assert "Your reference is" in result.output
    assert "Final route: MASH (recorded in the database)" in result.output


def test_simulate_call_reports_a_refused_signature_and_exits_non_zero(app, live_url):
    result = _invoke(app, "call", "--base-url", live_url, "--auth-token", "nope", "--press", "1")
    assert result.exit_code == 1
    assert "HTTP 403" in result.output


def test_simulate_call_rejects_keys_that_are_not_on_a_keypad(app):
    result = _invoke(app, "call", "--press", "12a")
    assert result.exit_code == 2
    assert "keys are 0-9, * and #" in result.output


def test_simulate_call_notes_keys_the_call_never_used(app, live_url):
    # 9 is heard at the offer after the reference (not an option there: goodbye), so 3 is never used.
    result = _invoke(app, "call", "--base-url", live_url, "--press", "1", "--press", "9", "--press", "3")
    assert result.exit_code == 0
    assert "the call ended before these were used: press 3" in result.output


def test_simulate_help_lists_its_commands():
    result = CliRunner().invoke(simulate_group, ["--help"])
    assert result.exit_code == 0
    assert "call" in result.output and "run" in result.output


def test_a_withheld_caller_is_sent_as_twilio_sends_one(stub):
    stub.docs["/voice/incoming"] = "<Response><Hangup/></Response>"
    SimulatedCall(stub.url, TOKEN, ScriptedCaller(), "withheld", IVR_NUMBER).run()
    assert stub.requests[0]["form"]["From"] == stub.requests[0]["form"]["Caller"] == "anonymous"
