"""A trial end to end: simulated traffic through real HTTP with a known built-in effect, and the analysis finds it."""
from __future__ import annotations

import pytest

from datetime import timedelta

from sqlmodel import Session, func, select

from db.models import Call, Trial
from routing.hours import LONDON
from simulator.behaviour import CallerBehaviour, default_menu_weights, is_menu
from simulator.model import ADVICE, EARLY_HELP, URGENT, TrafficModel
from simulator.server import serve
from simulator.traffic import PlannedClock, run_traffic
from tests.conftest import IN_HOURS
from tests.simulator_support import TOKEN
from tests.trial_support import make_trial
from trials.report import results_for

pytestmark = pytest.mark.no_public_url

CALLS = 640
DAYS = 14
# More non-urgent callers than the report's mix, and a strong effect, so 640 calls find it every run (each arm
# needs about 260 calls to "reach" a 12-point change; 640 give about 307):
# the MASH share falls by about 28 points, about 7 standard errors (runs vary: withheld callers draw at random).
MODEL = TrafficModel(school_intents={URGENT: 0.25, ADVICE: 0.55, EARLY_HELP: 0.2},
                     other_intents={URGENT: 0.5, ADVICE: 0.3, EARLY_HELP: 0.2})
# The built-in effect: hearing "most schools" (the norms variant's closing line, in and out of hours),
# advice and Early Help callers stop pressing 1 for MASH; urgent callers press 1 exactly as before.
DEFAULT_CHOICES = {ADVICE: {"2": 0.35, "1": 0.60, "3": 0.03, "0": 0.02},
                   EARLY_HELP: {"3": 0.45, "1": 0.45, "2": 0.08, "0": 0.02}}
NUDGED_CHOICES = {ADVICE: {"2": 0.93, "1": 0.02, "3": 0.03, "0": 0.02},
                  EARLY_HELP: {"3": 0.88, "1": 0.02, "2": 0.08, "0": 0.02}}


def menu_weights(profile, prompt: str) -> dict:
    """Keys by what the caller hears: the norms wording nudges non-urgent callers away from MASH."""
    assert is_menu(prompt)
    table = NUDGED_CHOICES if "most schools" in prompt.casefold() else DEFAULT_CHOICES
    return table.get(profile.intent) or default_menu_weights(profile, prompt)


def row(results, measure: str, variant: str):
    return next(r for r in results.rows if r.measure == measure and r.variant == variant)


def test_simulated_traffic_through_a_trial_shows_the_built_in_effect(app, engine, demo_schools):
    today = IN_HOURS.astimezone(LONDON).date()
    trial_id = make_trial(engine, IN_HOURS, start=str(today - timedelta(days=DAYS + 1)),
                          end=str(today + timedelta(days=1)))
    clock = PlannedClock(app.config["CLOCK"])  # each call is answered as at its planned time, in or out of hours
    app.config["CLOCK"] = clock
    with serve(app) as url:
        summary = run_traffic(url, TOKEN, CALLS, 8, DAYS, now=IN_HOURS, engine=engine, seed=20261124,
                              behaviour=CallerBehaviour(menu_weights=menu_weights), model=MODEL,
                              settings=app.config["SETTINGS"], clock=clock)
    assert summary.errors == 0 and summary.failsafe_calls == 0, summary.lines()

    with Session(engine) as session:
        in_trial = session.exec(select(func.count()).select_from(Call).where(Call.trial_id == trial_id)).one()
        assert in_trial == summary.calls == CALLS
        results = results_for(session, session.get(Trial, trial_id), effect=0.12)
    assert min(results.calls.values()) > 0.35 * CALLS  # both wordings got a fair share of calls

    mash = row(results, "mash", "norms")
    assert mash.difference < -0.10 and mash.p_value < 0.001, (mash, results.calls)
    diversion = row(results, "diversion", "norms")
    assert diversion.difference > 0.10 and diversion.p_value < 0.001
    assert row(results, "infoline", "norms").difference > 0  # the callers went where the nudge sent them
    assert mash.reached  # enough calls to see a 12-point change
    # The control's interval holds its share; the variant's lies wholly below it.
    control = row(results, "mash", "control")
    assert control.ci_low < control.value < control.ci_high and mash.ci_high < control.value
