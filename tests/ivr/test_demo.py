"""The demo data: demo staff's decisions show kept and missed promises, and demo calls come from demo DSLs."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session, select

from db.models import Call, Dsl
from ivr.demo import decision_time, demo_group
from tests.conftest import IN_HOURS

OPENED = IN_HOURS - timedelta(days=5)
PROMISED = OPENED + timedelta(days=1)


def test_demo_decisions_fall_after_the_contact_and_never_in_the_future_most_by_the_promise():
    rng = random.Random(7)
    times = [decision_time(rng, OPENED, PROMISED, IN_HOURS) for _ in range(400)]
    assert all(OPENED < at <= IN_HOURS for at in times)
    kept = sum(at <= PROMISED for at in times) / len(times)
    assert 0.7 < kept < 0.9  # some are late, or the dashboard's promise figure would show nothing to act on


def test_a_demo_decision_is_never_later_than_now():
    rng = random.Random(1)
    opened = IN_HOURS - timedelta(hours=2)
    assert all(decision_time(rng, opened, opened + timedelta(days=1), IN_HOURS) <= IN_HOURS for _ in range(50))


def test_the_demo_seed_loads_the_dsl_register_and_puts_some_demo_calls_down_to_a_dsl(app, engine):
    result = app.test_cli_runner().invoke(demo_group, ["seed", "--calls", "120", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "DSLs: 80 added, 0 updated, 0 unchanged, 0 rejected" in result.output
    with Session(engine) as session:
        calls = list(session.exec(select(Call)))
        dsls = {d.id: d.urn for d in session.exec(select(Dsl))}
    attributed = [c for c in calls if c.dsl_id is not None]
    assert attributed, "no demo call came from a DSL's number"
    assert all(c.school_urn == dsls[c.dsl_id] for c in attributed)
