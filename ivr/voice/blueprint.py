"""The live call's blueprint: every Twilio Voice webhook of an incoming call, under /voice/."""
from __future__ import annotations

from flask import Blueprint
from werkzeug.exceptions import RequestEntityTooLarge

from ivr.voice.failsafe import body_too_large

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.register_error_handler(RequestEntityTooLarge, body_too_large)
