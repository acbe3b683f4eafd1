"""The baseline for the webhook benchmark: a bare Flask endpoint returning constant TwiML."""
from flask import Flask, Response

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Dial timeout="25">'
         '<Number>+442079460100</Number></Dial></Response>')


def create_bare_app() -> Flask:
    """A Flask app with only /bare and /health."""
    bare = Flask(__name__)
    bare.add_url_rule("/bare", "bare", lambda: Response(TWIML, mimetype="text/xml"), methods=["POST"])
    bare.add_url_rule("/health", "health", lambda: "ok")
    return bare


app = create_bare_app()
