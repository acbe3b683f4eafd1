"""The simulator on failures, as Twilio: the Fallback URL with ErrorCode and ErrorUrl, then its application error."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from simulator import transcript as tx
from simulator.caller import AppUnreachable, ScriptedCaller, SimulatedCall, SimulatorError
from simulator.cli import simulate_group
from simulator.transcript import ServiceDirectory
from tests.simulator_support import TOKEN

pytestmark = pytest.mark.no_public_url

CALLER = "+441214960123"
IVR_NUMBER = "+442079460001"
FALLBACK_DOC = '<Response><Say>Putting you through to MASH.</Say><Dial>+442079460100</Dial></Response>'


def call(base_url: str, caller=None, **kwargs) -> SimulatedCall:
    return SimulatedCall(base_url, TOKEN, caller or ScriptedCaller(), CALLER, IVR_NUMBER, **kwargs)


@pytest.mark.parametrize("answer, code", [
    ((500, "Internal Server Error"), "11200"),
    ((403, "Forbidden"), "11200"),
    ((404, "<Response><Hangup/></Response>"), "11200"),
    ((200, "<html><body>Welcome</body></html>"), "12100"),
    ((200, ""), "12100"),
    ((200, "<Response><Say>Unclosed</Response>"), "12100"),
    ((200, '{"ok": true}', "application/json"), "12300"),
    ((200, "<Response><Hangup/></Response>", "text/plain"), "12300"),
])
def test_an_answer_twilio_cannot_use_is_followed_by_the_fallback_url_with_its_error_code_and_url(stub, answer, code):
    stub.docs["/voice/incoming"] = '<Response><Redirect>/broken?step=2</Redirect></Response>'
    stub.docs["/broken"] = answer
    stub.docs["/voice/fallback"] = FALLBACK_DOC
    transcript = call(stub.url).run()
    assert stub.paths() == ["/voice/incoming", "/broken?step=2", "/voice/fallback", "/voice/status"]
    fallback = stub.requests[2]
    assert fallback["method"] == "POST" and fallback["signed"]
    assert fallback["form"]["ErrorCode"] == code
    assert fallback["form"]["ErrorUrl"] == stub.url + "/broken?step=2"
    assert fallback["form"]["CallSid"] == transcript.call_sid and fallback["form"]["CallStatus"] == "in-progress"
    assert transcript.heard() == ["Putting you through to MASH."]  # the fallback's TwiML is played
    assert [e.action for e in transcript.fallbacks()] == [stub.url + "/broken?step=2"]


def test_a_voice_url_slower_than_twilios_limit_is_followed_by_the_fallback_url_as_11205(stub):
    stub.slow.add("/voice/incoming")  # answers only when the test ends: longer than any timeout
    stub.docs["/voice/fallback"] = FALLBACK_DOC
    transcript = call(stub.url, timeout_s=0.5).run()
    fallback = stub.form("/voice/fallback")
    assert fallback["ErrorCode"] == "11205" and fallback["ErrorUrl"] == stub.url + "/voice/incoming"
    assert fallback["CallStatus"] == "ringing"  # the same parameters as the request that failed
    assert "did not answer within 0.5 s" in transcript.fallbacks()[0].text
    assert [d.number for d in transcript.dials()] == ["+442079460100"]


def test_a_failed_action_sends_its_own_parameters_to_the_fallback_url(stub):
    stub.docs["/voice/incoming"] = ('<Response><Gather numDigits="1" action="/menu"><Say>Choose.</Say></Gather>'
                                   '</Response>')
    stub.docs["/menu"] = (500, "boom")
    stub.docs["/voice/fallback"] = FALLBACK_DOC
    call(stub.url, ScriptedCaller(["2"])).run()
    fallback = stub.form("/voice/fallback")
    assert fallback["Digits"] == "2" and fallback["ErrorUrl"] == stub.url + "/menu"


def test_the_fallback_documents_actions_resolve_against_the_fallback_url(stub):
    stub.docs["/voice/incoming"] = (500, "boom")
    stub.docs["/voice/fallback"] = '<Response><Dial action="result?attempt=1">+442079460100</Dial></Response>'
    call(stub.url, ScriptedCaller(transfers=["busy"])).run()
    assert stub.paths() == ["/voice/incoming", "/voice/fallback", "/voice/result?attempt=1", "/voice/status"]
    assert "ErrorCode" not in stub.requests[2]["form"]


def test_a_host_name_that_does_not_resolve_is_reported_to_the_fallback_url_as_11210(stub):
    stub.docs["/voice/fallback"] = "<Response><Say>Fallback.</Say></Response>"
    simulated = call("http://ivr.invalid", fallback_url=stub.url + "/voice/fallback")
    with pytest.raises(AppUnreachable, match="voice/status"):  # the status callback goes to the same bad host
        simulated.run()
    assert stub.form("/voice/fallback")["ErrorCode"] == "11210"
    assert stub.form("/voice/fallback")["ErrorUrl"] == "http://ivr.invalid/voice/incoming"
    assert simulated.transcript.heard() == ["Fallback."]


def test_a_broken_fallback_ends_the_call_with_twilios_application_error_and_fails_loudly(stub):
    stub.docs["/voice/incoming"] = (500, "boom")
    stub.docs["/voice/fallback"] = (200, "not TwiML at all", "text/html")
    simulated = call(stub.url)
    with pytest.raises(SimulatorError) as error:
        simulated.run()
    message = str(error.value)
    assert "answered HTTP 500" in message and "then the Fallback URL failed too" in message
    assert "Twilio error 12100 Document parse failure" in message
    last = simulated.transcript.events[-1]
    assert last.kind == tx.APPLICATION_ERROR and "an application error has occurred" in last.text
    assert stub.paths()[-1] == "/voice/status"  # Twilio still reports the call's end


def test_a_request_to_the_fallback_url_that_fails_is_not_sent_to_the_fallback_url_again(stub):
    stub.docs["/voice/incoming"] = (500, "boom")
    # The fallback's own Gather posts back to it, and that second answer is broken: Twilio gives up.
    stub.docs["/voice/fallback"] = ['<Response><Gather numDigits="1" action="/voice/fallback"><Say>Hi</Say></Gather>'
                                    '</Response>', (500, "boom again")]
    simulated = call(stub.url, ScriptedCaller(["1"]))
    with pytest.raises(SimulatorError, match="answered HTTP 500: 'boom again'"):
        simulated.run()
    assert stub.paths() == ["/voice/incoming", "/voice/fallback", "/voice/fallback", "/voice/status"]
    assert simulated.transcript.events[-1].kind == tx.APPLICATION_ERROR


def test_without_a_fallback_url_twilio_plays_its_application_error_at_once(stub):
    stub.docs["/voice/incoming"] = (502, "Bad Gateway")
    simulated = call(stub.url, fallback_url=None)
    with pytest.raises(SimulatorError, match="answered HTTP 502"):
        simulated.run()
    assert stub.paths() == ["/voice/incoming", "/voice/status"]
    assert [e.kind for e in simulated.transcript.events] == [tx.APPLICATION_ERROR]


def test_the_apps_own_fallback_url_puts_the_caller_through_to_mash_when_the_voice_url_fails(app, live_url, stub):
    stub.docs["/voice/incoming"] = (500, "Internal Server Error")
    simulated = call(stub.url, fallback_url=live_url + "/voice/fallback",
                     directory=ServiceDirectory.from_settings(app.config["SETTINGS"]))
    transcript = simulated.run()
    assert [(d.number, d.outcome) for d in transcript.dials()] == [("+442079460100", "answered")]
    assert [x.url for x in transcript.exchanges][1:3] == [live_url + "/voice/fallback",
                                                          live_url + "/voice/fallback/result?attempt=1"]


# Hanging up during a transfer.


def test_a_caller_who_hangs_up_during_a_connected_transfer_gets_the_dial_action_sent_as_completed(stub):
    stub.docs["/voice/incoming"] = '<Response><Dial action="/dialled">+442079460100</Dial></Response>'
    stub.docs["/dialled"] = "<Response><Say>Never heard: the caller has gone.</Say></Response>"
    transcript = call(stub.url, ScriptedCaller(hang_up_during_transfer=True)).run()
    assert stub.paths() == ["/voice/incoming", "/dialled", "/voice/status"]
    action = stub.form("/dialled")
    assert action["CallStatus"] == "completed" and action["DialCallStatus"] == "completed"
    assert int(action["DialCallDuration"]) == 180
    assert transcript.heard() == []
    assert [e.kind for e in transcript.events] == [tx.DIALS, tx.CALLER_HANGUP]


def test_a_caller_who_hangs_up_while_the_transfer_rings_gets_no_answer_and_no_duration(stub):
    stub.docs["/voice/incoming"] = '<Response><Dial action="/dialled">+442079460100</Dial></Response>'
    call(stub.url, ScriptedCaller(transfers=["no-answer"], hang_up_during_transfer=True)).run()
    action = stub.form("/dialled")
    assert action["CallStatus"] == "completed" and action["DialCallStatus"] == "no-answer"
    assert "DialCallDuration" not in action


def test_without_the_hang_up_the_dial_action_is_sent_in_progress_and_its_twiml_is_played(stub):
    stub.docs["/voice/incoming"] = '<Response><Dial action="/dialled">+442079460100</Dial></Response>'
    stub.docs["/dialled"] = "<Response><Say>Goodbye.</Say></Response>"
    transcript = call(stub.url).run()
    assert stub.form("/dialled")["CallStatus"] == "in-progress"
    assert transcript.heard() == ["Goodbye."]


def _invoke(app, *args):
    return CliRunner().invoke(simulate_group, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_simulate_call_hang_up_during_transfer_sends_the_dial_action_as_completed(app, stub):
    stub.docs["/voice/incoming"] = '<Response><Dial action="/dialled">+442079460100</Dial></Response>'
    result = _invoke(app, "call", "--base-url", stub.url, "--database-url", "none", "--hang-up-during-transfer")
    assert result.exit_code == 0, result.output
    assert stub.form("/dialled")["CallStatus"] == "completed"
    lines = [line.split("] ", 1)[1] for line in result.output.splitlines() if "] " in line]
    assert lines == ["Transfer to MASH (+442079460100): answered, talks 180 s", "Caller hangs up"]


def test_simulate_call_prints_the_fallback_and_exits_non_zero_when_the_voice_url_failed(app, stub):
    stub.docs["/voice/incoming"] = (500, "Internal Server Error")
    stub.docs["/voice/fallback"] = FALLBACK_DOC
    result = _invoke(app, "call", "--base-url", stub.url, "--database-url", "none")
    assert result.exit_code == 1, result.output
    assert "Twilio could not use the answer (POST " in result.output
    assert 'IVR says: "Putting you through to MASH."' in result.output
    assert "Error: Twilio used the Fallback URL after: POST" in result.output


def test_simulate_call_fallback_url_none_means_the_number_has_none(app, stub):
    stub.docs["/voice/incoming"] = (500, "Internal Server Error")
    result = _invoke(app, "call", "--base-url", stub.url, "--database-url", "none", "--fallback-url", "none")
    assert result.exit_code == 1
    assert "/voice/fallback" not in stub.paths()
    assert 'Twilio says: "We are sorry, an application error has occurred. Goodbye."' in result.output
