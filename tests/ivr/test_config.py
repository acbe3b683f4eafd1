"""Start-up configuration: defaults, normalised numbers, and clear errors naming the variable."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ivr.config import DEFAULT_SECRET_KEY, ConfigError, load_settings
from tests.conftest import IN_HOURS

DEV = {"IVR_ENV": "development"}
PRODUCTION = {"SECRET_KEY": "x" * 40, "TWILIO_AUTH_TOKEN": "a-real-token",
              "PUBLIC_BASE_URL": "https://ivr.example.gov.uk",
              "DUTY_NUMBERS": "07400 123001, 07400 123002"}


def test_defaults_are_the_councils_published_numbers():
    settings = load_settings(DEV)
    assert settings.mash_number == "+441926414144"
    assert settings.dsl_infoline_number == "+441926418608"
    assert settings.early_help_number == "+441926412412"
    assert settings.edt_number == "+441926886922"
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("mash_ivr.sqlite3")


@pytest.mark.parametrize("written", ["01926 414144", "+44 1926 414144", "(01926) 414 144", "0044 1926 414144"])
def test_a_phone_number_in_any_common_uk_form_is_stored_as_e164(written):
    assert load_settings(dict(DEV, MASH_NUMBER=written)).mash_number == "+441926414144"


@pytest.mark.parametrize("variable,value", [
    ("MASH_NUMBER", "not a number"),
    ("EDT_NUMBER", "01632 960000"),
    ("OPENING_HOURS", "Mon-Fri 9-5"),
    ("OPENING_HOURS", "Funday 08:00-10:00"),
    ("DATABASE_URL", "mysql://x"),
    ("PUBLIC_BASE_URL", "ivr.example.gov.uk"),
    ("DIAL_TIMEOUT", "soon"),
    ("IVR_ENV", "staging"),
    ("TWILIO_SIGNATURE_CHECK", "maybe"),
    ("SMS_SENDER_ID", "WarwickshireMASH"),  # 16 characters: Twilio allows 11
    ("SMS_SENDER_ID", "12345"),  # an alphanumeric sender needs a letter
    ("SMS_SENDER_ID", "Warks-MASH"),
    ("TWILIO_MESSAGING_SERVICE_SID", "MASH"),
    ("PROMISE_TARGET", "most"),
    ("PROMISE_TARGET", "90"),  # a share, not a percentage
    ("PROMISE_TARGET", "0"),
    ("PROMISE_TARGET", "-0.5"),
    ("PROMISE_TARGET", "nan"),
])
def test_a_wrong_value_stops_start_up_with_a_message_naming_the_variable(variable, value):
    with pytest.raises(ConfigError) as err:
        load_settings(dict(DEV, **{variable: value}))
    assert str(err.value).startswith(variable)


def test_the_promise_target_is_90_percent_unless_set_to_a_share_up_to_1():
    assert load_settings(DEV).promise_target == 0.9
    assert load_settings(dict(DEV, PROMISE_TARGET="0.75")).promise_target == 0.75
    assert load_settings(dict(DEV, PROMISE_TARGET="1")).promise_target == 1.0
    with pytest.raises(ConfigError, match=r"^PROMISE_TARGET: must be above 0 and at most 1"):
        load_settings(dict(DEV, PROMISE_TARGET="1.5"))


@pytest.mark.parametrize("hours, is_open", [("always", True), ("ALWAYS", True), ("never", False)])
def test_opening_hours_always_is_open_and_never_is_closed_at_any_moment(hours, is_open):
    opening = load_settings(dict(DEV, OPENING_HOURS=hours)).opening_hours
    sunday_night = datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc)
    christmas_noon = datetime(2026, 12, 25, 12, 0, tzinfo=timezone.utc)
    assert [opening.is_open(moment) for moment in (IN_HOURS, sunday_night, christmas_noon)] == [is_open] * 3


def test_signature_checks_may_be_turned_off_only_in_development():
    assert load_settings(dict(DEV, TWILIO_SIGNATURE_CHECK="false")).signature_check is False
    with pytest.raises(ConfigError, match="TWILIO_SIGNATURE_CHECK"):
        load_settings(dict(PRODUCTION, TWILIO_SIGNATURE_CHECK="false", IVR_ENV="production"))


def test_production_refuses_the_default_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(dict(PRODUCTION, IVR_ENV="production", SECRET_KEY=DEFAULT_SECRET_KEY))


def test_an_unset_ivr_env_means_production_so_a_server_never_runs_on_development_defaults():
    with pytest.raises(ConfigError, match="^SECRET_KEY"):
        load_settings({})
    settings = load_settings(PRODUCTION)
    assert settings.env == "production" and settings.signature_check is True


def test_development_is_still_allowed_when_it_is_asked_for():
    assert load_settings(DEV).env == "development"


@pytest.mark.parametrize("variable,value", [
    ("PUBLIC_BASE_URL", ""),
    ("PUBLIC_BASE_URL", "http://ivr.example.gov.uk"),  # behind a TLS proxy every signature would then fail
    ("TWILIO_API_BASE_URL", "http://api.twilio.com"),
])
def test_production_refuses_to_start_without_https_both_ways_and_names_the_variable(variable, value):
    with pytest.raises(ConfigError) as err:
        load_settings(dict(PRODUCTION, **{variable: value}))
    assert str(err.value).startswith(variable)


def test_texts_can_come_from_a_messaging_service_or_an_alphanumeric_sender():
    settings = load_settings(dict(DEV, TWILIO_MESSAGING_SERVICE_SID="MG" + "a" * 32, SMS_SENDER_ID="WarksMASH"))
    assert (settings.twilio_messaging_service_sid, settings.sms_sender_id) == ("MG" + "a" * 32, "WarksMASH")


def test_a_postgres_url_is_driven_by_psycopg_3():
    url = load_settings(dict(DEV, DATABASE_URL="postgresql://u@db/ivr")).database_url
    assert url == "postgresql+psycopg://u@db/ivr"


def test_the_ivr_command_reports_a_bad_variable_and_exits_non_zero(tmp_path):
    ivr = Path(sys.executable).with_name("ivr")
    result = subprocess.run([str(ivr), "routes"], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "MASH_NUMBER": "nonsense", "HOME": str(tmp_path)},
                            cwd=tmp_path, timeout=60)
    assert result.returncode != 0
    assert "MASH_NUMBER" in result.stderr


def test_a_dotenv_file_sets_what_the_environment_leaves_unset(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("IVR_ENV=development\nMASH_NUMBER=01926 410410\nEDT_NUMBER=01926 886922\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EDT_NUMBER", "01926 886000")
    monkeypatch.delenv("MASH_NUMBER", raising=False)
    monkeypatch.delenv("IVR_ENV", raising=False)
    settings = load_settings()
    assert (settings.env, settings.mash_number, settings.edt_number) == ("development", "+441926410410", "+441926886000")


def test_the_ivr_command_reads_its_settings_from_a_dotenv_file(tmp_path):
    (tmp_path / ".env").write_text("IVR_ENV=development\nMASH_NUMBER=nonsense\n")
    ivr = Path(sys.executable).with_name("ivr")
    result = subprocess.run([str(ivr), "routes"], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, cwd=tmp_path, timeout=60)
    assert result.returncode != 0 and "MASH_NUMBER" in result.stderr


@pytest.mark.parametrize("value", [None, "", " , "])
def test_production_refuses_to_start_without_duty_numbers_and_names_the_variable(value):
    env = {k: v for k, v in PRODUCTION.items() if k != "DUTY_NUMBERS"}
    with pytest.raises(ConfigError) as err:
        load_settings(env if value is None else dict(env, DUTY_NUMBERS=value))
    assert str(err.value).startswith("DUTY_NUMBERS")


def test_duty_numbers_are_kept_in_their_order_in_e164_and_a_bad_one_is_refused_by_name():
    settings = load_settings(dict(DEV, DUTY_NUMBERS="07400 123002, +44 7400 123001", EDT_DUTY_NUMBERS="01926 886922"))
    assert settings.duty_numbers == ("+447400123002", "+447400123001")
    assert settings.edt_duty_numbers == ("+441926886922",)
    with pytest.raises(ConfigError, match="^EDT_DUTY_NUMBERS"):
        load_settings(dict(DEV, EDT_DUTY_NUMBERS="07400 123002, nonsense"))


def test_out_of_hours_alerts_ring_the_edt_list_or_the_day_list_when_there_is_none():
    evening = datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc)  # a Tuesday, after hours
    morning = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
    both = load_settings(dict(DEV, DUTY_NUMBERS="07400 123001", EDT_DUTY_NUMBERS="07400 123009"))
    assert (both.duty_numbers_at(morning), both.duty_numbers_at(evening)) == (("+447400123001",), ("+447400123009",))
    assert load_settings(dict(DEV, DUTY_NUMBERS="07400 123001")).duty_numbers_at(evening) == ("+447400123001",)


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_alert_escalate_after_is_a_whole_number_of_seconds_above_zero(value):
    assert load_settings(DEV).alert_escalate_after == 300
    with pytest.raises(ConfigError, match="^ALERT_ESCALATE_AFTER"):
        load_settings(dict(DEV, ALERT_ESCALATE_AFTER=value))


@pytest.mark.parametrize("env, variable", [
    ({"CASE_SYSTEM_WEBHOOK_URL": "https://lcs.example.gov.uk/mash"}, "CASE_SYSTEM_WEBHOOK_SECRET"),
    ({"CASE_SYSTEM_WEBHOOK_URL": "https://lcs.example.gov.uk/mash", "CASE_SYSTEM_WEBHOOK_SECRET": "short"},
     "CASE_SYSTEM_WEBHOOK_SECRET"),
    ({"CASE_SYSTEM_WEBHOOK_URL": "http://lcs.example.gov.uk/mash", "CASE_SYSTEM_WEBHOOK_SECRET": "s" * 32},
     "CASE_SYSTEM_WEBHOOK_URL"),  # the body names a contact: never in clear over the network
])
def test_production_refuses_a_case_system_webhook_without_https_and_a_long_secret(env, variable):
    with pytest.raises(ConfigError) as err:
        load_settings(dict(PRODUCTION, **env))
    assert str(err.value).startswith(variable)


def test_a_case_system_webhook_is_pushed_to_only_when_set():
    unset = load_settings(dict(PRODUCTION))
    assert (unset.case_system_webhook_url, unset.case_system_webhook_secret) == (None, None)
    settings = load_settings(dict(PRODUCTION, CASE_SYSTEM_WEBHOOK_URL="https://lcs.example.gov.uk/mash",
                                  CASE_SYSTEM_WEBHOOK_SECRET="s" * 32))
    assert (settings.case_system_webhook_url, settings.case_system_webhook_secret) == (
        "https://lcs.example.gov.uk/mash", "s" * 32)


NOTIFY_KEY = "mash_ivr-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
NOTIFY_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"


@pytest.mark.parametrize("env, variable", [
    ({"SMS_PROVIDER": "carrier-pigeon"}, "SMS_PROVIDER"),
    ({"SMS_PROVIDER": "notify", "NOTIFY_TEMPLATE_ID": NOTIFY_TEMPLATE}, "NOTIFY_API_KEY"),
    ({"SMS_PROVIDER": "notify", "NOTIFY_API_KEY": NOTIFY_KEY}, "NOTIFY_TEMPLATE_ID"),
    ({"SMS_PROVIDER": "notify", "NOTIFY_API_KEY": NOTIFY_KEY, "NOTIFY_TEMPLATE_ID": NOTIFY_TEMPLATE,
      "NOTIFY_TEMPLATE_IDS": "decision=not-an-id"}, "NOTIFY_TEMPLATE_IDS"),
    ({"SMS_PROVIDER": "notify", "NOTIFY_API_KEY": NOTIFY_KEY, "NOTIFY_TEMPLATE_ID": NOTIFY_TEMPLATE},
     "NOTIFY_CALLBACK_TOKEN"),  # production: receipts must be told from forgeries
])
def test_notify_is_refused_without_what_it_needs_naming_the_variable(env, variable):
    with pytest.raises(ConfigError) as err:
        load_settings(dict(PRODUCTION, **env))
    assert str(err.value).startswith(variable)


def test_texts_go_through_twilio_unless_notify_is_chosen_with_a_template_per_kind():
    assert load_settings(dict(PRODUCTION)).sms_provider == "twilio"
    decision = "a2f61f6a-5c8c-4ab6-8c1f-a9e2c31f1f53"
    settings = load_settings(dict(PRODUCTION, SMS_PROVIDER="notify", NOTIFY_API_KEY=NOTIFY_KEY,
                                  NOTIFY_TEMPLATE_ID=NOTIFY_TEMPLATE, NOTIFY_TEMPLATE_IDS=f"decision={decision}",
                                  NOTIFY_CALLBACK_TOKEN="t" * 32))
    assert settings.sms_provider == "notify"
    assert (settings.notify.template_for("decision"), settings.notify.template_for("reference")) == (
        decision, NOTIFY_TEMPLATE)
