"""GET /health: the database's reachability decides 200/503; the worker's heartbeat is reported beside it."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from db.models import WorkerHeartbeat
from ivr import create_app
from ivr.config import load_settings
from tests.conftest import IN_HOURS, TEST_ENV


def beat(engine, worker_id: str, seconds_ago: int) -> None:
    with Session(engine) as session:
        session.add(WorkerHeartbeat(worker_id=worker_id, last_seen=IN_HOURS - timedelta(seconds=seconds_ago)))
        session.commit()


def test_with_the_database_up_and_no_worker_yet_health_is_200_and_says_so(app):
    resp = app.test_client().get("/health")
    assert resp.status_code == 200
    assert resp.json["database"] == "ok"
    assert (resp.json["worker"], resp.json["worker_last_heartbeat"]) == ("none", None)


def test_the_newest_worker_heartbeat_and_its_age_are_reported(app, engine):
    beat(engine, "worker-a", 200)
    beat(engine, "worker-b", 40)
    body = app.test_client().get("/health").json
    assert body["worker"] == "ok"
    assert body["worker_heartbeat_age_s"] == 40
    assert body["worker_last_heartbeat"] == (IN_HOURS - timedelta(seconds=40)).isoformat()


def test_a_stale_worker_is_reported_but_the_web_process_stays_in_the_load_balancer(app, engine):
    beat(engine, "worker-a", 3600)
    resp = app.test_client().get("/health")
    assert resp.status_code == 200
    assert (resp.json["worker"], resp.json["worker_heartbeat_age_s"]) == ("stale", 3600)


def test_with_the_database_unreachable_health_is_503_with_the_reason(clock):
    app = create_app(load_settings(dict(TEST_ENV, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none")))
    resp = app.test_client().get("/health")
    assert resp.status_code == 503
    assert resp.is_json and resp.json["database"].startswith("unreachable")
    assert resp.json["status"] == "degraded"
