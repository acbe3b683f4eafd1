"""The Twilio Voice webhooks under /voice/."""
from flask import Blueprint

bp = Blueprint("voice", __name__, url_prefix="/voice")

from ivr.voice import views  # noqa: E402,F401  (registers the routes on bp)
from ivr.voice import identify  # noqa: E402,F401  (the school identification steps)
from ivr.voice import status_check  # noqa: E402,F401  (menu option 4)
