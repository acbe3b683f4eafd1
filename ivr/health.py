"""GET /health: database reachability and the worker's last heartbeat."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from db.session import get_session
from db.workers import get_worker_health

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
    """200 when the database answers, 503 when it does not or Twilio refuses the worker's credentials.

    For monitoring. A missing or stale worker heartbeat keeps 200 (alert on the `worker` field): this web
    process answers calls without any worker. Load balancers use /health/live.
    """
    session, now = get_session(), current_app.config["CLOCK"]()
    try:
        last_seen, problems = get_worker_health(session, now - timedelta(seconds=HEARTBEAT_STALE_S))
    except Exception as exc:  # the point of the endpoint is to report this, not raise it
        session.rollback()
        log.warning("health check: database unreachable", extra={"event": "health", "error": type(exc).__name__})
        return jsonify({"status": "degraded", "database": f"unreachable: {type(exc).__name__}",
                        "worker": "unknown", "worker_last_heartbeat": None, "worker_heartbeat_age_s": None}), 503
    body = {"status": "ok", "database": "ok", **worker_status(last_seen, now), "twilio": "ok"}
    if problems:
        # Callbacks are held, not lost: this is for the monitoring, not the load balancer (see /health/live).
        return jsonify(body | {"status": "degraded", "twilio": problems[0]}), 503
    return jsonify(body), 200


@bp.get("/health/live")
def live():
    """200 while this web process can answer calls, which it does even with the database down (fail-safe).

    For the load balancer: /health's 503s (database, Twilio's refusals) must alert people, never take
    the web processes that answer callers out of service.
    """
    return jsonify({"status": "ok"}), 200
