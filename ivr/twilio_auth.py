"""Checks X-Twilio-Signature on every Twilio webhook with Twilio's RequestValidator."""
from __future__ import annotations

import functools
import logging

from flask import abort, current_app, g, request
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
    """True when the request carries a valid signature for the auth token (or the secondary, while rotating)."""
    settings = current_app.config["SETTINGS"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    url, form = signed_url(), request.form
    tokens = (settings.twilio_auth_token, settings.twilio_auth_token_secondary)
    return any(RequestValidator(token).validate(url, form, signature) for token in tokens if token)


def signature_noted(view):
    """For the Fallback URL: never refuse (the caller must reach MASH), but note in g whether Twilio signed it.

    A signing fault (wrong base URL, a rotated token, a proxy rewriting the URL) fails the primary URL;
    if the fallback refused as well, the caller would hear Twilio's error and never reach MASH.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            g.twilio_signed = not current_app.config["SETTINGS"].signature_check or is_valid_twilio_request()
        except Exception:  # an unreadable body (too large, malformed) is simply not signed
            g.twilio_signed = False
        if not g.twilio_signed:
            log.warning("unsigned request to the fallback: answered fail-safe, not recorded",
                        extra={"path": request.path, "event": "fallback_unsigned"})
        return view(*args, **kwargs)

    setattr(wrapper, TWILIO_ROUTE_ATTR, True)
    return wrapper


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
