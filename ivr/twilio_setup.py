"""`ivr twilio configure` and `ivr twilio check`: the number's webhooks set and read back through Twilio's REST API."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from twilio.base.exceptions import TwilioException, TwilioRestException

from callbacks.sender import make_client

# (the resource's field, what the console calls it, our path): all POST.
WEBHOOKS = (("voice_url", "Voice URL (a call comes in)", "/voice/incoming"),
            ("voice_fallback_url", "Fallback URL (primary handler fails)", "/voice/fallback"),
            ("status_callback", "Status callback (call status changes)", "/voice/status"))
METHODS = {"voice_url": "voice_method", "voice_fallback_url": "voice_fallback_method",
           "status_callback": "status_callback_method"}


def expected(base: str) -> dict[str, str]:
    """Every field the number should have, from PUBLIC_BASE_URL."""
    fields = {field: base + path for field, _label, path in WEBHOOKS}
    return fields | {METHODS[field]: "POST" for field, _label, _path in WEBHOOKS}


def mismatches(number: dict, wanted: dict[str, str]) -> list[str]:
    """Each field the number has wrong, as a line naming what it is and what it should be."""
    lines = []
    for field, label, _path in WEBHOOKS:
        have, method = number.get(field) or "(not set)", number.get(METHODS[field]) or "(not set)"
        if have != wanted[field] or method.upper() != "POST":
            lines.append(f"{label} is {have} ({method}), should be {wanted[field]} (POST)")
    return lines


def _settings_and_client():
    settings = current_app.config["SETTINGS"]
    if not settings.public_base_url:
        raise click.ClickException("PUBLIC_BASE_URL is not set: it is the origin Twilio must call (https://...)")
    return settings, make_client(settings)


def _number(client, phone_number: str):
    try:
        found = client.incoming_phone_numbers.list(phone_number=phone_number, limit=1)
    except (TwilioException, OSError) as exc:
        raise click.ClickException(f"Twilio did not answer ({exc}): check TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN "
                                   "and TWILIO_API_BASE_URL") from None
    if not found:
        raise click.ClickException(f"The number {phone_number} (TWILIO_PHONE_NUMBER) is not on this Twilio account")
    return found[0]


def _as_fields(number) -> dict:
    return {field: getattr(number, field, None) for field in (*METHODS, *METHODS.values())}


@click.group("twilio")
def twilio_group():
    """The Twilio number's webhooks: set them from PUBLIC_BASE_URL, or check them."""


@twilio_group.command("configure")
@with_appcontext
def configure_command():
    """Set the number's Voice URL, Fallback URL and status callback (all POST) from PUBLIC_BASE_URL."""
    settings, client = _settings_and_client()
    number = _number(client, settings.twilio_phone_number)
    wanted = expected(settings.public_base_url)
    try:
        # No TwiML App: with one set, Twilio ignores the number's own voice URLs.
        client.incoming_phone_numbers(number.sid).update(**wanted, voice_application_sid="")
    except TwilioRestException as exc:
        raise click.ClickException(f"Twilio refused the change: {exc.msg}") from None
    for field, label, _path in WEBHOOKS:
        click.echo(f"{label}: {wanted[field]} (POST)")
    click.echo(f"{settings.twilio_phone_number} is set; `ivr twilio check` reads it back.")


@twilio_group.command("check")
@with_appcontext
def check_command():
    """Read the number's webhooks back and report each mismatch, whether it can text and the Messaging Service;
    exit 1 on any problem."""
    settings, client = _settings_and_client()
    number = _number(client, settings.twilio_phone_number)
    problems = mismatches(_as_fields(number), expected(settings.public_base_url))
    for field, what in (("voice_application_sid", "a TwiML App"), ("trunk_sid", "a SIP trunk")):
        if getattr(number, field, None):  # Twilio then ignores the number's own voice URLs
            problems.append(f"The number's calls go to {what} ({getattr(number, field)}), not to these URLs: "
                            "run ivr twilio configure")
    sms_capable = bool((number.capabilities or {}).get("sms"))
    click.echo(f"{settings.twilio_phone_number}: {'can' if sms_capable else 'cannot'} send texts itself")
    service = settings.twilio_messaging_service_sid
    if settings.sms_provider == "notify":
        click.echo("Texts: through GOV.UK Notify (SMS_PROVIDER=notify), not Twilio")
    elif service:
        try:
            client.messaging.v1.services(service).fetch()
            click.echo(f"Messaging Service {service}: found; texts are sent through it")
        except TwilioRestException as exc:
            problems.append(f"The Messaging Service {service} (TWILIO_MESSAGING_SERVICE_SID) is not on this account"
                            if exc.status == 404 else f"Twilio would not show the Messaging Service: {exc.msg}")
        except (TwilioException, OSError) as exc:
            problems.append(f"Twilio did not answer about the Messaging Service ({type(exc).__name__})")
    else:
        click.echo("Messaging Service: not set (TWILIO_MESSAGING_SERVICE_SID)")
        if not sms_capable and not settings.sms_sender_id:
            problems.append("Texts have no way out: the number cannot send texts, and neither "
                            "TWILIO_MESSAGING_SERVICE_SID nor SMS_SENDER_ID is set")
    for line in problems:
        click.echo(f"PROBLEM: {line}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("All set: the webhooks point at " + settings.public_base_url)
