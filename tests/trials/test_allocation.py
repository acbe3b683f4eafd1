"""Allocation: random by the configured shares, sticky per caller, never touching option 1 or the 999 line."""
from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timezone

import pytest
from scipy import stats
from sqlalchemy import text
from sqlmodel import Session, select

from db.models import Call, Trial
from routing.menu import DEFAULT_WORDING
from routing.prompts import SHORT_REPLAY
from tests.conftest import OUT_OF_HOURS
from tests.trial_support import NORMS_CLOSING, make_trial
from tests.twilio_client import call_params, said
from trials.allocation import caller_draw, choose_variant, pick_variant

SHARES = {"control": 0.5, "norms": 0.3, "plain": 0.2}
# Made-up numbers only: the two Ofcom drama ranges give 2,000 distinct callers.
CALLERS = [f"+442079460{i:03d}" for i in range(1000)] + [f"+441214960{i:03d}" for i in range(1000)]


def goodness_of_fit(counts: Counter, shares: dict, total: int) -> float:
    """The chi-square goodness-of-fit p-value of observed counts against the shares."""
    observed = [counts[name] for name in shares]
    expected = [shares[name] * total for name in shares]
    return stats.chisquare(observed, expected).pvalue


def test_pick_variant_maps_the_unit_interval_onto_the_cumulative_shares():
    assert pick_variant(SHARES, 0.0) == "control"
    assert pick_variant(SHARES, 0.4999) == "control"
    assert pick_variant(SHARES, 0.5) == "norms"
    assert pick_variant(SHARES, 0.7999) == "norms"
    assert pick_variant(SHARES, 0.8) == "plain"
    assert pick_variant(SHARES, 0.999999) == "plain"


def test_callers_are_spread_over_the_variants_by_the_configured_shares():
    for trial_id in (1, 2, 3):
        counts = Counter(choose_variant(trial_id, SHARES, caller) for caller in CALLERS)
        assert goodness_of_fit(counts, SHARES, len(CALLERS)) > 0.01, counts


def test_withheld_callers_are_drawn_at_random_by_the_shares():
    rng = random.Random(20261124)
    counts = Counter(choose_variant(1, SHARES, "withheld", rng) for _ in range(20_000))
    assert goodness_of_fit(counts, SHARES, 20_000) > 0.01, counts


def test_a_caller_hears_the_same_variant_every_time_within_a_trial():
    rng = random.Random(7)
    for caller in CALLERS[:200]:
        first = choose_variant(5, SHARES, caller, rng)
        assert all(choose_variant(5, SHARES, caller, rng) == first for _ in range(5))


def test_a_new_trial_shuffles_callers_afresh():
    # Assignments in two trials are independent: a contingency test finds no association.
    table = Counter((pick_variant(SHARES, caller_draw(1, c)), pick_variant(SHARES, caller_draw(2, c))) for c in CALLERS)
    matrix = [[table[(a, b)] for b in SHARES] for a in SHARES]
    assert stats.chi2_contingency(matrix).pvalue > 0.01


def test_withheld_callers_get_a_fresh_draw_each_call():
    rng = random.Random(3)
    assert len({choose_variant(1, SHARES, "withheld", rng) for _ in range(50)}) == 3
    assert len({choose_variant(1, SHARES, None, rng) for _ in range(50)}) == 3


# Through the real webhooks.

def first_two(in_hours: bool = True) -> str:
    """The default's first two sentences: the 999 line, then option 1."""
    return " ".join(DEFAULT_WORDING.sentences(in_hours)[:2])


def incoming(twilio, n: int, caller: str):
    return twilio.twiml("/voice/incoming", call_params(call_sid=f"CA{n:032d}", caller=caller))


def calls(engine) -> list[Call]:
    with Session(engine) as session:
        return list(session.exec(select(Call).order_by(Call.id)))


def test_calls_in_a_trial_record_their_variant_and_hear_it(twilio, engine, clock):
    trial_id = make_trial(engine, clock.now)
    heard = {}
    for n, caller in enumerate(CALLERS[:40]):
        heard[caller] = said(incoming(twilio, n, caller))
    recorded = calls(engine)
    assert {c.trial_id for c in recorded} == {trial_id}
    assert {c.variant for c in recorded} == {"control", "norms"}
    for call in recorded:
        assert (NORMS_CLOSING in heard[call.caller]) == (call.variant == "norms")


def test_the_999_line_and_option_1_come_first_and_unchanged_in_every_variant(twilio, engine, clock):
    make_trial(engine, clock.now)
    for n, caller in enumerate(CALLERS[:30]):
        heard = said(incoming(twilio, n, caller))
        assert heard.startswith(first_two()), heard
    # The replay after silence is the short form, which no variant changes.
    doc = twilio.twiml("/voice/menu?attempt=1", call_params(call_sid=f"CA{0:032d}", caller=CALLERS[0]))
    assert said(doc) == SHORT_REPLAY


def test_out_of_hours_the_variants_keep_the_closed_option_1(twilio, engine, clock):
    clock.now = OUT_OF_HOURS
    make_trial(engine, clock.now)
    for n, caller in enumerate(CALLERS[:20]):
        heard = said(incoming(twilio, n, caller))
        assert heard.startswith(first_two(in_hours=False)), heard


def test_a_caller_who_rings_again_hears_the_same_variant(twilio, engine, clock):
    make_trial(engine, clock.now)
    for n in range(6):
        incoming(twilio, n, CALLERS[7])
    assert len({c.variant for c in calls(engine)}) == 1


def test_outside_a_trial_the_default_wording_plays_and_nothing_is_recorded(twilio, engine, clock):
    make_trial(engine, clock.now, start="2026-12-01", end="2026-12-31")
    doc = incoming(twilio, 1, CALLERS[0])
    assert NORMS_CLOSING not in said(doc) and DEFAULT_WORDING.closing in said(doc)
    [call] = calls(engine)
    assert call.trial_id is None and call.variant is None


def test_a_stopped_trial_no_longer_plays(twilio, engine, clock):
    trial_id = make_trial(engine, clock.now)
    with Session(engine) as session:
        session.get(Trial, trial_id).stopped_at = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
        session.commit()
    incoming(twilio, 1, CALLERS[0])
    assert calls(engine)[0].trial_id is None


def test_a_broken_trial_costs_no_one_their_call(twilio, engine, clock):
    trial_id = make_trial(engine, clock.now)
    with Session(engine) as session:
        session.get(Trial, trial_id).variants = {"control": {}, "norms": {"option1": "Press 9."}}
        session.commit()
    for n, caller in enumerate(CALLERS[:10]):
        doc = incoming(twilio, n, caller)
        assert said(doc).startswith(first_two()) and "Press 9" not in said(doc)
    assert all(c.route is None and not c.failsafe for c in calls(engine))


@pytest.fixture
def unreadable_trials(engine):
    """The trial table renamed away for one test, so reading it fails in the database itself."""
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE trial RENAME TO trial_away"))
    yield
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE trial_away RENAME TO trial"))


def test_a_trial_table_that_cannot_be_read_still_plays_the_default_menu(twilio, engine, unreadable_trials):
    doc = incoming(twilio, 1, CALLERS[0])
    assert said(doc) == " ".join(DEFAULT_WORDING.sentences(True))
    assert doc.find("Gather") is not None  # the menu itself, not the fail-safe transfer
    [call] = calls(engine)
    assert call.trial_id is None and call.caller == CALLERS[0]
