"""GET /api/stats: the dashboard's figures as JSON for Power BI and scripts, behind a bearer token; and
GET /api/openapi.json, the API's description."""
from __future__ import annotations

import functools
from pathlib import Path

import yaml
from flask import Blueprint, current_app, jsonify, request

from db.session import get_session
from routing.hours import london_date
from staff.api_auth import STATS_READ, register_json_errors, token_required
from staff.report import gather_report
from staff.stats import PeriodError, parse_period

bp = Blueprint("api", __name__, url_prefix="/api")
register_json_errors(bp)


@bp.get("/stats")
@token_required(STATS_READ)
def stats():
    """The figures for ?from=YYYY-MM-DD&to=YYYY-MM-DD (default the last 30 days) and &hours=all|in|out."""
    now = current_app.config["CLOCK"]()
    try:
        period = parse_period(request.args, london_date(now))
    except PeriodError as exc:
        return jsonify({"error": f"{exc}."}), 400
    settings = current_app.config["SETTINGS"]
    return jsonify(gather_report(get_session(), period, now, settings.promise_target, settings.unit_cost_gbp))


@functools.cache
def openapi_document() -> dict:
    """The OpenAPI 3.1 description of /api (staff/openapi.yaml), read once."""
    return yaml.safe_load(Path(__file__).with_name("openapi.yaml").read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI 3.1 description: public, as it holds no data."""
    return jsonify(openapi_document())
