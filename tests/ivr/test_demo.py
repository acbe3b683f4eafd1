"""The demo data's decisions: when demo staff decided, so the promise figure shows kept and missed promises."""
from __future__ import annotations

import random
from datetime import timedelta

from ivr.demo import decision_time
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
