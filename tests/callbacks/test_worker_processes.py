"""The callback worker: its heartbeat and daily job, then real `ivr worker` processes on one database (none sends
a callback twice, and a restart or a kill loses nothing)."""
from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from callbacks.worker import Worker
from db.models import Call, Callback, WorkerHeartbeat
from tests.callback_support import MOBILE, Workers, add_contact, wait_for
from tests.conftest import IN_HOURS

pytestmark = pytest.mark.twilio_stand_in

ROWS = 100
DONE = ("sent", "delivered")


def test_a_worker_records_that_it_is_alive_in_one_row_of_its_own(app, engine, clock):
    worker = Worker(app)
    worker.heartbeat()
    clock.now += timedelta(seconds=10)
    worker.heartbeat()
    with Session(engine) as session:
        [beat] = session.exec(select(WorkerHeartbeat)).all()
    assert (beat.worker_id, beat.last_seen) == (worker.worker_id, clock.now)


def test_the_daily_job_runs_the_retention_feature(app, engine, clock):
    with Session(engine) as session:
        session.add(Call(call_sid="CA" + "7" * 32, caller="+442079460999", started_at=clock.now - timedelta(days=500)))
        session.commit()
    Worker(app).retention()
    with Session(engine) as session:
        assert session.exec(select(Call.caller)).one() is None


def mobile(i: int) -> str:
    """The i-th of a run of valid UK mobiles, next to libphonenumber's example number."""
    return f"+447400{123000 + i:06d}"


@pytest.fixture
def due_texts(engine, live):
    """ROWS text callbacks, each with its own body, due since a fixed past moment (workers run on the real clock)."""
    live.stand_in.latency = 0.01  # the real API takes a moment; this lets a worker be caught mid-run
    with Session(engine, expire_on_commit=False) as session:
        # Promised far ahead: an overdue promise would make the workers queue an update of their own, a 101st
        # row that could make "all sent" true while one of ours was still on its way.
        contact = add_contact(session, IN_HOURS, caller=MOBILE, urn=None, promised_by=IN_HOURS + timedelta(days=3650))
        # Each to its own UK mobile: one number gets at most 3 texts a day.
        session.add_all(Callback(contact_id=contact.id, kind="reference", channel="sms", to_number=mobile(i),
                                 body=f"test text {i:04d}", due_at=IN_HOURS, dedupe_key=f"t{i}",
                                 created_at=IN_HOURS, updated_at=IN_HOURS)
                        for i in range(ROWS))
        session.commit()
    return {f"test text {i:04d}" for i in range(ROWS)}


def states(engine) -> Counter:
    with Session(engine) as session:
        return Counter(session.exec(select(Callback.state)).all())


def all_sent(engine) -> bool:
    counts = states(engine)
    assert counts.total() == ROWS, f"the outbox should hold only the test's rows: {counts}"
    return sum(counts[s] for s in DONE) == ROWS


def unsent_rows(engine, bodies: set[str]) -> list[tuple]:
    """What the outbox says of callbacks the stand-in never received (to tell a lost send from a stray status)."""
    with Session(engine) as session:
        rows = session.exec(select(Callback).where(Callback.body.in_(bodies))).all()
        return [(r.body, r.state, r.attempts, r.claimed_by, r.twilio_sid, r.last_status) for r in rows]


def sent_bodies(live) -> Counter:
    return Counter(m["body"] for m in live.stand_in.log()["messages"])


@pytest.mark.slow
def test_two_workers_on_one_database_never_send_the_same_callback_twice(engine, live, due_texts, workers):
    first, second = workers.start(), workers.start()
    wait_for(lambda: all_sent(engine), "every callback to be sent")
    assert workers.stop(first) == 0 and workers.stop(second) == 0
    bodies = sent_bodies(live)
    assert set(bodies) == due_texts, f"never reached Twilio: {unsent_rows(engine, due_texts - set(bodies))}"
    assert max(bodies.values()) == 1
    with Session(engine) as session:
        claimers = set(session.exec(select(Callback.claimed_by)).all())
        beats = session.exec(select(WorkerHeartbeat)).all()
    assert len(claimers) == 2, "both workers should have taken a share"
    assert len(beats) == 2  # each worker recorded its heartbeat


@pytest.mark.slow
def test_a_worker_stopped_mid_run_gives_back_its_work_and_the_next_one_finishes_it(engine, live, due_texts, workers):
    first = workers.start()
    wait_for(lambda: len(sent_bodies(live)) >= 20, "the first worker to get going")
    assert workers.stop(first) == 0
    assert states(engine)["sending"] == 0  # nothing left claimed by the stopped worker
    assert not all_sent(engine), "the first worker should have been stopped mid-run"
    workers.start()
    wait_for(lambda: all_sent(engine), "the restarted worker to finish")
    bodies = sent_bodies(live)
    assert set(bodies) == due_texts and max(bodies.values()) == 1


@pytest.mark.slow
@pytest.mark.timed_wait  # the survivor's scheduler must wake again after the lease: a timed wait
def test_a_worker_killed_mid_run_loses_nothing(engine, live, due_texts, workers):
    first = workers.start(lease=2)
    wait_for(lambda: len(sent_bodies(live)) >= 20, "the first worker to get going")
    workers.stop(first, signal.SIGKILL)
    assert not all_sent(engine), "the first worker should have been killed mid-run"
    workers.start(lease=2)
    wait_for(lambda: all_sent(engine), "the second worker to take over the dead worker's claims")
    bodies = sent_bodies(live)
    assert set(bodies) == due_texts
    # Only the text in flight at the moment of the kill (sent, not yet recorded) may go twice.
    assert sum(n - 1 for n in bodies.values()) <= 1
