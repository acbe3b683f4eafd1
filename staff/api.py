"""GET /api/stats: the dashboard's figures as JSON for Power BI and scripts, behind a bearer token."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from db.session import get_session
from db.users import get_token_by_hash
from routing.hours import london_date
from staff.report import gather_report
from staff.stats import PeriodError, parse_period

bp = Blueprint("api", __name__, url_prefix="/api")
TOKEN_PREFIX = "mivr_"
LAST_USED_EVERY = timedelta(minutes=1)  # note use at most once a minute: a busy script need not write each time


def new_token() -> str:
    """A fresh random API token (shown once; only its hash is kept)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token (a 256-bit random token needs a plain hash, not a slow password hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _unauthorised(message: str):
    response = jsonify({"error": message})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="mash-ivr", error="invalid_token"'
    return response


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@bp.errorhandler(HTTPException)
def _json_error(error: HTTPException):
    """API errors are JSON too."""
    return jsonify({"error": error.description}), error.code


@bp.get("/stats")
def stats():
    """The figures for ?from=YYYY-MM-DD&to=YYYY-MM-DD (default the last 30 days) and &hours=all|in|out."""
    token = _bearer_token()
    if token is None:
        return _unauthorised("Send an API token as 'Authorization: Bearer TOKEN' (make one with ivr tokens create).")
    db = get_session()
    stored = get_token_by_hash(db, token_hash(token))
    if stored is None:
        return _unauthorised("The API token is not valid (it may have been revoked).")
    now = current_app.config["CLOCK"]()
    try:
        period = parse_period(request.args, london_date(now))
    except PeriodError as exc:
        return jsonify({"error": f"{exc}."}), 400
    settings = current_app.config["SETTINGS"]
    report = gather_report(db, period, now, settings.promise_target, settings.unit_cost_gbp)
    if stored.last_used_at is None or now - stored.last_used_at > LAST_USED_EVERY:
        stored.last_used_at = now
        db.commit()
    return jsonify(report)
