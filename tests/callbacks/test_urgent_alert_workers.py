"""Urgent alerts end to end: real `ivr worker` processes and the Twilio stand-in ring the duty numbers in time,
escalate after the configured delay, stop when accepted, and lose or repeat no step when a worker is killed."""
from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from db.models import Call, Callback, WorkerHeartbeat
from tests.callback_support import wait_for
from tests.call_support import leave_urgent_message
from tests.callbacks.test_urgent_alerts import FIRST, SECOND, alert_rows

pytestmark = pytest.mark.twilio_stand_in

ESCALATE_AFTER = 3
RING_OUT = 8  # the first duty phone rings on unanswered well past ESCALATE_AFTER


@pytest.fixture
def settings_env(settings_env):
    return dict(settings_env, DUTY_NUMBERS=f"{FIRST}, {SECOND}", ALERT_ESCALATE_AFTER=str(ESCALATE_AFTER),
                OPENING_HOURS="always")


def rung(live) -> list[str]:
    return [call["to"] for call in live.stand_in.log()["calls"]]


def workers_alive(engine, count: int) -> bool:
    with Session(engine) as session:
        return len(session.exec(select(WorkerHeartbeat)).all()) >= count


def accepted_by(engine) -> str | None:
    with Session(engine) as session:
        return session.exec(select(Call)).one().alert_acknowledged_by


@pytest.mark.slow
@pytest.mark.timed_wait  # the escalation is a real delay, measured on the workers' real clock
def test_real_workers_ring_within_10_s_escalate_after_the_delay_stop_when_accepted_and_survive_a_kill(
        app, engine, live, twilio, clock, workers):
    live.stand_in.ring_for = RING_OUT
    live.stand_in.script(FIRST, "ring-out")  # the second duty number answers and presses 1 (the default)
    procs = [workers.start(lease=2), workers.start(lease=2)]
    wait_for(lambda: workers_alive(engine, 2), "both workers to start", timeout=60)

    clock.now = datetime.now(timezone.utc)  # the message is recorded now, as the workers' clock reads it
    recorded = time.monotonic()
    leave_urgent_message(twilio)
    wait_for(lambda: rung(live), "the first alert call", timeout=10)
    assert time.monotonic() - recorded <= 10

    # Kill the worker that placed the first call, at once: its row may still be 'sending' when it dies.
    [first] = alert_rows(engine)
    placer = next(p for p in procs if f":{p.pid}:" in first.claimed_by)
    workers.stop(placer, signal.SIGKILL)

    wait_for(lambda: len(rung(live)) >= 2, "the escalation to the second number", timeout=30)
    wait_for(lambda: accepted_by(engine) == SECOND, "the second number to accept", timeout=30)
    step0, step1 = alert_rows(engine)
    assert step1.claimed_at - step0.claimed_at >= timedelta(seconds=ESCALATE_AFTER)
    assert step1.claimed_at - step0.claimed_at < timedelta(seconds=ESCALATE_AFTER + 5)

    # The first call rings out unanswered after it was accepted elsewhere: nothing more is rung.
    wait_for(lambda: alert_rows(engine)[0].state == "failed", "the first call to ring out", timeout=30)
    time.sleep(ESCALATE_AFTER + 1)
    assert Counter(rung(live)) == Counter({FIRST: 1, SECOND: 1}), "one call per step, none lost or repeated"
    assert [(r.alert_step, r.channel, r.state) for r in alert_rows(engine)] == [(0, "voice", "failed"),
                                                                               (1, "voice", "delivered")]
    with Session(engine) as session:
        assert len(session.exec(select(Callback)).all()) == 2


@pytest.mark.slow
@pytest.mark.timed_wait  # the backlog drains at the stand-in's real pace
def test_a_real_worker_rings_the_first_alert_within_10_s_behind_a_backlog_of_texts(app, engine, live, twilio, clock,
                                                                                 workers):
    live.stand_in.latency = 0.4  # each text takes Twilio 0.4 s to accept: 60 of them take the worker 24 s
    clock.now = datetime.now(timezone.utc)
    with Session(engine) as session:
        for n in range(60):
            session.add(Callback(kind="reference", channel="sms", to_number=f"+4474001230{n:02d}", body="Backlog.",
                                 due_at=clock.now - timedelta(hours=1), dedupe_key=f"backlog:{n}",
                                 created_at=clock.now, updated_at=clock.now))
        session.commit()
    workers.start(lease=30)
    wait_for(lambda: live.stand_in.log()["messages"], "the backlog to start draining", timeout=60)
    recorded = time.monotonic()
    leave_urgent_message(twilio)
    wait_for(lambda: rung(live), "the first alert call", timeout=10)
    assert time.monotonic() - recorded <= 10
    assert len(live.stand_in.log()["messages"]) < 60, "the alert went before the backlog had drained"
