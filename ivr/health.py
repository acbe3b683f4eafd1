"""GET /health: database reachability and the worker's last heartbeat."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, text
from sqlmodel import select

from db.models import WorkerHeartbeat
from db.session import get_session

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

# A worker that has not beaten for this long is reported "stale" (it beats every minute or so).
HEARTBEAT_STALE_S = 300


def worker_status(last_seen, now) -> dict:
    """The newest worker heartbeat, its age in seconds and whether it is fresh."""
    if last_seen is None:
        return {"worker": "none", "worker_last_heartbeat": None, "worker_heartbeat_age_s": None}
    age = max(0, round((now - last_seen).total_seconds()))
    return {
        "worker": "ok" if age <= HEARTBEAT_STALE_S else "stale",
        "worker_last_heartbeat": last_seen.isoformat(),
        "worker_heartbeat_age_s": age,
    }


@bp.get("/health")
def health():
    """200 when the database answers, 503 when it does not; the worker is reported, never fails it.

    A load balancer uses this to decide whether to send calls to this web process, which answers
    calls without any worker, so a missing or stale worker heartbeat keeps 200 (alert on the
    `worker` field instead).
    """
    session = get_session()
    try:
        session.exec(text("SELECT 1")).one()
        last_seen = session.exec(select(func.max(WorkerHeartbeat.last_seen))).one()
    except Exception as exc:  # the point of the endpoint is to report this, not raise it
        session.rollback()
        log.warning("health check: database unreachable", extra={"event": "health", "error": type(exc).__name__})
        return jsonify({"status": "degraded", "database": f"unreachable: {type(exc).__name__}",
                        "worker": "unknown", "worker_last_heartbeat": None, "worker_heartbeat_age_s": None}), 503
    body = {"status": "ok", "database": "ok", **worker_status(last_seen, current_app.config["CLOCK"]())}
    return jsonify(body), 200
