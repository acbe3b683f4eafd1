"""The MASH front-door IVR: Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask

import line
import staff
import trials
from callbacks import notify_receipts, webhooks
from messages import webhooks as call_back_webhooks
from db import session
from ivr import health, line_settings, logs, security, voice
from ivr.clock import utc_clock
from ivr.config import Settings, load_settings

log = logging.getLogger("ivr")
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None, environ: dict | None = None) -> Flask:
    """Build the app; settings come from the environment unless given."""
    app = Flask(__name__, instance_relative_config=True)
    if settings is None:
        settings = load_settings(environ, instance_path=app.instance_path)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        CLOCK=utc_clock,
        TESTING=settings.env == "test",
        # Twilio's webhooks and the staff forms are a few KiB: a larger body is refused (413) unread.
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    logs.init_app(app)
    security.init_app(app)
    if not settings.signature_check:
        log.warning("TWILIO_SIGNATURE_CHECK is off: Twilio webhooks are not verified (development only)")

    session.init_app(app)
    line_settings.init_app(app)
    app.register_blueprint(voice.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(notify_receipts.bp)
    app.register_blueprint(call_back_webhooks.bp)
    app.register_blueprint(health.bp)
    staff.init_app(app)
    line.init_app(app)
    trials.init_app(app)
    return app
