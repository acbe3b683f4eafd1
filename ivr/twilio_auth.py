"""Checks X-Twilio-Signature on every Twilio webhook with Twilio's RequestValidator."""
from __future__ import annotations

import functools
import logging

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)
TWILIO_ROUTE_ATTR = "_twilio_signed"


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL plus the path when behind a proxy."""
    base = current_app.config["SETTINGS"].public_base_url
    if base:
        return base + request.full_path.rstrip("?") if request.query_string else base + request.path
    return request.url


def is_valid_twilio_request() -> bool:
    """True when the request carries a valid signature for this app's auth token."""
    settings = current_app.config["SETTINGS"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(settings.twilio_auth_token)
    return validator.validate(signed_url(), request.form, signature)


def twilio_signed(view):
    """Refuse (403) a request that Twilio did not sign; the check is on unless turned off in development."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_app.config["SETTINGS"].signature_check and not is_valid_twilio_request():
            log.warning("refused unsigned Twilio webhook", extra={"path": request.path,
                        "call_sid": request.form.get("CallSid")})
            abort(403)
        return view(*args, **kwargs)

    setattr(wrapper, TWILIO_ROUTE_ATTR, True)
    return wrapper
