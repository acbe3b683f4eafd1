"""`ivr twilio configure` and `ivr twilio check`, against the Twilio stand-in's IncomingPhoneNumbers."""
from __future__ import annotations

import pytest

from ivr.twilio_setup import twilio_group
from simulator.twilio_api import TwilioStandIn
from tests.conftest import TEST_ENV

BASE = TEST_ENV["PUBLIC_BASE_URL"]


@pytest.fixture
def stand_in():
    made = TwilioStandIn(TEST_ENV["TWILIO_ACCOUNT_SID"], TEST_ENV["TWILIO_AUTH_TOKEN"], delay=0).start()
    yield made
    made.stop()


@pytest.fixture
def twilio_app(settings_env, stand_in, request):
    settings_env.update(TWILIO_API_BASE_URL=stand_in.url, TWILIO_MESSAGING_SERVICE_SID="MG" + "1" * 32)
    stand_in.phone_numbers.messaging_services.add("MG" + "1" * 32)
    return request.getfixturevalue("app")


def _run(app, *args):
    return app.test_cli_runner().invoke(twilio_group, list(args))


def test_configure_sets_the_three_webhooks_from_public_base_url_and_check_then_passes(twilio_app, stand_in):
    number = stand_in.phone_numbers.add(TEST_ENV["TWILIO_PHONE_NUMBER"], sms=False,
                                        voice_url="https://old.example/voice")
    before = _run(twilio_app, "check")
    assert before.exit_code == 1
    assert before.stderr.splitlines() == [
        f"PROBLEM: Voice URL (a call comes in) is https://old.example/voice (POST), should be {BASE}/voice/incoming "
        "(POST)",
        f"PROBLEM: Fallback URL (primary handler fails) is (not set) (POST), should be {BASE}/voice/fallback (POST)",
        f"PROBLEM: Status callback (call status changes) is (not set) (POST), should be {BASE}/voice/status (POST)"]
    assert _run(twilio_app, "configure").exit_code == 0
    stored = stand_in.phone_numbers.numbers[number["sid"]]
    assert (stored["voice_url"], stored["voice_fallback_url"], stored["status_callback"]) == (
        f"{BASE}/voice/incoming", f"{BASE}/voice/fallback", f"{BASE}/voice/status")
    after = _run(twilio_app, "check")
    assert after.exit_code == 0, after.output
    assert "cannot send texts itself" in after.stdout and "Messaging Service MG" in after.stdout


def test_check_reports_a_messaging_service_the_account_does_not_have(twilio_app, stand_in):
    stand_in.phone_numbers.add(TEST_ENV["TWILIO_PHONE_NUMBER"], sms=False)
    _run(twilio_app, "configure")
    stand_in.phone_numbers.messaging_services.clear()
    result = _run(twilio_app, "check")
    assert result.exit_code == 1 and "TWILIO_MESSAGING_SERVICE_SID) is not on this account" in result.stderr


def test_check_reports_texts_with_no_way_out(settings_env, stand_in, request):
    settings_env.update(TWILIO_API_BASE_URL=stand_in.url)
    app = request.getfixturevalue("app")
    stand_in.phone_numbers.add(TEST_ENV["TWILIO_PHONE_NUMBER"], sms=False)
    _run(app, "configure")
    result = _run(app, "check")
    assert result.exit_code == 1 and "Texts have no way out" in result.stderr


def test_a_number_not_on_the_account_is_named(twilio_app, stand_in):
    stand_in.phone_numbers.add("+442079460999")
    for command in ("configure", "check"):
        result = _run(twilio_app, command)
        assert result.exit_code == 1
        assert f"The number {TEST_ENV['TWILIO_PHONE_NUMBER']} (TWILIO_PHONE_NUMBER) is not on this Twilio account" \
            in result.output


def test_a_twiml_app_on_the_number_is_a_problem_and_configure_clears_it(twilio_app, stand_in):
    number = stand_in.phone_numbers.add(TEST_ENV["TWILIO_PHONE_NUMBER"], sms=False, voice_application_sid="AP" + "2" * 32)
    assert "go to a TwiML App" in _run(twilio_app, "check").stderr
    _run(twilio_app, "configure")
    stored = stand_in.phone_numbers.numbers[number["sid"]]
    assert (stored["voice_application_sid"], stored["voice_url"]) == (None, f"{BASE}/voice/incoming")
    assert _run(twilio_app, "check").exit_code == 0


def test_with_notify_for_texts_check_asks_nothing_of_twilio_s_texting(settings_env, stand_in, request):
    settings_env.update(TWILIO_API_BASE_URL=stand_in.url, SMS_PROVIDER="notify",
                        NOTIFY_API_KEY="k-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0",
                        NOTIFY_TEMPLATE_ID="f33517ff-2a88-4f6e-b855-c550268ce08a")
    app = request.getfixturevalue("app")
    stand_in.phone_numbers.add(TEST_ENV["TWILIO_PHONE_NUMBER"], sms=False)
    _run(app, "configure")
    result = _run(app, "check")
    assert result.exit_code == 0 and "through GOV.UK Notify" in result.stdout
